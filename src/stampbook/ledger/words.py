"""What moved points, in words (``LedgerEntry.kind`` and what caused an entry)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# In a word, as the home page's activity shows it.
KIND_WORDS = {
    "stamp": _l("stamp"),
    "bonus": _l("bonus"),
    "purchase": _l("purchase"),
    "signup": _l("sign-up"),
    "birthday": _l("birthday"),
    "review": _l("review"),
    "referral": _l("referral"),
    "campaign": _l("campaign"),
    "redemption": _l("redemption"),
    "contribution": _l("contribution"),
    "refund": _l("refund"),
    "reversal": _l("reversal"),
    "adjustment": _l("adjustment"),
    "expiry": _l("expiry"),
    "transfer": _l("transfer"),
    "merge": _l("merge"),
}

# As a points history's heading names it.
ENTRY_KINDS = {
    "stamp": _l("Stamp"),
    "bonus": _l("Bonus"),
    "purchase": _l("Purchase"),
    "signup": _l("Sign-up"),
    "birthday": _l("Birthday"),
    "review": _l("Review"),
    "referral": _l("Referral"),
    "campaign": _l("Campaign"),
    "redemption": _l("Redemption"),
    "contribution": _l("Contribution"),
    "refund": _l("Refund"),
    "reversal": _l("Reversal"),
    "adjustment": _l("Adjustment by the team"),
    "expiry": _l("Expired points"),
    "transfer": _l("Transfer"),
    "merge": _l("Programs merged"),
}

CAUSE_WORDS = {
    "stamp": _l("A stamp"),
    "redemption": _l("A receipt"),
    "contribution": _l("Points put into a group reward"),
    "review": _l("A review"),
    "program_merge": _l("Two programs merged"),
}
