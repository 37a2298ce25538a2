"""Paying a consultation online (issue 18): what a booking owes, and what the online payments
provider's confirmations and refunds do to it. No provider here: ``flows.payments`` makes the
Checkout Session (through ``events.checkout``, which consultations sit below) and routes the
provider's webhook events whose ``metadata.kind`` is ``booking`` to these functions, in the
webhook's transaction.

Each works under the booking's row lock (``SELECT ... FOR UPDATE``; SQLite's writes are one at
a time), so two deliveries of the same confirmation at once record one payment: the second
finds the first's row (``provider_reference``, the payment intent, is unique per provider).

- A **confirmation** records a ``succeeded`` payment; the booking is ``paid`` once its
  payments reach its cost, and ``payment.received`` is recorded. One that comes for a booking
  cancelled meanwhile or paid otherwise (at the desk) is recorded ``refund_due`` and refunded
  in full by ``flows.payments``; one whose refund came first is recorded ``refunded``.
- A **refund** (``charge.refunded``) is a negative row for what the charge's cumulative
  ``amount_refunded`` adds (``{intent}:refund:{amount}``, once per amount); recorded before its
  confirmation if it comes first (out of order). The net of the booking's payments decides,
  in either order: refunded in full, the booking's payment status is ``refunded`` (the booking
  itself stays: the host or the team cancel it if they mean to); a partial refund is recorded
  only. Late payments and their refunds never change the booking.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.consultations import queries
from stampbook.consultations.models import (
    Booking,
    BookingPayment,
    ConsultationPayment,
    ConsultationStatus,
)
from stampbook.consultations.policy import BookingAction
from stampbook.core import money, outbox
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.occurrences import OccurrenceType

# What a webhook event did to a booking (the provider's delivery log keeps it).
CONFIRMED = "confirmed"
PARTLY_PAID = "partly_paid"
ALREADY_RECORDED = "already_recorded"
LATE_REFUNDING = "late_refunding"
REFUNDED_FIRST = "refunded_first"
REFUND_RECORDED = "refund_recorded"
BOOKING_REFUNDED = "booking_refunded"

SUCCEEDED = "succeeded"
REFUND_DUE = "refund_due"
REFUND_TAKEN = "refunded"


def online() -> bool:
    """Whether online payments are set up: the settings ``events.checkout.configured`` reads
    (consultations sit below events and do not import it)."""
    config = current_app.config
    return bool(config.get("PAYMENTS_SECRET_KEY") and config.get("PAYMENTS_WEBHOOK_SECRET"))


def payable(booking: Booking) -> bool:
    """Whether its member may pay this booking online now."""
    return (
        online()
        and booking.status == ConsultationStatus.BOOKED
        and booking.payment_status == ConsultationPayment.UNPAID
        and bool(booking.session_cost_minor)
    )


def _rows(booking_id: int) -> list[BookingPayment]:
    return list(
        db.session.scalars(
            select(BookingPayment)
            .where(BookingPayment.booking_id == booking_id)
            .order_by(BookingPayment.id)
        )
    )


def _intent(reference: str) -> str:
    return reference.split(":refund:", 1)[0]


def _net(booking_id: int) -> tuple[int, bool]:
    """The booking's net paid and whether a refund counts in it, leaving out late payments
    (refunded on their own) and their refunds."""
    rows = _rows(booking_id)
    late = {r.provider_reference for r in rows if r.amount > 0 and r.status != SUCCEEDED}
    counted = [r.amount for r in rows if _intent(r.provider_reference) not in late]
    return sum(counted), any(amount < 0 for amount in counted)


def due_for(actor: User, booking_id: int) -> tuple[Booking, int]:
    """The member's booking and what is left to pay online; refused when nothing is due:
    ``booking_not_booked`` (cancelled or over), ``booking_payment_not_due`` (free, paid,
    refunded)."""
    booking = queries.load_booking(actor, booking_id, BookingAction.PAY)
    if booking.status != ConsultationStatus.BOOKED:
        raise Conflict(code="booking_not_booked")
    if booking.payment_status != ConsultationPayment.UNPAID or not booking.session_cost_minor:
        raise Conflict(code="booking_payment_not_due")
    due = booking.session_cost_minor - _net(booking.id)[0]
    if due <= 0:
        raise Conflict(code="booking_payment_not_due")
    return booking, due


def lock(booking_id: int) -> Booking | None:
    """The booking, its row locked and read afresh."""
    return db.session.scalars(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def booking_paid_by(provider: str, intent: str) -> int | None:
    """The booking a payment intent paid (a charge that names nothing in its metadata)."""
    return db.session.scalar(
        select(BookingPayment.booking_id).where(
            BookingPayment.provider == provider, BookingPayment.provider_reference == intent
        )
    )


def _refunds_of(provider: str, intent: str) -> int:
    """What the refunds recorded for a payment intent gave back (a positive amount)."""
    amounts = db.session.scalars(
        select(BookingPayment.amount).where(
            BookingPayment.provider == provider,
            BookingPayment.provider_reference.startswith(f"{intent}:refund:", autoescape=True),
        )
    ).all()
    return -sum(amounts)


def announce_paid(booking: Booking, channel: str) -> None:
    """``payment.received``: the booking is paid (online, or recorded by the team)."""
    outbox.record(
        OccurrenceType.PAYMENT_RECEIVED,
        shop_id=booking.shop_id,
        user_id=booking.user_id,
        kind="booking",
        amount=money.from_minor(booking.session_cost_minor or 0, booking.currency),
        currency=booking.currency,
        channel=channel,
        booking_id=booking.id,
        host_id=booking.host_id,
    )


def confirm(
    booking_id: int,
    *,
    provider: str,
    reference: str,
    amount: int,
    currency: str,
    now: datetime,
) -> tuple[str, int | None]:
    """A confirmed payment for the booking; the outcome, and the payment's id when it must be
    refunded (it came late)."""
    booking = lock(booking_id)
    if booking is None:
        return "no_booking", None
    found = db.session.scalar(
        select(BookingPayment.id).where(
            BookingPayment.provider == provider, BookingPayment.provider_reference == reference
        )
    )
    if found is not None:
        return ALREADY_RECORDED, None
    late = (
        booking.status == ConsultationStatus.CANCELLED
        or booking.payment_status != ConsultationPayment.UNPAID
    )
    refunded_first = _refunds_of(provider, reference) > 0
    payment = BookingPayment(
        booking_id=booking.id,
        user_id=booking.user_id,
        shop_id=booking.shop_id,
        amount=amount,
        currency=currency.upper(),
        channel="online",
        status=(REFUND_TAKEN if refunded_first else REFUND_DUE) if late else SUCCEEDED,
        provider=provider,
        provider_reference=reference,
        paid_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    if late:
        return (REFUNDED_FIRST, None) if refunded_first else (LATE_REFUNDING, payment.id)
    _settle(booking)
    paid = booking.payment_status == ConsultationPayment.PAID
    return (CONFIRMED if paid else PARTLY_PAID), None


def record_refund(
    booking_id: int,
    *,
    provider: str,
    intent: str,
    refunded: int,
    currency: str,
    now: datetime,
) -> str:
    """A charge refunded up to ``refunded`` (cumulative): the part not recorded yet."""
    booking = lock(booking_id)
    if booking is None:
        return "no_booking"
    recorded = _refunds_of(provider, intent)
    if refunded <= recorded:
        return ALREADY_RECORDED
    db.session.add(
        BookingPayment(
            booking_id=booking.id,
            user_id=booking.user_id,
            shop_id=booking.shop_id,
            amount=-(refunded - recorded),
            currency=currency.upper(),
            channel="online",
            status=REFUND_TAKEN,
            provider=provider,
            provider_reference=f"{intent}:refund:{refunded}",
            paid_at=now,
        )
    )
    db.session.flush()
    return _settle(booking) or REFUND_RECORDED


def _settle(booking: Booking) -> str | None:
    """The booking's payment status from the net of its payments (its row locked): paid once
    the net reaches the cost (nothing refunded), refunded once refunds took it back to
    nothing. Returns BOOKING_REFUNDED when it marked it refunded."""
    net, refunded = _net(booking.id)
    cost = booking.session_cost_minor or 0
    if not refunded and net >= cost:
        if (
            booking.payment_status == ConsultationPayment.UNPAID
            and booking.status != ConsultationStatus.CANCELLED
        ):
            booking.payment_status = ConsultationPayment.PAID
            db.session.flush()
            announce_paid(booking, "online")
        return None
    if refunded and net <= 0 and booking.payment_status != ConsultationPayment.REFUNDED:
        booking.payment_status = ConsultationPayment.REFUNDED
        db.session.flush()
        return BOOKING_REFUNDED
    return None


def late_payment(payment_id: int) -> BookingPayment | None:
    """A late payment still owed back, its row locked; None when it is not (any more)."""
    payment = db.session.scalars(
        select(BookingPayment)
        .where(BookingPayment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    return payment if payment is not None and payment.status == REFUND_DUE else None


def refund_taken(payment: BookingPayment) -> None:
    payment.status = REFUND_TAKEN
    db.session.flush()


def late_payments_due(limit: int) -> list[int]:
    return list(
        db.session.scalars(
            select(BookingPayment.id)
            .where(BookingPayment.status == REFUND_DUE)
            .order_by(BookingPayment.id)
            .limit(limit)
        )
    )
