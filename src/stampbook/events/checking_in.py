"""The door: a ticket checked in by the shop's team (never by its own holder), its
attendance points credited once, and checked out.

The check-in is one guarded update (``status = 'registered'`` and not unpaid in its WHERE):
five devices scanning one ticket at once are ordered by the row's lock, and only the first
finds it registered, so the points and the ``event.checked_in`` occurrence happen once. A
scan sent again with the same client nonce answers as the first did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select, update

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import record
from stampbook.events import queries, rules
from stampbook.events.models import Event, Registration
from stampbook.events.policy import EventAction
from stampbook.events.rules import PaymentStatus, RegistrationStatus
from stampbook.ledger import book
from stampbook.ledger.models import EntryKind
from stampbook.programs.models import MembershipStatus
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
    )
)


@dataclass(frozen=True)
class Scan:
    registration: Registration
    replayed: bool


def _ticket(actor: User, event_id: int, code: str) -> tuple[Event, Registration]:
    event = queries.load_event_for(actor, event_id, EventAction.STAFF)
    registration = queries.find_by_code(rules.normal_code(code))
    if registration is None:
        raise NotFound(code="unknown")
    if registration.event_id != event.id:
        raise Conflict(code="other_event")
    if registration.user_id == actor.id and not actor.is_admin:
        raise Forbidden(code="own_ticket")
    return event, registration


def _refuse(registration: Registration) -> None:
    refusal = rules.check_in_refusal(
        status=registration.status, payment_status=registration.payment_status, same_event=True
    )
    if refusal is not None:
        raise Conflict(code=refusal)


def _credit(event: Event, registration: Registration) -> int | None:
    """The attendance points, to the person's active membership of the event's program."""
    if event.points <= 0 or event.program_id is None:
        return None
    membership = membership_row(registration.user_id, event.program_id)
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return None
    entry = book.post(
        membership_id=membership.id,
        amount=event.points,
        kind=EntryKind.ATTENDANCE,
        actor_id=registration.checked_in_by,
        cause_type=CAUSE,
        cause_id=registration.id,
    )
    registration.points_entry_id = entry.id
    return membership.id


def check_in(
    actor: User, event_id: int, code: str, nonce: str | None = None, *, now: datetime | None = None
) -> Scan:
    now = now or clock.now()
    event, registration = _ticket(actor, event_id, code)
    if nonce is not None and registration.check_in_nonce == nonce:
        return Scan(registration, replayed=True)
    _refuse(registration)
    params = {"registration_id": registration.id, "now": now, "actor_id": actor.id, "nonce": nonce}
    if db.session.execute(_CHECK_IN, params).rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(registration)
        if nonce is not None and registration.check_in_nonce == nonce:
            return Scan(registration, replayed=True)
        _refuse(registration)
        raise Conflict(code="already_checked_in")
    db.session.refresh(registration)
    membership_id = _credit(event, registration)
    db.session.flush()
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
    _event, registration = _ticket(actor, event_id, code)
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
