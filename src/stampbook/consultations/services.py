"""The consultations' use cases: hosts set up by the shop's managers, members booking a free
slot, cancelling, the host or staff closing a session (completed, no-show) and recording its
payment status, the host's notes, the member's rating.

Booking a slot locks the host's row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write
transaction is one at a time), checks the slot is one of the host's free ones, and inserts
the booking in a savepoint: the partial unique index on (host, start) turns a booking that
slipped past (a changed schedule, another path) into ``slot_taken``, never a second booking.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.consultations import paying, queries, rules
from stampbook.consultations.models import (
    Booking,
    ConsultationPayment,
    ConsultationStatus,
    Host,
    HostVerification,
)
from stampbook.consultations.policy import BookingAction, HostAction, host_of
from stampbook.consultations.schemas import ConsultationBookingIn, HostIn
from stampbook.core import clock, money, outbox
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.policy import can
from stampbook.shops import queries as shops_queries
from stampbook.shops.models import Shop
from stampbook.shops.policy import team_member


def _rate(text: str | None, currency: str) -> int | None:
    if text is None:
        return None
    try:
        return money.to_minor(text, currency)
    except ValueError:
        raise Conflict(code="rate_invalid") from None


def _weekly(rows: list[Any]) -> list[dict[str, object]]:
    plain = [row if isinstance(row, dict) else row.model_dump() for row in rows]
    try:
        return rules.stored_ranges(rules.weekly_ranges(plain))
    except rules.ScheduleProblem as problem:
        raise Conflict(code=problem.code) from None


def _days_off(days: list[str]) -> list[str]:
    try:
        return sorted({date.fromisoformat(day).isoformat() for day in days})
    except ValueError:
        raise Conflict(code="schedule_invalid") from None


def _host_user(shop_id: int, user_id: int | None) -> int | None:
    """A host's account is one of the shop's team."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    found = db.session.get(Shop, shop_id)
    if user is None or user.is_deleted or found is None or team_member(user, found) is None:
        raise Conflict(code="host_not_in_team")
    return user_id


def create_host(actor: User, shop_id: int, body: HostIn) -> Host:
    shop = shops_queries.load_shop(actor, shop_id, HostAction.CREATE)
    host = Host(
        shop_id=shop.id,
        user_id=_host_user(shop.id, body.user_id),
        professional_name=body.professional_name,
        bio=body.bio,
        credentials=list(body.credentials),
        specializations=list(body.specializations),
        languages=list(body.languages),
        years_experience=body.years_experience,
        rate_minor=_rate(body.consultation_rate, body.currency),
        currency=body.currency,
        verification_status=HostVerification.PENDING,
        time_zone=body.time_zone,
        weekly_hours=_weekly(list(body.weekly_hours)),
        days_off=_days_off(list(body.days_off)),
        slot_minutes=body.slot_minutes,
        buffer_minutes=body.buffer_minutes,
        cancel_hours=body.cancel_hours,
        is_available=body.is_available,
    )
    db.session.add(host)
    db.session.flush()
    return host


_PLAIN = (
    "professional_name",
    "time_zone",
    "slot_minutes",
    "buffer_minutes",
    "cancel_hours",
    "is_available",
)


def update_host(actor: User, host_id: int, changes: dict[str, Any]) -> Host:
    host = queries.load_host(actor, host_id, HostAction.MANAGE)
    for name in _PLAIN:
        if changes.get(name) is not None:
            setattr(host, name, changes[name])
    for name in ("bio", "years_experience"):  # null clears them
        if name in changes:
            setattr(host, name, changes[name])
    for name in ("credentials", "specializations", "languages"):
        if changes.get(name) is not None:
            setattr(host, name, list(changes[name]))
    if "user_id" in changes:
        host.user_id = _host_user(host.shop_id, changes["user_id"])
    currency = changes.get("currency") or host.currency
    if "consultation_rate" in changes or changes.get("currency") is not None:
        rate = (
            changes["consultation_rate"]
            if "consultation_rate" in changes
            else (
                None
                if host.rate_minor is None
                else money.from_minor(host.rate_minor, host.currency)
            )
        )
        host.rate_minor = _rate(rate, currency)
        host.currency = currency
    if changes.get("weekly_hours") is not None:
        host.weekly_hours = _weekly(list(changes["weekly_hours"]))
    if changes.get("days_off") is not None:
        host.days_off = _days_off(list(changes["days_off"]))
    status = changes.get("verification_status")
    if status is not None and status != host.verification_status:
        host.verification_status = status
        host.verified_by = actor.id
        host.verified_at = clock.now()
    db.session.flush()
    return host


def delete_host(actor: User, host_id: int, *, now: datetime | None = None) -> None:
    """Removed from the shop's list; refused while it has sessions booked ahead
    (``host_has_bookings``: cancel them first)."""
    host = queries.load_host(actor, host_id, HostAction.MANAGE)
    now = now or clock.now()
    ahead = db.session.scalar(
        select(Booking.id).where(
            Booking.host_id == host.id,
            Booking.status == ConsultationStatus.BOOKED,
            Booking.starts_at > now,
        )
    )
    if ahead is not None:
        raise Conflict(code="host_has_bookings")
    host.deleted_at = now
    host.is_available = False
    db.session.flush()


def _lock(host: Host) -> None:
    db.session.execute(select(Host.id).where(Host.id == host.id).with_for_update())


