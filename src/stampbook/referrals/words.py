"""The referrals' terms in plain words, in the reader's language: statuses, the reasons a
referral was rejected (the team reads them), how it came, and when it completes."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from stampbook.referrals.rules import (
    ReferralCapPeriod,
    ReferralCompletes,
    ReferralMethod,
    ReferralReason,
    ReferralStatus,
)

STATUS: dict[str, Any] = {
    ReferralStatus.PENDING: _l("Pending"),
    ReferralStatus.COMPLETED: _l("Completed"),
    ReferralStatus.REJECTED: _l("Rejected"),
    ReferralStatus.EXPIRED: _l("Expired"),
}

REASON: dict[str, Any] = {
    ReferralReason.SELF_USER: _l("The advocate's own account"),
    ReferralReason.SELF_CUSTOMER: _l("The advocate's own customer record"),
    ReferralReason.SELF_EMAIL: _l("The advocate's own email address (another spelling of it)"),
    ReferralReason.SELF_NAME: _l("The same name as the advocate"),
    ReferralReason.SELF_ORDER: _l("An order placed by the advocate"),
    ReferralReason.ALREADY_REFERRED: _l("This friend was already referred"),
    ReferralReason.NOT_NEW: _l("Already a member before the referral"),
    ReferralReason.NOT_FIRST_ORDER: _l("Not the friend's first order"),
    ReferralReason.BELOW_MINIMUM: _l("The first order was below the minimum"),
    ReferralReason.LOOP: _l("The friend had referred the advocate"),
    ReferralReason.CAP_REACHED: _l("The advocate's limit for the period was reached"),
    ReferralReason.BY_TEAM: _l("Rejected by the team after review"),
}

METHOD: dict[str, Any] = {
    ReferralMethod.LINK: _l("Link"),
    ReferralMethod.CODE: _l("Code"),
    ReferralMethod.ORDER: _l("Store order"),
}

COMPLETES: dict[str, Any] = {
    ReferralCompletes.ON_SIGNUP: _l("When the friend joins"),
    ReferralCompletes.ON_FIRST_PURCHASE: _l("When the friend's first order reaches the minimum"),
}

CAP_PERIOD: dict[str, Any] = {
    ReferralCapPeriod.DAY: _l("per day"),
    ReferralCapPeriod.WEEK: _l("per week"),
    ReferralCapPeriod.MONTH: _l("per month"),
    ReferralCapPeriod.YEAR: _l("per year"),
}


def status(value: str) -> str:
    return str(STATUS.get(value, value))


def reason(value: str | None) -> str:
    return str(REASON.get(value, value)) if value else ""
