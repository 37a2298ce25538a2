"""A store's webhook log in words: each delivery's outcome, and what it did or why it did
nothing (stored as codes, said at display time in the viewer's language). A refused or
failed delivery carries an error code, said by ``core.wording`` like any other refusal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from stampbook.core import wording
from stampbook.loyalty import webhooks_in as codes
from stampbook.loyalty.models import DeliveryOutcome
from stampbook.ui.words import _, ngettext

OUTCOME_WORDS: dict[str, Any] = {
    DeliveryOutcome.PENDING: _l("waiting"),
    DeliveryOutcome.PROCESSED: _l("done"),
    DeliveryOutcome.IGNORED: _l("ignored"),
    DeliveryOutcome.REFUSED: _l("refused"),
    DeliveryOutcome.FAILED: _l("failed"),
}


def _points(params: Mapping[str, Any]) -> int:
    value = params.get("points")
    return value if isinstance(value, int) else 0


NOTES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    codes.UNKNOWN_TOPIC: lambda p: _("A topic stampbook does not act on."),
    codes.ORDER_CREATED: lambda p: _("A new order earns nothing until it is paid."),
    codes.TEST_ORDER: lambda p: _("A test order: it earns nothing."),
    codes.NO_CUSTOMER: lambda p: _("The order names no customer: nobody earns from it."),
    codes.NOT_CANCELLED: lambda p: _("The order is not cancelled: nothing was taken back."),
    codes.ORDER_EARNED: lambda p: ngettext(
        "The order earned %(num)s point.", "The order earned %(num)s points.", _points(p)
    ),
    codes.ORDER_CANCELLED: lambda p: _("The order is cancelled: what it still held is taken back."),
    codes.REFUND_APPLIED: lambda p: ngettext(
        "The refund took back %(num)s point.", "The refund took back %(num)s points.", _points(p)
    ),
    codes.REFUND_PARKED: lambda p: _("The refund waits for its order to arrive."),
    codes.SIGNUP_CREDITED: lambda p: ngettext(
        "The new customer got %(num)s point for signing up.",
        "The new customer got %(num)s points for signing up.",
        _points(p),
    ),
    codes.NO_SIGNUP_RULE: lambda p: _("The customer is added; the program has no signup rule."),
    codes.CUSTOMER_UPDATED: lambda p: _("The customer's email is up to date."),
    codes.UNKNOWN_CUSTOMER: lambda p: _("A customer this program does not know yet."),
    codes.CLAIMED_CUSTOMER: lambda p: _("The customer has an account: its email is their own."),
    codes.DISCONNECTED: lambda p: _("The app was uninstalled: the store is disconnected."),
}


def delivery_note(outcome: str, code: str | None, params: Mapping[str, Any]) -> str:
    """What the delivery did, or why not, in the viewer's language ("" for nothing to say)."""
    if code is None:
        return ""
    if outcome in (DeliveryOutcome.REFUSED, DeliveryOutcome.FAILED, DeliveryOutcome.PENDING):
        return wording.text(code, params)
    said = NOTES.get(code)
    return said(params) if said is not None else ""
