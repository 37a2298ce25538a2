"""Online payments for paid seats (issue 18), through the Stripe Checkout-shaped provider of
``events.checkout``: the member's checkout, and the provider's webhooks.

The checkout (``start_checkout``): an unpaid seat still held gets a Checkout Session for what
is left to pay, ending with the hold (within Stripe's bounds); the member is sent to its
``url`` and comes back to their ticket page, which says "payment received" once the webhook
has confirmed it. One session per seat and hold: the ``Idempotency-Key`` names both, so a
second click gets the same session.

The webhook (``receive``), in this order: the raw body's ``Stripe-Signature`` is checked
first (401 ``payments_signature_invalid``, nothing written); then the body is parsed (400); then the
delivery is logged once per provider and event id (``evt_...``, an ``INSERT ... ON CONFLICT
DO NOTHING``): a delivery sent again changes nothing and answers ``duplicate``. Its work is
done in the same transaction (a failure rolls the log back too, and the provider retries):

- ``checkout.session.completed`` with ``payment_status`` ``paid``: under the event's row
  lock, a payment row (``online``, provider ``stripe``, the payment intent as its unique
  reference: a second confirmation of the same payment finds it and does nothing); the seat is
  paid once the payments reach the price. **A payment that comes after the seat was released
  and passed on** (the expiry job took the event's lock first), or for a seat paid already
  (cash at the door meanwhile), is recorded and refunded in full through the provider
  (``refund_due``, then ``refunded`` once the provider took the refund; a refund the
  provider could not take is tried again by ``retry_late_refunds``): the person is not
  seated again, nobody loses the seat they were given. Whichever of the expiry and the
  payment locks the event's row first decides, so there is one outcome: a seat whose hold
  ended but was not released yet is still theirs, and the payment keeps it.
- ``checkout.session.expired``: the event's expired holds are released (the session may end
  before a hold longer than a day: then the seat stays held and the member may pay again).
- ``charge.refunded``: a negative payment row for what the charge's ``amount_refunded`` adds
  to the refunds recorded (once per cumulative amount). **Out of order**: a refund that comes
  before its confirmation is recorded at once against the registration its charge names
  (``metadata.registration_id``); the confirmation, when it comes, records the payment, and
  the net (not the payment alone) decides: a registered seat refunded in full (its net
  nothing) is cancelled (reason ``refunded``, payment status ``refunded``) and passes to the
  waiting list; a partial refund is recorded only. Either order ends in the same rows and the
  same state.
- any other type: 200, logged as ``ignored``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from stampbook.accounts.models import User
from stampbook.core import clock, unit_of_work
from stampbook.core.db import db
from stampbook.core.errors import (
    AppError,
    Conflict,
    ServiceUnavailable,
    Unauthorized,
)
from stampbook.core.jobs import job
from stampbook.core.schemas import read_json
from stampbook.events import checkout, queries, registering
from stampbook.events.models import Event, Payment, PaymentDelivery, Registration
from stampbook.events.policy import EventAction
from stampbook.events.rules import SEATED, PaymentStatus, RegistrationStatus
from stampbook.events.schemas import PaymentDeliveryOut

logger = logging.getLogger(__name__)

COMPLETED = "checkout.session.completed"
EXPIRED = "checkout.session.expired"
REFUNDED = "charge.refunded"

# What a delivery did (``payment_deliveries.outcome``).
CONFIRMED = "confirmed"
PARTLY_PAID = "partly_paid"
NOT_PAID = "not_paid"
ALREADY_RECORDED = "already_recorded"
LATE_REFUNDING = "late_refunding"
REFUNDED_FIRST = "refunded_first"
REFUND_RECORDED = "refund_recorded"
SEAT_REFUNDED = "seat_refunded"
RELEASED = "released"
HOLD_KEPT = "hold_kept"
NO_REGISTRATION = "no_registration"
UNREADABLE = "unreadable"
IGNORED = "ignored"

# A late payment's row while its refund is owed, and once the provider took it.
REFUND_DUE = "refund_due"
REFUND_TAKEN = "refunded"
RETRY_BATCH = 50


# --- The member's checkout -----------------------------------------------------------------


def paid_so_far(registration_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.registration_id == registration_id
            )
        )
        or 0
    )


def payable(registration: Registration, event: Event) -> bool:
    """Whether the member may pay this seat online now."""
    return (
        checkout.configured()
        and event.price > 0
        and registration.status == RegistrationStatus.REGISTERED
        and registration.payment_status == PaymentStatus.UNPAID
        and registration.hold_expires_at is not None
    )


def start_checkout(
    actor: User,
    registration_id: int,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime | None = None,
) -> str:
    """A Checkout Session for the member's unpaid seat; returns the URL to send them to."""
    now = now or clock.now()
    registration = queries.load_registration_for(
        actor, registration_id, EventAction.REGISTRATION_PAY
    )
    if not checkout.configured():
        raise Conflict(code="payments_unavailable")
    event = queries.load_event(registration.event_id)
    registering.release_expired(event, now)
    db.session.refresh(registration)
    if not payable(registration, event) or registration.hold_expires_at is None:
        raise Conflict(code="payment_not_due")
    due = event.price - paid_so_far(registration.id)
    if due <= 0:
        raise Conflict(code="payment_not_due")
    hold = registration.hold_expires_at
    form = checkout.session_form(
        registration_id=registration.id,
        amount=due,
        currency=event.currency,
        name=event.title,
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=checkout.session_expiry(hold, now),
    )
    key = f"checkout-{registration.id}-{int(hold.timestamp())}-{due}"
    answer = checkout.create_session(form, key)
    if isinstance(answer, checkout.Session):
        return answer.url
    logger.warning("checkout for registration %s not made: %s", registration.id, answer)
    raise ServiceUnavailable(code="payments_unavailable")


