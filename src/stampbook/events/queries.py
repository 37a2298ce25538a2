"""Reads of the events domain, and its loaders: an event, a registration, a shop's events
by type, upcoming or past and date, an event's registrations with search, a person's own
registrations (the home page reads :func:`upcoming_for`), and the attendance report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, false, func, or_, select

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.folding import fold
from stampbook.core.policy import require
from stampbook.events.models import Event, EventSeries, Payment, Registration
from stampbook.events.policy import EventAction
from stampbook.events.rules import EventWhen, RegistrationStatus
from stampbook.programs.models import Membership
from stampbook.shops.models import Shop


def load_event(event_id: int) -> Event:
    """The event, whoever asks (the routes' subject; services check the action). Its shop
    comes in the same statement, since every action's policy reads it next."""
    found = db.session.get(Event, event_id) if _loaded(Event, event_id) else None
    if found is None:
        row = db.session.execute(
            select(Event, Shop).join(Shop, Shop.id == Event.shop_id).where(Event.id == event_id)
        ).first()
        found = row[0] if row is not None else None
    if found is None:
        raise NotFound(thing="event")
    return found


def _loaded(model: type, id_: int) -> bool:
    return db.session.identity_key(model, id_) in db.session.identity_map


def load_event_for(actor: User | None, event_id: int, action: str = EventAction.VIEW) -> Event:
    event = load_event(event_id)
    require(actor, action, event)
    return event


def load_registration(registration_id: int) -> Registration:
    found = db.session.get(Registration, registration_id)
    if found is None:
        raise NotFound(thing="registration")
    return found


def load_registration_for(
    actor: User | None, registration_id: int, action: str = EventAction.REGISTRATION_VIEW
) -> Registration:
    registration = load_registration(registration_id)
    require(actor, action, registration)
    return registration


def series_of(event: Event) -> EventSeries | None:
    return db.session.get(EventSeries, event.series_id) if event.series_id else None


def waitlisted_counts(event_ids: list[int]) -> dict[int, int]:
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, func.count())
        .where(
            Registration.event_id.in_(event_ids),
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .group_by(Registration.event_id)
    )
    return {row[0]: row[1] for row in rows}


def _when(query: Select[Event], when: EventWhen, now: datetime) -> Select[Event]:
    if when == EventWhen.UPCOMING:
        return query.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    if when == EventWhen.PAST:
        return query.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Event.id)
    return query.order_by(Event.starts_at, Event.id)


def shop_events(
    *,
    shop: Shop,
    team: bool,
    when: EventWhen,
    event_type: str | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[Event]:
    """The shop's events (drafts only for its team), by type and time; ``limit`` + 1 read
    so the caller knows whether a page follows."""
    query = select(Event).where(Event.shop_id == shop.id, Event.deleted_at.is_(None))
    if not team:
        query = query.where(Event.is_active.is_(True))
    if event_type:
        query = query.where(Event.event_type == event_type)
    if starts_from is not None:
        query = query.where(Event.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Event.starts_at < starts_before)
    query = _when(query, when, clock.now())
    return list(db.session.scalars(query.offset(offset).limit(limit + 1)))


def event_types(shop_id: int) -> list[str]:
    """The types the shop's events use, for the filter."""
    rows = db.session.scalars(
        select(Event.event_type)
        .where(Event.shop_id == shop_id, Event.deleted_at.is_(None), Event.event_type != "")
        .distinct()
        .order_by(Event.event_type)
    )
    return list(rows)


@dataclass(frozen=True)
class RegistrationRow:
    registration: Registration
    name: str
    email: str
    points_awarded: int


def _points_awarded(event: Event, registration: Registration) -> int:
    return event.points if registration.points_entry_id is not None else 0


def registrations(
    event: Event,
    *,
    status: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> list[RegistrationRow]:
    """The event's registrations, seated first then the waiting list in join order."""
    query = (
        select(Registration, User.name, User.email)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id)
    )
    if status:
        query = query.where(Registration.status == status)
    if search:
        folded = fold(search.strip())
        code = search.strip().upper().replace(" ", "").replace("-", "")
        query = query.where(
            or_(
                func.coalesce(User.search_name, func.lower(User.name)).contains(folded),
                func.lower(User.email).contains(search.strip().lower()),
                Registration.ticket_code.startswith(code) if code else false(),
            )
        )
    query = query.order_by(Registration.joined_at, Registration.id).offset(offset).limit(limit)
    return [
        RegistrationRow(row, name, email, _points_awarded(event, row))
        for row, name, email in db.session.execute(query)
    ]


def registration_row(registration: Registration) -> RegistrationRow:
    user = db.session.get(User, registration.user_id)
    event = db.session.get(Event, registration.event_id)
    assert user is not None
    assert event is not None
    return RegistrationRow(
        registration, user.name, user.email, _points_awarded(event, registration)
    )


@dataclass(frozen=True)
class MyRegistration:
    registration: Registration
    event: Event
    shop_name: str


def mine(
    user_id: int, *, when: EventWhen, limit: int = 50, offset: int = 0
) -> list[MyRegistration]:
    """A person's registrations with their events (not cancelled ones for upcoming)."""
    query = (
        select(Registration, Event, Shop.name)
        .join(Event, Event.id == Registration.event_id)
        .join(Shop, Shop.id == Event.shop_id)
        .where(Registration.user_id == user_id, Event.deleted_at.is_(None))
    )
    now = clock.now()
    if when == EventWhen.UPCOMING:
        query = query.where(
            Event.ends_at > now, Registration.status != RegistrationStatus.CANCELLED
        ).order_by(Event.starts_at, Registration.id)
    elif when == EventWhen.PAST:
        query = query.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Registration.id)
    else:
        query = query.order_by(Event.starts_at.desc(), Registration.id)
    rows = db.session.execute(query.offset(offset).limit(limit + 1))
    return [MyRegistration(reg, event, name) for reg, event, name in rows]


