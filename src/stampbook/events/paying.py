"""Online payments for paid seats (issue 18), through the Stripe Checkout-shaped provider of
``events.checkout``: the member's checkout, and what the provider's webhooks do to seats.
The webhook's route and its dispatch are ``flows.payments`` (its events reach consultations'
bookings too, by ``metadata.kind``); this module checks and logs a delivery for it and applies
those for registrations.

The checkout (``start_checkout``): an unpaid seat still held gets a Checkout Session for what
is left to pay, ending with the hold (within Stripe's bounds); the member is sent to its
``url`` and comes back to their ticket page, which says "payment received" once the webhook
has confirmed it. One session per seat and hold: the ``Idempotency-Key`` names both, so a
second click gets the same session.

The webhook (``flows.payments.receive``), in this order: the raw body's ``Stripe-Signature``
is checked first (401 ``payments_signature_invalid``, nothing written); then the body is
parsed (400); then the delivery is logged once per provider and event id (``evt_...``, an
``INSERT ... ON CONFLICT DO NOTHING``): a delivery sent again changes nothing and answers
``duplicate``. Its work is done in the same transaction (a failure rolls the log back too,
and the provider retries). For a registration:

- ``checkout.session.completed`` with ``payment_status`` ``paid``: under the event's row
  lock, a payment row (``online``, provider ``stripe``, the payment intent as its unique
  reference: a second confirmation of the same payment finds it and does nothing); the seat is
  paid once the payments reach the price, and ``payment.received`` is recorded. **A payment
  that comes after the seat was released and passed on** (the expiry job took the event's
  lock first), or for a seat paid already (cash at the door meanwhile), is recorded and
  refunded in full through the provider
  (``refund_due``, then ``refunded`` once the provider took the refund; a refund the
  provider could not take is tried again by ``retry_late_refunds``): the person is not
  seated again, nobody loses the seat they were given. Whichever of the expiry and the
  payment locks the event's row first decides, so there is one outcome: a seat whose hold
  ended but was not released yet is still theirs, and the payment keeps it.
- ``checkout.session.async_payment_succeeded`` (a delayed method, a bank debit: the session
  was ``completed`` with ``payment_status`` ``unpaid`` first): confirmed exactly as
  ``completed`` and ``paid`` is (the same payment intent: once, whichever comes).
  ``checkout.session.async_payment_failed``: recorded as ``payment_failed`` and nothing
  else (the hold runs its course: the seat is released when it ends, not earlier).
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
from dataclasses import dataclass
from datetime import UTC, datetime
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
from stampbook.events.models import (
    CheckoutSession,
    Event,
    Payment,
    PaymentDelivery,
    Registration,
)
from stampbook.events.policy import EventAction
from stampbook.events.rules import SEATED, PaymentStatus, RegistrationStatus
from stampbook.events.schemas import PaymentDeliveryOut

logger = logging.getLogger(__name__)

COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
REFUNDED = "charge.refunded"

# What a delivery did (``payment_deliveries.outcome``).
CONFIRMED = "confirmed"
PARTLY_PAID = "partly_paid"
NOT_PAID = "not_paid"
PAYMENT_FAILED = "payment_failed"
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
    return start_session(
        actor, registration_id, success_url=success_url, cancel_url=cancel_url, now=now
    )[0].url


def start_session(
    actor: User,
    registration_id: int,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime | None = None,
) -> tuple[checkout.Session, bool]:
    """A Checkout Session for the member's unpaid seat (the same one for the same seat, hold
    and amount: the provider's ``Idempotency-Key``), and whether it is new. Refused:
    ``payments_unavailable``, ``registration_over`` (cancelled, attended, the hold over and
    the seat released), ``payment_not_due`` (free, paid)."""
    now = now or clock.now()
    registration = queries.load_registration_for(
        actor, registration_id, EventAction.REGISTRATION_PAY
    )
    if not checkout.configured():
        raise Conflict(code="payments_unavailable")
    event = queries.load_event(registration.event_id)
    registering.release_expired(event, now)
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.REGISTERED:
        raise Conflict(code="registration_over")
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
    return create_session(form, key, checkout.REGISTRATION, registration.id)


def create_session(
    form: list[tuple[str, str]], key: str, kind: str, subject_id: int
) -> tuple[checkout.Session, bool]:
    """The provider's session for ``key`` (asked once and kept while it lasts), and whether
    it is new. One that ended is asked for again (the provider makes another once its
    idempotency window is over)."""
    now = clock.now()
    expires_at = datetime.fromtimestamp(int(dict(form)["expires_at"]), UTC)
    kept = db.session.scalars(
        select(CheckoutSession).where(
            CheckoutSession.provider == checkout.PROVIDER, CheckoutSession.idempotency_key == key
        )
    ).first()
    if kept is not None and kept.expires_at > now:
        return checkout.Session(session_id=kept.session_id, url=kept.url), False
    answer = checkout.create_session(form, key)
    if not isinstance(answer, checkout.Session):
        logger.warning("checkout for %s %s not made: %s", kind, subject_id, answer)
        raise ServiceUnavailable(code="payments_unavailable")
    if kept is not None:
        new = kept.session_id != answer.session_id
        kept.session_id, kept.url, kept.expires_at = answer.session_id, answer.url, expires_at
        db.session.flush()
        return answer, new
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    made = db.session.execute(
        dialect.insert(CheckoutSession)
        .values(
            provider=checkout.PROVIDER,
            idempotency_key=key,
            session_id=answer.session_id,
            url=answer.url,
            kind=kind,
            subject_id=subject_id,
            expires_at=expires_at,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["provider", "idempotency_key"])
        .returning(CheckoutSession.id)
    ).scalar()
    # A concurrent ask with the same key kept it first: the provider answered the same.
    return answer, made is not None


# --- The provider's webhooks ----------------------------------------------------------------


def too_large(content_length: int | None) -> bool:
    return (content_length or 0) > checkout.MAX_BODY_BYTES


@dataclass(frozen=True)
class Delivery:
    """A webhook event whose signature was checked: its id, type and ``data.object``."""

    delivery_id: str
    event_type: str
    resource: Mapping[str, Any]


def verified(raw: bytes, signature: str | None, now: datetime) -> Delivery:
    """The delivery, once its signature matched: 401 ``payments_signature_invalid`` before
    the body is read at all; 400 for a body that is not an event."""
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
    return Delivery(delivery_id, event_type, checkout.object_of(body))


def first_answer(delivery_id: str) -> PaymentDeliveryOut:
    """What a delivery seen before answers: what its first time did."""
    first = db.session.scalars(
        select(PaymentDelivery).where(
            PaymentDelivery.provider == checkout.PROVIDER,
            PaymentDelivery.delivery_id == delivery_id,
        )
    ).one()
    return PaymentDeliveryOut(delivery_id=delivery_id, outcome=first.outcome, duplicate=True)


def logged(
    claimed: int, delivery: Delivery, outcome: str, registration_id: int | None = None
) -> PaymentDeliveryOut:
    """The claimed delivery's outcome written on its log row; the answer for the provider."""
    row = db.session.get(PaymentDelivery, claimed)
    assert row is not None
    row.outcome, row.registration_id = outcome, registration_id
    db.session.flush()
    logger.info("payments webhook %s (%s): %s", delivery.delivery_id, delivery.event_type, outcome)
    return PaymentDeliveryOut(delivery_id=delivery.delivery_id, outcome=outcome, duplicate=False)


def claim(delivery: Delivery, now: datetime) -> int | None:
    """The delivery's log row, made once per provider and event id (None: seen before)."""
    return _claim(delivery.delivery_id, delivery.event_type, now)


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


HANDLED = frozenset({COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, EXPIRED, REFUNDED})


def apply(event_type: str, resource: Mapping[str, Any], now: datetime) -> tuple[str, int | None]:
    """What a delivery for a registration does; its outcome and the registration."""
    if event_type not in HANDLED:
        return IGNORED, None
    registration = _registration(resource)
    if registration is None:
        return NO_REGISTRATION, None
    if event_type in (COMPLETED, ASYNC_SUCCEEDED):
        return _completed(registration, resource, now), registration.id
    if event_type == ASYNC_FAILED:
        return PAYMENT_FAILED, registration.id
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
            registering.announce_paid(registration, event, net, "online")
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
