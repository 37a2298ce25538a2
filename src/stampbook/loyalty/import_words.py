"""A customer import in words: its status, and why a row was not applied (stored as codes,
said at display time in the reader's language, on the pages and in the API's ``detail``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from stampbook.core import wording
from stampbook.loyalty.import_rules import Reason
from stampbook.loyalty.models import ImportStatus

STATUS_WORDS: dict[str, Any] = {
    ImportStatus.QUEUED: _l("waiting to start"),
    ImportStatus.RUNNING: _l("importing"),
    ImportStatus.DONE: _l("done"),
    ImportStatus.FAILED: _l("stopped"),
}

REASON_WORDS: dict[str, Any] = {
    Reason.COLUMNS_INVALID: _l("The row has more cells than the header has columns."),
    Reason.IDENTIFIER_MISSING: _l("The row has no identifier."),
    Reason.IDENTIFIER_INVALID: _l(
        "The identifier is longer than 100 characters or holds control characters."
    ),
    Reason.EMAIL_INVALID: _l("The email is not a valid address."),
    Reason.EXTERNAL_ID_INVALID: _l(
        "The external id is longer than 100 characters or holds control characters."
    ),
    Reason.NAME_INVALID: _l("A name is longer than 100 characters or holds control characters."),
    Reason.POINTS_INVALID: _l("The points are not a whole number from 0 up."),
    Reason.MODE_INVALID: _l("The mode is neither add nor set."),
    Reason.CUSTOMER_MISSING: _l("The row names no customer: give an email or an external id."),
    Reason.CUSTOMER_CONFLICT: _l(
        "The customer with this email has another external id: nothing was changed."
    ),
    Reason.EMAIL_TAKEN: _l("Another customer of this program has this email."),
    Reason.MEMBERSHIP_NOT_ACTIVE: _l("This customer's membership is not active."),
    Reason.BALANCE_LIMIT: _l("The balance would exceed its maximum."),
}


def reason_words(code: str) -> str:
    """Why a row was not applied, in the reader's language."""
    said = REASON_WORDS.get(code)
    return str(said) if said is not None else code


def error_words(code: str | None) -> str:
    """Why an import stopped (an error code of ``core.wording``), or "" for none."""
    return "" if code is None else wording.text(code, {})
