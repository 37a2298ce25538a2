"""The online payments' API routes (``flows.payments``), added to the flows' blueprint
(``api.py`` calls :func:`add_routes`): the provider's webhook, which reaches events and
consultations, and a member's checkout of their unpaid seat or booking. Each keeps the
documentation tag of the resource it acts on."""

from __future__ import annotations

from flask import request, url_for
from pydantic import BaseModel, Field
from werkzeug.exceptions import RequestEntityTooLarge

from stampbook.accounts.auth import me
from stampbook.consultations import queries as consultations_queries
from stampbook.consultations.policy import BookingAction
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.events import checkout, paying
from stampbook.events import queries as events_queries
from stampbook.events.policy import EventAction
from stampbook.events.schemas import PaymentDeliveryOut
from stampbook.flows import payments

REFUSALS = (
    "409 payments_unavailable (online payments are not set up), {over}, {not_due}; 503 "
    "payments_unavailable when the provider cannot be reached (try again)."
)


class CheckoutOut(BaseModel):
    session_id: str = Field(description="The provider's Checkout Session (`cs_...`).")
    url: str = Field(description="Where to send the member to pay (the provider's page).")


def _answer(made: tuple[checkout.Session, bool]) -> tuple[CheckoutOut, int]:
    session, new = made
    return CheckoutOut(session_id=session.session_id, url=session.url), 201 if new else 200


def add_routes(bp: ApiBlueprint) -> None:
    @bp.post("/payments/stripe/webhooks")
    @route(Access.PUBLIC)
    @bp.output(PaymentDeliveryOut)
    @bp.doc(
        summary="The online payments provider's webhooks (Stripe's shape)",
        description=(
            "Called by the provider, not by people: no token. A body over 1 MiB is refused "
            '(413); then `Stripe-Signature` (`t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{raw '
            'body}">`, keyed with PAYMENTS_WEBHOOK_SECRET, within 5 minutes of t) must match '
            "the raw body: 401 payments_signature_invalid otherwise, and nothing happens. An "
            "event counts once per id (`evt_...`): sent again it answers 200 with `duplicate`. "
            "The session's `metadata.kind` says what it pays for: `registration` (an event's "
            "seat; the default) or `booking` (a consultation). checkout.session.completed "
            "(paid) and checkout.session.async_payment_succeeded confirm a payment once; "
            "checkout.session.async_payment_failed is recorded only; checkout.session.expired "
            "releases a seat's expired holds; charge.refunded records a refund; other types "
            "answer 200 and are ignored."
        ),
        tags=["Events"],
        responses=[400, 401, 413],
    )
    def receive_payments_webhook() -> PaymentDeliveryOut:
        if paying.too_large(request.content_length):
            raise RequestEntityTooLarge()
        raw = request.get_data(cache=True)
        if paying.too_large(len(raw)):
            raise RequestEntityTooLarge()
        return payments.receive(raw, request.headers.get(checkout.SIGNATURE_HEADER))

    @bp.post("/registrations/<int:registration_id>/checkout")
    @route(
        Access.USER,
        action=EventAction.REGISTRATION_PAY,
        subject=events_queries.load_registration,
        idempotent=True,
    )
    @bp.output(CheckoutOut, status_code=201)
    @bp.doc(
        summary="Pay my unpaid seat online: a Checkout Session for what is left to pay",
        description=(
            "The seat's own person only (the team records payments by hand: 403). 201 with "
            "a new session, 200 with the same one asked again for the same hold and amount. "
            "The member comes back to their ticket page. "
            + REFUSALS.format(
                over="registration_over (cancelled, or its hold ended and the seat passed on)",
                not_due="payment_not_due (free, or paid already)",
            )
        ),
        tags=["Events"],
        responses=[403, 404, 409, 503],
    )
    def checkout_registration(registration_id: int) -> tuple[CheckoutOut, int]:
        back = url_for("event_pages.ticket", registration_id=registration_id, _external=True)
        return _answer(
            paying.start_session(
                me(), registration_id, success_url=f"{back}?checkout=returned", cancel_url=back
            )
        )

    @bp.post("/bookings/<int:booking_id>/checkout")
    @route(
        Access.USER,
        action=BookingAction.PAY,
        subject=consultations_queries.load_booking,
        idempotent=True,
    )
    @bp.output(CheckoutOut, status_code=201)
    @bp.doc(
        summary="Pay my consultation online: a Checkout Session for what is left to pay",
        description=(
            "The booking's member only (the host and the team record payments: 403). 201 "
            "with a new session, 200 with the same one asked again. The member comes back "
            "to the consultation's page. "
            + REFUSALS.format(
                over="booking_not_booked (cancelled or over)",
                not_due="booking_payment_not_due (free, paid or refunded)",
            )
        ),
        tags=["Consultations"],
        responses=[403, 404, 409, 503],
    )
    def checkout_booking(booking_id: int) -> tuple[CheckoutOut, int]:
        back = url_for("consultation_pages.booking", booking_id=booking_id, _external=True)
        return _answer(
            payments.start_booking_checkout(
                me(), booking_id, success_url=f"{back}?checkout=returned", cancel_url=back
            )
        )