def _announce(kind: OccurrenceType, booking: Booking, actor: User | None) -> None:
    host = host_of(booking)
    outbox.record(
        kind,
        shop_id=booking.shop_id,
        booking_id=booking.id,
        host_id=booking.host_id,
        user_id=booking.user_id,
        host_user_id=host.user_id,
        actor_id=actor.id if actor is not None else None,
        starts_at=booking.starts_at.isoformat(),
        status=booking.status,
    )


def _taken(host_id: int, starts_at: datetime, actor: User) -> Conflict:
    """``slot_taken``, or ``slot_already_yours`` when the actor holds it (a double click)."""
    holder = db.session.scalar(
        select(Booking.user_id).where(
            Booking.host_id == host_id,
            Booking.starts_at == starts_at,
            Booking.status != ConsultationStatus.CANCELLED,
        )
    )
    return Conflict(code="slot_already_yours" if holder == actor.id else "slot_taken")


def book(
    actor: User, host_id: int, body: ConsultationBookingIn, *, now: datetime | None = None
) -> Booking:
    host = queries.load_host(actor, host_id, HostAction.BOOK)
    if not host.bookable:
        raise Conflict(code="host_not_bookable")
    now = now or clock.now()
    starts_at = body.starts_at
    if starts_at <= now:
        raise Conflict(code="slot_past")
    _lock(host)
    window = timedelta(minutes=host.slot_minutes)
    slot = next(
        (s for s in rules.slots(queries.schedule_of(host), starts_at, starts_at + window)
         if s.starts_at == starts_at),
        None,
    )  # fmt: skip
    if slot is None:
        raise Conflict(code="slot_unknown")
    if not rules.free([slot], queries.taken(host.id, slot.starts_at, slot.ends_at)):
        raise _taken(host.id, slot.starts_at, actor)
    booking = Booking(
        host_id=host.id,
        shop_id=host.shop_id,
        user_id=actor.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        session_type=body.session_type,
        status=ConsultationStatus.BOOKED,
        topic=body.topic or None,
        session_cost_minor=host.rate_minor,
        currency=host.currency,
        payment_status=(
            ConsultationPayment.UNPAID if host.rate_minor else ConsultationPayment.NOT_REQUIRED
        ),
    )
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError:
        raise _taken(host.id, slot.starts_at, actor) from None
    _announce(OccurrenceType.CONSULTATION_BOOKED, booking, actor)
    return booking


def _is_staff_or_host(actor: User, booking: Booking) -> bool:
    return can(actor, BookingAction.CLOSE, booking)


def cancel(
    actor: User, booking_id: int, reason: str | None = None, *, now: datetime | None = None
) -> Booking:
    """The member until the host's deadline; the host and the staff at any time."""
    booking = queries.load_booking(actor, booking_id, BookingAction.CANCEL)
    now = now or clock.now()
    if booking.status != ConsultationStatus.BOOKED:
        raise Conflict(code="booking_not_booked")
    if not _is_staff_or_host(actor, booking):
        host = host_of(booking)
        if not rules.member_may_cancel(booking.starts_at, now, host.cancel_hours):
            raise Conflict(code="cancel_deadline_passed", hours=host.cancel_hours)
    booking.status = ConsultationStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = actor.id
    booking.cancel_reason = reason or None
    db.session.flush()
    _announce(OccurrenceType.CONSULTATION_CANCELLED, booking, actor)
    return booking


def close(actor: User, booking_id: int, outcome: str, *, now: datetime | None = None) -> Booking:
    """Completed or a no-show, once the session has begun."""
    booking = queries.load_booking(actor, booking_id, BookingAction.CLOSE)
    now = now or clock.now()
    if booking.status != ConsultationStatus.BOOKED:
        raise Conflict(code="booking_not_booked")
    if not rules.may_close(booking.starts_at, now):
        raise Conflict(code="booking_not_started")
    booking.status = outcome
    booking.closed_at = now
    booking.closed_by = actor.id
    db.session.flush()
    if outcome == ConsultationStatus.COMPLETED:
        _announce(OccurrenceType.CONSULTATION_COMPLETED, booking, actor)
    return booking


def write_notes(actor: User, booking_id: int, notes: str) -> Booking:
    booking = queries.load_booking(actor, booking_id, BookingAction.NOTES_WRITE)
    booking.session_notes = notes.strip() or None
    db.session.flush()
    return booking


def rate(
    actor: User, booking_id: int, rating: int, feedback: str | None, *, now: datetime | None = None
) -> Booking:
    """Once, after the session was completed."""
    booking = queries.load_booking(actor, booking_id, BookingAction.RATE)
    if booking.status != ConsultationStatus.COMPLETED:
        raise Conflict(code="booking_not_completed")
    if booking.user_feedback_rating is not None:
        raise Conflict(code="booking_rated")
    booking.user_feedback_rating = rating
    booking.user_feedback_text = (feedback or "").strip() or None
    booking.rated_at = now or clock.now()
    db.session.flush()
    return booking


def record_payment(actor: User, booking_id: int, status: str) -> Booking:
    """Recorded by the host or the staff (online payments: ``paying``); a booking becoming
    paid records ``payment.received``."""
    booking = queries.load_booking(actor, booking_id, BookingAction.CLOSE)
    if (
        status == ConsultationPayment.REFUNDED
        and booking.payment_status != ConsultationPayment.PAID
    ):
        raise Conflict(code="booking_not_paid")
    newly_paid = (
        status == ConsultationPayment.PAID and booking.payment_status != ConsultationPayment.PAID
    )
    booking.payment_status = status
    db.session.flush()
    if newly_paid:
        paying.announce_paid(booking, "team")
    return booking