# --- The provider's webhooks ----------------------------------------------------------------


def too_large(content_length: int | None) -> bool:
    return (content_length or 0) > checkout.MAX_BODY_BYTES


def receive(
    raw: bytes, signature: str | None, *, now: datetime | None = None
) -> PaymentDeliveryOut:
    """Check, log once and apply one delivery; the answer for the provider."""
    now = now or clock.now()
    # Looked up through the module, so that a test can tell whether it was computed at all.
    if not checkout.verify(raw, signature, current_app.config.get("PAYMENTS_WEBHOOK_SECRET"), now):
        raise Unauthorized(code="payments_signature_invalid")
    body = read_json(raw, parse_float=Decimal)
    if not isinstance(body, Mapping):
        raise AppError(code="payments_payload_invalid")
    delivery_id = checkout.text_of(body, "id")
    event_type = checkout.text_of(body, "type", 100)
    if delivery_id is None or event_type is None:
        raise AppError(code="payments_payload_invalid")
    claimed = _claim(delivery_id, event_type, now)
    if claimed is None:
        first = db.session.scalars(
            select(PaymentDelivery).where(
                PaymentDelivery.provider == checkout.PROVIDER,
                PaymentDelivery.delivery_id == delivery_id,
            )
        ).one()
        return PaymentDeliveryOut(delivery_id=delivery_id, outcome=first.outcome, duplicate=True)
    resource = checkout.object_of(body)
    outcome, registration_id = _apply(event_type, resource, now)
    delivery = db.session.get(PaymentDelivery, claimed)
    assert delivery is not None
    delivery.outcome, delivery.registration_id = outcome, registration_id
    db.session.flush()
    logger.info("payments webhook %s (%s): %s", delivery_id, event_type, outcome)
    return PaymentDeliveryOut(delivery_id=delivery_id, outcome=outcome, duplicate=False)


def _claim(delivery_id: str, event_type: str, now: datetime) -> int | None:
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(PaymentDelivery)
        .values(
            provider=checkout.PROVIDER,
            delivery_id=delivery_id,
            event_type=event_type,
            outcome="pending",
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["provider", "delivery_id"])
        .returning(PaymentDelivery.id)
    )
    claimed = db.session.execute(statement).scalar()
    return int(claimed) if claimed is not None else None


def _apply(event_type: str, resource: Mapping[str, Any], now: datetime) -> tuple[str, int | None]:
    if event_type not in (COMPLETED, EXPIRED, REFUNDED):
        return IGNORED, None
    registration = _registration(resource)
    if registration is None:
        return NO_REGISTRATION, None
    if event_type == COMPLETED:
        return _completed(registration, resource, now), registration.id
    if event_type == EXPIRED:
        return _expired(registration, now), registration.id
    return _refunded(registration, resource, now), registration.id


def _registration(resource: Mapping[str, Any]) -> Registration | None:
    registration_id = checkout.registration_of(resource)
    if registration_id is None:
        # A charge without our metadata: the payment recorded under its intent names it.
        intent = checkout.text_of(resource, "payment_intent")
        registration_id = (
            db.session.scalar(
                select(Payment.registration_id).where(
                    Payment.provider == checkout.PROVIDER, Payment.provider_reference == intent
                )
            )
            if intent
            else None
        )
    return db.session.get(Registration, registration_id) if registration_id else None


def _locked(registration: Registration) -> Event:
    """The registration's event, its row locked, and the registration read afresh."""
    event = registering.lock_event(registration.event_id)
    db.session.refresh(registration)
    return event


