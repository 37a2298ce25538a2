"""The door: a ticket checked in by the shop's team (never by its own holder), its
attendance points credited once, and checked out; or, where the team switched it on, a
member checking their own seat in with the door screen's signed rotating code
(:func:`self_check_in`, codes in ``events.door``), through the same guarded update.

The check-in is one guarded update (``status = 'registered'`` and not unpaid in its WHERE),
written after the attendance points so that it carries their entry's id: five devices
scanning one ticket at once are ordered by the row's lock, and only the first finds it
registered. The others' transactions, points included, are run again from the start
(``RetryTransaction``) and then read the ticket as checked in, so the points and the
``event.checked_in`` occurrence happen once. A scan sent again with the same client nonce
answers as the first did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import record
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.events import door, queries, rules
from stampbook.events.models import Event, Registration
from stampbook.events.policy import EventAction
from stampbook.events.rules import PaymentStatus, RegistrationStatus
from stampbook.ledger import book
from stampbook.ledger.models import EntryKind
from stampbook.programs.models import Membership, MembershipStatus
from stampbook.programs.policy import membership_row

CAUSE = "event_registration"

_REGISTRATIONS: Table = Registration.__table__  # type: ignore[assignment]
_CHECK_IN = (
    update(_REGISTRATIONS)
    .where(
        _REGISTRATIONS.c.id == bindparam("registration_id"),
        _REGISTRATIONS.c.status == RegistrationStatus.REGISTERED,
        _REGISTRATIONS.c.payment_status != PaymentStatus.UNPAID,
    )
    .values(
        status=RegistrationStatus.ATTENDED,
        checked_in_at=bindparam("now"),
        checked_in_by=bindparam("actor_id"),
        check_in_nonce=bindparam("nonce"),
        points_entry_id=bindparam("points_entry_id"),
    )
)


@dataclass(frozen=True)
class Scan:
    registration: Registration
    replayed: bool


def _ticket(actor: User, event_id: int, code: str) -> tuple[Event, Registration, Membership | None]:
    """The event's ticket, and its holder's membership of the event's program."""
    event = queries.load_event_for(actor, event_id, EventAction.STAFF)
    registration, membership = queries.find_ticket(rules.normal_code(code), event.program_id)
    if registration is None:
        raise NotFound(code="unknown")
    if registration.event_id != event.id:
        raise Conflict(code="other_event")
    if registration.user_id == actor.id and not actor.is_admin:
        raise Forbidden(code="own_ticket")
    return event, registration, membership


def _refuse(registration: Registration) -> None:
    refusal = rules.check_in_refusal(
        status=registration.status, payment_status=registration.payment_status, same_event=True
    )
    if refusal is not None:
        raise Conflict(code=refusal)


def _credit(
    event: Event, registration: Registration, membership: Membership | None, actor_id: int
) -> tuple[int | None, int | None]:
    """The attendance points, to the person's active membership of the event's program: the
    membership's id and the entry's, or none."""
    if event.points <= 0 or membership is None or membership.status != MembershipStatus.ACTIVE:
        return None, None
    entry = book.post(
        membership_id=membership.id,
        amount=event.points,
        kind=EntryKind.ATTENDANCE,
        actor_id=actor_id,
        cause_type=CAUSE,
        cause_id=registration.id,
    )
    return membership.id, entry.id


def check_in(
    actor: User, event_id: int, code: str, nonce: str | None = None, *, now: datetime | None = None
) -> Scan:
    now = now or clock.now()
    event, registration, membership = _ticket(actor, event_id, code)
    if nonce is not None and registration.check_in_nonce == nonce:
        return Scan(registration, replayed=True)
    return _admit(actor, event, registration, membership, nonce, now)


