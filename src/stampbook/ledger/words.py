"""What moved points, in words (``LedgerEntry.kind``, what caused an entry, and what the
system wrote in its note: :func:`entry_note`)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from stampbook.ui.words import _, ngettext

# In a word, as the home page's activity shows it.
KIND_WORDS = {
    "stamp": _l("stamp"),
    "bonus": _l("bonus"),
    "purchase": _l("purchase"),
    "signup": _l("sign-up"),
    "birthday": _l("birthday"),
    "review": _l("review"),
    "referral": _l("referral"),
    "attendance": _l("attendance"),
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
    "attendance": _l("Event attendance"),
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
    "import": _l("A customer import"),
}

# What the system writes in an entry's note (in English, as stored and as the API gives it),
# said in the reader's words. A note a person wrote (an adjustment's reason, a task's or a
# reward's name) is shown as it is.
_CANCELLED = re.compile(r"Cancelled: (?P<reason>.*)", re.S)
_REVOKED = re.compile(r"(?P<task>.*): stamp (?P<id>\d+) revoked", re.S)
_MERGED = re.compile(r"Program (?P<source>\d+) merged into program (?P<target>\d+)")
_REVIEW = re.compile(r"Review of (?P<item>reward|task) (?P<id>\d+)")
_STREAK = re.compile(r"(?P<group>group )?(?P<length>\d+)-(?P<period>day|week|month|year) streak")
_COMPLETIONS = re.compile(r"(?P<group>group )?(?P<count>\d+) completions")

# The names the system gives a bonus that has none of its own (``tasks.rules``).
BONUS_NAMES = {
    "first time": _l("first stamp bonus"),
    "target reached": _l("target reached"),
    "partial credit": _l("partial credit"),
    "group success": _l("group success"),
}
SYSTEM_NOTES = {
    "Reward expired": _l("Reward expired"),
    "Reward deleted": _l("Reward deleted"),
}


def bonus_name(name: str) -> str | None:
    """A bonus's name as the system gave it, in words; None for a name someone chose."""
    if name in BONUS_NAMES:
        return str(BONUS_NAMES[name])
    if streak := _STREAK.fullmatch(name):
        length, period = int(streak["length"]), streak["period"]
        if streak["group"]:
            return _streak_words(length, period, group=True)
        return _streak_words(length, period, group=False)
    if done := _COMPLETIONS.fullmatch(name):
        count = int(done["count"])
        if done["group"]:
            return ngettext(
                "group milestone of %(num)s stamp", "group milestone of %(num)s stamps", count
            )
        return ngettext("milestone of %(num)s stamp", "milestone of %(num)s stamps", count)
    return None


def _streak_words(length: int, period: str, *, group: bool) -> str:
    if group:
        spans = {
            "week": ngettext(
                "group streak of %(num)s week", "group streak of %(num)s weeks", length
            ),
            "month": ngettext(
                "group streak of %(num)s month", "group streak of %(num)s months", length
            ),
            "year": ngettext(
                "group streak of %(num)s year", "group streak of %(num)s years", length
            ),
        }
        return spans.get(
            period, ngettext("group streak of %(num)s day", "group streak of %(num)s days", length)
        )
    spans = {
        "week": ngettext("streak of %(num)s week", "streak of %(num)s weeks", length),
        "month": ngettext("streak of %(num)s month", "streak of %(num)s months", length),
        "year": ngettext("streak of %(num)s year", "streak of %(num)s years", length),
    }
    return spans.get(period, ngettext("streak of %(num)s day", "streak of %(num)s days", length))


def entry_note(kind: str, note: str | None) -> str:
    """An entry's note for a person to read: what the system wrote, in their language."""
    if not note:
        return ""
    if note in SYSTEM_NOTES:
        return str(SYSTEM_NOTES[note])
    if kind == "refund" and (cancelled := _CANCELLED.fullmatch(note)):
        return _("Cancelled: %(reason)s", reason=cancelled["reason"])
    if kind == "reversal" and (revoked := _REVOKED.fullmatch(note)):
        return _("%(task)s: stamp %(id)s revoked", task=revoked["task"], id=revoked["id"])
    if kind == "merge" and (merged := _MERGED.fullmatch(note)):
        return _(
            "Program %(source)s merged into program %(target)s",
            source=merged["source"],
            target=merged["target"],
        )
    if kind == "review" and (review := _REVIEW.fullmatch(note)):
        if review["item"] == "task":
            return _("Review of task %(id)s", id=review["id"])
        return _("Review of reward %(id)s", id=review["id"])
    if kind == "bonus" and ": " in note:
        task, name = note.rsplit(": ", 1)
        said = bonus_name(name)
        if said is not None:
            return _("%(task)s: %(bonus)s", task=task, bonus=said)
    return note
