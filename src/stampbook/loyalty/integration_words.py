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
from stampbook.programs.words import PointsNamed, points
from stampbook.ui.words import _

OUTCOME_WORDS: dict[str, Any] = {
    DeliveryOutcome.PENDING: _l("waiting"),
    DeliveryOutcome.PROCESSED: _l("done"),
    DeliveryOutcome.IGNORED: _l("ignored"),
    DeliveryOutcome.REFUSED: _l("refused"),
    DeliveryOutcome.FAILED: _l("failed"),
}


def _points(params: Mapping[str, Any], named: PointsNamed | None) -> str:
    value = params.get("points")
    return points(value if isinstance(value, int) else 0, named)


# Each note from the delivery's parameters and its program (whose names for its points are said).
NOTES: dict[str, Callable[[Mapping[str, Any], PointsNamed | None], str]] = {
    codes.UNKNOWN_TOPIC: lambda p, n: _("A topic stampbook does not act on."),
    codes.ORDER_CREATED: lambda p, n: _("A new order earns nothing until it is paid."),
    codes.TEST_ORDER: lambda p, n: _("A test order: it earns nothing."),
    codes.NO_CUSTOMER: lambda p, n: _("The order names no customer: nobody earns from it."),
    codes.NOT_CANCELLED: lambda p, n: _("The order is not cancelled: nothing was taken back."),
    codes.ORDER_EARNED: lambda p, n: _("The order earned %(points)s.", points=_points(p, n)),
    codes.ORDER_CANCELLED: lambda p, n: _(
        "The order is cancelled: what it still held is taken back."
    ),
    codes.REFUND_APPLIED: lambda p, n: _("The refund took back %(points)s.", points=_points(p, n)),
    codes.REFUND_PARKED: lambda p, n: _("The refund waits for its order to arrive."),
    codes.SIGNUP_CREDITED: lambda p, n: _(
        "The new customer got %(points)s for signing up.", points=_points(p, n)
    ),
    codes.NO_SIGNUP_RULE: lambda p, n: _("The customer is added; the program has no signup rule."),
    codes.CUSTOMER_UPDATED: lambda p, n: _("The customer's email is up to date."),
    codes.UNKNOWN_CUSTOMER: lambda p, n: _("A customer this program does not know yet."),
    codes.CLAIMED_CUSTOMER: lambda p, n: _("The customer has an account: its email is their own."),
    codes.STALE_UPDATE: lambda p, n: _(
        "An older update of the customer than one already applied: nothing changed."
    ),
    codes.DISCONNECTED: lambda p, n: _("The app was uninstalled: the store is disconnected."),
}


def delivery_note(
    outcome: str, code: str | None, params: Mapping[str, Any], named: PointsNamed | None = None
) -> str:
    """What the delivery did, or why not, in the viewer's language ("" for nothing to say);
    ``named``: the program its store earns in."""
    if code is None:
        return ""
    if outcome in (DeliveryOutcome.REFUSED, DeliveryOutcome.FAILED, DeliveryOutcome.PENDING):
        return wording.text(code, params)
    said = NOTES.get(code)
    return said(params, named) if said is not None else ""