def upcoming_for(user_id: int, limit: int = 5) -> list[MyRegistration]:
    """The home page's part: a person's next registrations (one statement)."""
    return mine(user_id, when=EventWhen.UPCOMING, limit=limit)[:limit]


def find_ticket(code: str, program_id: int | None) -> tuple[Registration | None, Membership | None]:
    """The ticket's registration with its person (the door's answer names them) and the
    person's membership of the event's program (where attendance points go), if any: one
    statement for what a check-in reads about the ticket."""
    query = (
        select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(Registration.ticket_code == code)
    )
    if program_id is None:
        row = db.session.execute(query).first()
        return (row[0], None) if row is not None else (None, None)
    found = db.session.execute(
        query.add_columns(Membership).outerjoin(
            Membership,
            and_(Membership.user_id == Registration.user_id, Membership.program_id == program_id),
        )
    ).first()
    return (found[0], found[2]) if found is not None else (None, None)


@dataclass(frozen=True)
class Attendance:
    event: Event
    registered: int
    attended: int
    no_shows: int
    waitlisted: int
    cancelled: int
    revenue: int  # minor units of the event's currency


def attendance(events: list[Event]) -> list[Attendance]:
    """Each event's counts by status and its revenue: two grouped statements."""
    ids = [event.id for event in events]
    counts: dict[tuple[int, str], int] = {}
    revenue: dict[int, int] = {}
    if ids:
        for event_id, status, number in db.session.execute(
            select(Registration.event_id, Registration.status, func.count())
            .where(Registration.event_id.in_(ids))
            .group_by(Registration.event_id, Registration.status)
        ):
            counts[(event_id, status)] = number
        for event_id, total in db.session.execute(
            select(Payment.event_id, func.sum(Payment.amount))
            .where(Payment.event_id.in_(ids))
            .group_by(Payment.event_id)
        ):
            revenue[event_id] = int(total or 0)

    def count(event_id: int, status: RegistrationStatus) -> int:
        return counts.get((event_id, status), 0)

    return [
        Attendance(
            event=event,
            registered=count(event.id, RegistrationStatus.REGISTERED)
            + count(event.id, RegistrationStatus.ATTENDED)
            + count(event.id, RegistrationStatus.NO_SHOW),
            attended=count(event.id, RegistrationStatus.ATTENDED),
            no_shows=count(event.id, RegistrationStatus.NO_SHOW),
            waitlisted=count(event.id, RegistrationStatus.WAITLISTED),
            cancelled=count(event.id, RegistrationStatus.CANCELLED),
            revenue=revenue.get(event.id, 0),
        )
        for event in events
    ]
