"""Registrations: a seat while there is one, else the waiting list; cancellations and the
waiting list's promotion in join order; unpaid holds released when they expire; payments
recorded by the team; no-shows when an event ends.

Seats are counted on the event's row (``events.registered``). A registration takes one with
the guarded ``UPDATE events SET registered = registered + 1 WHERE registered < capacity``:
under concurrency the row's lock orders the updates and the condition is read again after
each, so capacity is never exceeded. Whatever frees a seat (a cancellation, an expired hold,
a larger capacity) locks the event's row first and seats the waiting list in the same
transaction, so nobody joining meanwhile can pass the people in line.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, func, or_, select, update

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.money import from_minor, to_minor
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import record
from stampbook.core.policy import can, require
from stampbook.events import queries, rules
from stampbook.events.models import Event, Payment, Registration
from stampbook.events.policy import EventAction
from stampbook.events.rules import PaymentStatus, RegistrationStatus
from stampbook.events.schemas import EventPaymentIn

_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_TAKE_SEAT = (
    update(_EVENTS)
    .where(
        _EVENTS.c.id == bindparam("event_id"),
        or_(_EVENTS.c.capacity.is_(None), _EVENTS.c.registered < _EVENTS.c.capacity),
    )
    .values(registered=_EVENTS.c.registered + 1)
)
_FREE_SEAT = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"), _EVENTS.c.registered > 0)
    .values(registered=_EVENTS.c.registered - 1)
)


def lock_event(event_id: int) -> Event:
    """The event's row, locked (PostgreSQL) and read afresh: what frees seats goes first."""
    return db.session.scalars(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _take_seat(event: Event) -> bool:
    taken = bool(db.session.execute(_TAKE_SEAT, {"event_id": event.id}).rowcount == 1)  # type: ignore[attr-defined]
    db.session.expire(event, ["registered"])
    return taken


def _free_seat(event: Event) -> None:
    db.session.execute(_FREE_SEAT, {"event_id": event.id})
    db.session.expire(event, ["registered"])


def _seat(registration: Registration, event: Event, now: datetime) -> None:
    registration.status = RegistrationStatus.REGISTERED
    if event.price > 0:
        registration.payment_status = PaymentStatus.UNPAID
        registration.hold_expires_at = rules.hold_until(now, event.hold_hours, event.starts_at)
    else:
        registration.payment_status = PaymentStatus.FREE
        registration.hold_expires_at = None


def _announce(registration: Registration, event: Event, *, promoted: bool = False) -> None:
    record(
        OccurrenceType.EVENT_REGISTERED,
        shop_id=event.shop_id,
        event_id=event.id,
        registration_id=registration.id,
        user_id=registration.user_id,
        status=registration.status,
        promoted=promoted,
    )


def _open(event: Event, now: datetime) -> None:
    if event.cancelled_at is not None or event.deleted_at is not None:
        raise Conflict(code="event_cancelled")
    if not event.is_active or not rules.registration_open(
        now=now,
        opens=event.registration_opens_at,
        closes=event.registration_closes_at,
        ends_at=event.ends_at,
    ):
        raise Conflict(code="registration_closed")


_LIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED, RegistrationStatus.ATTENDED)


def register(actor: User, event_id: int, *, now: datetime | None = None) -> Registration:
    """A seat if one is free, else a place at the end of the waiting list."""
    now = now or clock.now()
    event = queries.load_event_for(actor, event_id, EventAction.REGISTER)
    _open(event, now)
    release_expired(event, now)
    existing = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == actor.id
        )
    ).first()
    if existing is not None and existing.status in _LIVE:
        raise Conflict(code="already_registered")
    registration = existing or Registration(
        event_id=event.id, user_id=actor.id, ticket_code=rules.new_ticket_code()
    )
    registration.joined_at = now
    registration.cancelled_at = None
    registration.cancel_reason = None
    registration.promoted_at = None
    if _take_seat(event):
        _seat(registration, event, now)
    else:
        registration.status = RegistrationStatus.WAITLISTED
        registration.payment_status = (
            PaymentStatus.UNPAID if event.price > 0 else PaymentStatus.FREE
        )
        registration.hold_expires_at = None
    if existing is None:
        db.session.add(registration)
    db.session.flush()
    _announce(registration, event)
    return registration


def promote(event: Event, now: datetime) -> list[Registration]:
    """Seat the waiting list in join order while seats are free (the event's row locked)."""
    if event.cancelled_at is not None or event.ends_at <= now:
        return []
    seated: list[Registration] = []
    while True:
        first = db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(Registration.joined_at, Registration.id)
            .limit(1)
        ).first()
        if first is None or not _take_seat(event):
            break
        _seat(first, event, now)
        first.promoted_at = now
        db.session.flush()
        _announce(first, event, promoted=True)
        seated.append(first)
    return seated


def _cancel(registration: Registration, event: Event, reason: str, now: datetime) -> None:
    """Cancel (the event's row locked), free its seat if it held one, seat the next."""
    was = registration.status
    seated = was in rules.SEATED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.cancel_reason = reason
    registration.hold_expires_at = None
    db.session.flush()
    record(
        OccurrenceType.EVENT_REGISTRATION_CANCELLED,
        shop_id=event.shop_id,
        event_id=event.id,
        registration_id=registration.id,
        user_id=registration.user_id,
        status=was,
        reason=reason,
    )
    if seated:
        _free_seat(event)
        promote(event, now)