def _completed(registration: Registration, session: Mapping[str, Any], now: datetime) -> str:
    if session.get("payment_status") != "paid":
        return NOT_PAID  # a delayed method: its own later event says paid
    reference = checkout.text_of(session, "payment_intent") or checkout.text_of(session, "id")
    amount = checkout.int_of(session, "amount_total")
    currency = checkout.text_of(session, "currency", 3)
    if reference is None or amount is None or currency is None:
        return UNREADABLE
    event = _locked(registration)
    found = db.session.scalar(
        select(Payment.id).where(
            Payment.provider == checkout.PROVIDER, Payment.provider_reference == reference
        )
    )
    if found is not None:
        return ALREADY_RECORDED
    late = registration.status not in SEATED or registration.payment_status != PaymentStatus.UNPAID
    # Refunded before this confirmation came (out of order): nothing more to give back.
    refunded_first = _refunds_of(reference) > 0
    payment = Payment(
        registration_id=registration.id,
        user_id=registration.user_id,
        event_id=event.id,
        amount=amount,
        currency=currency.upper(),
        channel="online",
        status=(REFUND_TAKEN if refunded_first else REFUND_DUE) if late else "succeeded",
        provider=checkout.PROVIDER,
        provider_reference=reference,
        paid_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    if late and not refunded_first:
        payment_id = payment.id
        unit_of_work.after_commit(lambda: refund_late_payment.enqueue(payment_id))
        return LATE_REFUNDING
    if late:
        return REFUNDED_FIRST
    return _settle(registration, event, now) or (
        CONFIRMED if registration.payment_status == PaymentStatus.PAID else PARTLY_PAID
    )


def _expired(registration: Registration, now: datetime) -> str:
    event = queries.load_event(registration.event_id)
    registering.release_expired(event, now)
    db.session.refresh(registration)
    released = (
        registration.status == RegistrationStatus.CANCELLED
        and registration.cancel_reason == "hold_expired"
    )
    return RELEASED if released else HOLD_KEPT


def _refunded(registration: Registration, charge: Mapping[str, Any], now: datetime) -> str:
    intent = checkout.text_of(charge, "payment_intent")
    refunded = checkout.int_of(charge, "amount_refunded")
    currency = checkout.text_of(charge, "currency", 3)
    if intent is None or refunded is None or currency is None:
        return UNREADABLE
    event = _locked(registration)
    prefix = f"{intent}:refund:"
    recorded = _refunds_of(intent)
    if refunded <= recorded:
        return ALREADY_RECORDED
    db.session.add(
        Payment(
            registration_id=registration.id,
            user_id=registration.user_id,
            event_id=event.id,
            amount=-(refunded - recorded),
            currency=currency.upper(),
            channel="online",
            status="refunded",
            provider=checkout.PROVIDER,
            provider_reference=f"{prefix}{refunded}",
            paid_at=now,
        )
    )
    db.session.flush()
    return _settle(registration, event, now) or REFUND_RECORDED


def _refunds_of(intent: str) -> int:
    """What the refunds recorded for a payment intent gave back (a positive amount)."""
    return -int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.provider == checkout.PROVIDER,
                Payment.provider_reference.startswith(f"{intent}:refund:", autoescape=True),
            )
        )
        or 0
    )


def _settle(registration: Registration, event: Event, now: datetime) -> str | None:
    """The seat's payment status from the net of its payments (the event's row locked):
    paid once the net reaches the price (and nothing was refunded); a registered seat refunded
    in full is cancelled (a partial refund is recorded and changes nothing else).
    Returns SEAT_REFUNDED when it cancelled the seat."""
    rows = db.session.scalars(
        select(Payment.amount).where(Payment.registration_id == registration.id)
    ).all()
    net = sum(rows)
    refunded = any(amount < 0 for amount in rows)
    if net >= event.price and not refunded:
        if registration.status in SEATED and registration.payment_status == PaymentStatus.UNPAID:
            registration.payment_status = PaymentStatus.PAID
            registration.hold_expires_at = None
            db.session.flush()
        return None
    if refunded and net <= 0 and registration.status == RegistrationStatus.REGISTERED:
        registering.cancel_refunded(registration, event, now)
        db.session.flush()
        return SEAT_REFUNDED
    return None


# --- Late payments' refunds -----------------------------------------------------------------


@job
def refund_late_payment(payment_id: int) -> None:
    """Refund a payment that came after its seat passed on (queued after the commit)."""
    refund_late(payment_id)


def refund_late(payment_id: int) -> bool:
    """Ask the provider to refund the payment in full, once (the Idempotency-Key is the
    payment intent's); True when it took it. A refusal or an unavailable provider leaves it
    ``refund_due`` for ``retry_late_refunds``."""
    payment = db.session.scalars(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if payment is None or payment.status != REFUND_DUE or payment.provider_reference is None:
        return False
    answer = checkout.refund(payment.provider_reference, f"refund-{payment.provider_reference}")
    already = isinstance(answer, checkout.Refused) and answer.code == "charge_already_refunded"
    if isinstance(answer, checkout.Refunded) or already:
        payment.status = REFUND_TAKEN
        db.session.flush()
        return True
    logger.warning("refund of late payment %s not taken: %s", payment.id, answer)
    return False


def retry_late_refunds() -> int:
    """The job: late payments whose refund is still owed; how many the provider took."""
    due = db.session.scalars(
        select(Payment.id)
        .where(Payment.status == REFUND_DUE)
        .order_by(Payment.id)
        .limit(RETRY_BATCH)
    ).all()
    return sum(1 for payment_id in due if refund_late(payment_id))