def self_check_in(
    actor: User,
    event_id: int,
    door_code: str,
    nonce: str | None = None,
    *,
    now: datetime | None = None,
) -> Scan:
    """The caller's own seat checked in with the code the door screen shows: 409
    ``self_check_in_off`` unless the team switched it on, ``event_cancelled``,
    ``not_registered``; 403 ``door_code_invalid`` for a code forged, of another event, or
    older than the previous step; then the team's refusals (cancelled, waitlisted, unpaid,
    already_checked_in) and the same single effect."""
    now = now or clock.now()
    event = queries.load_event_for(actor, event_id, EventAction.SELF_CHECK_IN)
    if not event.self_check_in:
        raise Conflict(code="self_check_in_off")
    if event.cancelled_at is not None:
        raise Conflict(code="event_cancelled")
    registration = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == actor.id
        )
    ).first()
    if registration is None:
        raise Conflict(code="not_registered")
    # A request sent again (its answer lost) answers as the first, even once the code aged.
    if nonce is not None and registration.check_in_nonce == nonce:
        return Scan(registration, replayed=True)
    if not door.verify(door.key(), event.id, door_code, now):
        raise Forbidden(code="door_code_invalid")
    membership = None if event.program_id is None else membership_row(actor.id, event.program_id)
    return _admit(actor, event, registration, membership, nonce, now)


def _admit(
    actor: User,
    event: Event,
    registration: Registration,
    membership: Membership | None,
    nonce: str | None,
    now: datetime,
) -> Scan:
    """The points, then the guarded update that decides: only the request that changes the
    row keeps its points and announces."""
    _refuse(registration)
    membership_id, entry_id = _credit(event, registration, membership, actor.id)
    params = {
        "registration_id": registration.id,
        "now": now,
        "actor_id": actor.id,
        "nonce": nonce,
        "points_entry_id": entry_id,
    }
    if db.session.execute(_CHECK_IN, params).rowcount != 1:  # type: ignore[attr-defined]
        # Another scan changed the ticket since it was read: these points must not stand.
        # Run again from the start, which reads the ticket as it is now and answers as a
        # replay (the same nonce) or refuses (already checked in, cancelled...).
        raise RetryTransaction()
    # The update set exactly these: keep them without reading the row back (a door queue's
    # throughput is mostly its round trips). The timestamp the database set is read if asked.
    for name, value in (
        ("status", RegistrationStatus.ATTENDED),
        ("checked_in_at", now),
        ("checked_in_by", actor.id),
        ("check_in_nonce", nonce),
        ("points_entry_id", entry_id),
    ):
        set_committed_value(registration, name, value)
    db.session.expire(registration, ["edited_at"])
    record(
        OccurrenceType.EVENT_CHECKED_IN,
        shop_id=event.shop_id,
        event_id=event.id,
        registration_id=registration.id,
        user_id=registration.user_id,
        event_type=event.event_type,
        starts_at=event.starts_at.isoformat().replace("+00:00", "Z"),
        membership_id=membership_id,
        points=event.points if membership_id is not None else 0,
    )
    return Scan(registration, replayed=False)


def check_out(
    actor: User, event_id: int, code: str, *, now: datetime | None = None
) -> Registration:
    now = now or clock.now()
    _event, registration, _membership = _ticket(actor, event_id, code)
    if registration.status != RegistrationStatus.ATTENDED:
        raise Conflict(code="not_checked_in")
    registration.checked_out_at = registration.checked_out_at or now
    db.session.flush()
    return registration


def find_attendee(actor: User, event_id: int, registration_id: int) -> Registration:
    """A registration of the event found by name on the check-in page."""
    event = queries.load_event_for(actor, event_id, EventAction.STAFF)
    registration = db.session.scalars(
        select(Registration).where(
            Registration.id == registration_id, Registration.event_id == event.id
        )
    ).first()
    if registration is None:
        raise NotFound(thing="registration")
    return registration


def door_code(actor: User, event_id: int, *, now: datetime | None = None) -> door.DoorCode:
    """What the door screen shows now (the team's): 409 ``self_check_in_off`` while off."""
    event = queries.load_event_for(actor, event_id, EventAction.STAFF)
    if not event.self_check_in:
        raise Conflict(code="self_check_in_off")
    return door.current(door.key(), event.id, now or clock.now())