def cancel_refunded(registration: Registration, event: Event, now: datetime) -> None:
    """An online payment refunded below the price (``events.paying``; the event's row
    locked): the seat is cancelled and passes to the waiting list."""
    _cancel(registration, event, "refunded", now)
    registration.payment_status = PaymentStatus.REFUNDED


def cancel(actor: User, registration_id: int, *, now: datetime | None = None) -> Registration:
    """Members cancel until the event's deadline; the door team at any time."""
    now = now or clock.now()
    registration = queries.load_registration_for(
        actor, registration_id, EventAction.REGISTRATION_CANCEL
    )
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status not in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED):
        raise Conflict(code="registration_over")
    by_team = registration.user_id != actor.id
    if by_team:
        require(actor, EventAction.STAFF, event)
    elif not rules.member_may_cancel(
        now=now, deadline=event.cancellation_deadline, starts_at=event.starts_at
    ) and not can(actor, EventAction.STAFF, event):
        raise Conflict(code="cancellation_closed")
    _cancel(registration, event, "team" if by_team else "member", now)
    return registration


def release_expired(event: Event, now: datetime) -> int:
    """Cancel the event's unpaid seats whose hold expired and seat the waiting list."""
    expired = list(
        db.session.scalars(
            select(Registration.id).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.REGISTERED,
                Registration.payment_status == PaymentStatus.UNPAID,
                Registration.hold_expires_at <= now,
            )
        )
    )
    if not expired:
        return 0
    event = lock_event(event.id)
    released = 0
    for registration_id in expired:
        registration = db.session.get(Registration, registration_id, populate_existing=True)
        if (
            registration is not None
            and registration.status == RegistrationStatus.REGISTERED
            and registration.payment_status == PaymentStatus.UNPAID
        ):
            _cancel(registration, event, "hold_expired", now)
            released += 1
    return released


def release_all_expired(now: datetime) -> int:
    """The job: every event with an expired unpaid hold."""
    event_ids = db.session.scalars(
        select(Registration.event_id)
        .where(
            Registration.status == RegistrationStatus.REGISTERED,
            Registration.payment_status == PaymentStatus.UNPAID,
            Registration.hold_expires_at <= now,
        )
        .distinct()
    )
    released = 0
    for event_id in list(event_ids):
        event = db.session.get(Event, event_id)
        if event is not None:
            released += release_expired(event, now)
    return released


def record_payment(
    actor: User, registration_id: int, body: EventPaymentIn, *, now: datetime | None = None
) -> Payment:
    """The team records a payment by hand (cash, card); the seat is paid once the payments
    reach the price, and its hold ends."""
    now = now or clock.now()
    registration = queries.load_registration(registration_id)
    event = queries.load_event(registration.event_id)
    require(actor, EventAction.STAFF, event)
    event = lock_event(event.id)
    release_expired(event, now)
    db.session.refresh(registration)
    if registration.status not in rules.SEATED:
        raise Conflict(code="registration_over")
    if event.price == 0 or registration.payment_status != PaymentStatus.UNPAID:
        raise Conflict(code="payment_not_due")
    payment = Payment(
        registration_id=registration.id,
        user_id=registration.user_id,
        event_id=event.id,
        amount=to_minor(body.amount, event.currency),
        currency=event.currency,
        channel=body.channel,
        status="succeeded",
        paid_at=body.paid_at or now,
        recorded_by=actor.id,
    )
    db.session.add(payment)
    db.session.flush()
    paid = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.registration_id == registration.id
        )
    )
    if int(paid or 0) >= event.price:
        registration.payment_status = PaymentStatus.PAID
        registration.hold_expires_at = None
        announce_paid(registration, event, int(paid or 0), payment.channel)
    db.session.flush()
    return payment


def announce_paid(registration: Registration, event: Event, amount: int, channel: str) -> None:
    """``payment.received``: the seat is paid, by the team (cash, card) or online
    (``paying``), ``amount`` in all."""
    record(
        OccurrenceType.PAYMENT_RECEIVED,
        shop_id=event.shop_id,
        user_id=registration.user_id,
        kind="registration",
        amount=from_minor(amount, event.currency),
        currency=event.currency,
        channel=channel,
        registration_id=registration.id,
        event_id=event.id,
    )


def close_ended(now: datetime) -> int:
    """The job: when an event has ended, its seats never checked in are no-shows."""
    ended = list(
        db.session.scalars(
            select(Event).where(
                Event.ends_at <= now, Event.closed_at.is_(None), Event.deleted_at.is_(None)
            )
        )
    )
    marked = 0
    for event in ended:
        rows = db.session.execute(
            update(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
            .values(status=RegistrationStatus.NO_SHOW)
            .execution_options(synchronize_session=False)
        )
        marked += rows.rowcount  # type: ignore[attr-defined]
        event.closed_at = now
    db.session.flush()
    return marked
