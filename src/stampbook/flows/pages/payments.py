"""Paying a consultation online from its page: the "Pay online" button of the booking's page
(``consultations``) sends the member to the provider's checkout through ``flows.payments``
(consultations cannot reach the provider's adapter, which is events')."""

from __future__ import annotations

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.consultations import queries as consultations_queries
from stampbook.consultations.policy import BookingAction
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import payments
from stampbook.ui.helpers import attempt

bp = PageBlueprint("payment_pages", __name__)


@bp.post("/consultations/<int:booking_id>/pay")
@route(Access.USER, action=BookingAction.PAY)
def pay_booking(booking_id: int) -> Response:
    """Send the member to the provider's checkout for their unpaid consultation; they come
    back to its page, which says "payment received" once the provider's webhook confirmed it."""
    consultations_queries.load_booking(current_user(), booking_id, BookingAction.PAY)
    back = url_for("consultation_pages.booking", booking_id=booking_id, _external=True)
    made = attempt(
        lambda: payments.start_booking_checkout(
            me(), booking_id, success_url=f"{back}?checkout=returned", cancel_url=back
        )
    )
    if isinstance(made, tuple):
        return redirect(made[0].url, code=303)
    flash(made.detail, "danger")
    return redirect(url_for("consultation_pages.booking", booking_id=booking_id))
