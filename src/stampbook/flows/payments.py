"""Online payments across domains (issue 18): the provider's webhook reaches events' seats and
consultations' bookings, and a booking's checkout uses events' provider adapter, which
consultations (below events) cannot import.

The webhook (``receive``): ``events.paying`` checks the signature on the raw bytes (401, the
body unread), reads the event and logs its id once (a delivery seen before answers what it did
the first time); then the session's or charge's ``metadata.kind`` routes it, in the same
transaction: ``booking`` to ``consultations.paying``, anything else to ``events.paying`` (its
sessions made before bookings could be paid say no kind). A charge with no metadata goes to the
booking its payment intent paid, if one did.

For a booking: ``checkout.session.completed`` with ``payment_status`` ``paid`` and
``checkout.session.async_payment_succeeded`` confirm the payment once (the payment intent is
the unique reference); ``async_payment_failed`` is logged and changes nothing;
``checkout.session.expired`` changes nothing (a booking has no hold); ``charge.refunded``
records the refund. A payment that comes after the booking was cancelled or paid otherwise is
refunded in full through the provider after the commit (``refund_late_booking_payment``, tried
again every 15 minutes by ``retry_late_booking_refunds`` while the provider cannot take it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from stampbook.accounts.models import User
from stampbook.consultations import paying as booking_paying
from stampbook.consultations import queries as consultations_queries
from stampbook.core import clock, unit_of_work
from stampbook.core.errors import Conflict
from stampbook.core.jobs import job
from stampbook.events import checkout, paying
from stampbook.events.schemas import PaymentDeliveryOut

logger = logging.getLogger(__name__)

NO_BOOKING = "no_booking"
SESSION_EXPIRED = "session_expired"
RETRY_BATCH = 50
# A booking's session is asked for again after this (the same one within it: a double click).
SESSION_WINDOW = timedelta(hours=12)


def receive(
    raw: bytes, signature: str | None, *, now: datetime | None = None
) -> PaymentDeliveryOut:
    """Check, log once and apply one delivery of the provider's webhook; the answer for it."""
    now = now or clock.now()
    delivery = paying.verified(raw, signature, now)
    claimed = paying.claim(delivery, now)
    if claimed is None:
        return paying.first_answer(delivery.delivery_id)
    if delivery.event_type in paying.HANDLED and _for_booking(delivery.resource):
        return paying.logged(claimed, delivery, _apply_to_booking(delivery, now))
    outcome, registration_id = paying.apply(delivery.event_type, delivery.resource, now)
    return paying.logged(claimed, delivery, outcome, registration_id)


def _for_booking(resource: Mapping[str, Any]) -> bool:
    kind = checkout.kind_of(resource)
    if kind is not None:
        return kind == checkout.BOOKING
    if checkout.registration_of(resource) is not None:
        return False
    intent = checkout.text_of(resource, "payment_intent")
    paid = booking_paying.booking_paid_by(checkout.PROVIDER, intent) if intent else None
    return paid is not None


def _apply_to_booking(delivery: paying.Delivery, now: datetime) -> str:
    resource, event_type = delivery.resource, delivery.event_type
    intent = checkout.text_of(resource, "payment_intent")
    booking_id = checkout.booking_of(resource) or (
        booking_paying.booking_paid_by(checkout.PROVIDER, intent) if intent else None
    )
    if booking_id is None:
        return NO_BOOKING
    if event_type == paying.ASYNC_FAILED:
        return paying.PAYMENT_FAILED
    if event_type == paying.EXPIRED:
        return SESSION_EXPIRED
    if event_type == paying.REFUNDED:
        refunded = checkout.int_of(resource, "amount_refunded")
        currency = checkout.text_of(resource, "currency", 3)
        if intent is None or refunded is None or currency is None:
            return paying.UNREADABLE
        return booking_paying.record_refund(
            booking_id,
            provider=checkout.PROVIDER,
            intent=intent,
            refunded=refunded,
            currency=currency,
            now=now,
        )
    # completed, or a delayed method's async_payment_succeeded
    if resource.get("payment_status") != "paid":
        return paying.NOT_PAID
    reference = intent or checkout.text_of(resource, "id")
    amount = checkout.int_of(resource, "amount_total")
    currency = checkout.text_of(resource, "currency", 3)
    if reference is None or amount is None or currency is None:
        return paying.UNREADABLE
    outcome, late_payment_id = booking_paying.confirm(
        booking_id,
        provider=checkout.PROVIDER,
        reference=reference,
        amount=amount,
        currency=currency,
        now=now,
    )
    if late_payment_id is not None:
        unit_of_work.after_commit(lambda: refund_late_booking_payment.enqueue(late_payment_id))
    return outcome


# --- A booking's checkout -------------------------------------------------------------------


def start_booking_checkout(
    actor: User,
    booking_id: int,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime | None = None,
) -> tuple[checkout.Session, bool]:
    """A Checkout Session for what the member's booking has left to pay (the same one for a
    second ask within its window), and whether it is new. Refused: ``payments_unavailable``,
    ``booking_not_booked``, ``booking_payment_not_due``."""
    now = now or clock.now()
    booking, due = booking_paying.due_for(actor, booking_id)
    if not checkout.configured():
        raise Conflict(code="payments_unavailable")
    name = consultations_queries.host_names([booking.host_id]).get(booking.host_id, "")
    window = int(now.timestamp() // SESSION_WINDOW.total_seconds())
    # Ends with the window it is kept for (a later ask makes another), within Stripe's bounds.
    ends = datetime.fromtimestamp((window + 1) * SESSION_WINDOW.total_seconds(), now.tzinfo)
    form = checkout.session_form(
        booking_id=booking.id,
        amount=due,
        currency=booking.currency,
        name=name or "Consultation",
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=checkout.session_expiry(ends, now),
    )
    key = f"checkout-booking-{booking.id}-{window}-{due}"
    return paying.create_session(form, key, checkout.BOOKING, booking.id)


# --- Late payments' refunds -----------------------------------------------------------------


@job
def refund_late_booking_payment(payment_id: int) -> None:
    """Refund a payment that came after its booking was cancelled or paid (after the commit)."""
    refund_late_booking(payment_id)


def refund_late_booking(payment_id: int) -> bool:
    """Ask the provider to refund the payment in full, once (the Idempotency-Key is the
    payment intent's); True when it took it."""
    payment = booking_paying.late_payment(payment_id)
    if payment is None:
        return False
    reference = payment.provider_reference
    answer = checkout.refund(reference, f"refund-{reference}")
    already = isinstance(answer, checkout.Refused) and answer.code == "charge_already_refunded"
    if isinstance(answer, checkout.Refunded) or already:
        booking_paying.refund_taken(payment)
        return True
    logger.warning("refund of late booking payment %s not taken: %s", payment.id, answer)
    return False


def retry_late_booking_refunds() -> int:
    """The job: late booking payments whose refund is still owed; how many were taken."""
    due = booking_paying.late_payments_due(RETRY_BATCH)
    return sum(1 for payment_id in due if refund_late_booking(payment_id))
