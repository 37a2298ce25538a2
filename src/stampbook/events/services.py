"""The events' set-up use cases (the shop's creator and managers): create an event or a
recurring series, change or cancel one event (one occurrence), delete it; and the series'
window kept ahead by :func:`extend_series` (the daily job)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.money import to_minor
from stampbook.core.policy import require
from stampbook.core.zones import zone
from stampbook.events import queries, registering, rules
from stampbook.events.models import Event, EventSeries
from stampbook.events.policy import EventAction
from stampbook.events.schemas import EventIn
from stampbook.programs.models import Program
from stampbook.shops.models import Shop
from stampbook.shops.queries import load_shop

# What an occurrence copies from the one before it when the window moves on.
_COPIED = (
    "shop_id",
    "title",
    "description",
    "event_type",
    "location",
    "capacity",
    "price",
    "currency",
    "hold_hours",
    "points",
    "program_id",
    "is_active",
    "self_check_in",
    "created_by",
)


def _program(shop: Shop, program_id: int | None) -> int | None:
    if program_id is None:
        return None
    program = db.session.get(Program, program_id)
    if program is None or program.shop_id != shop.id or program.is_archived:
        raise Conflict(code="event_program_not_in_shop")
    return program.id


def _times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Conflict(code="event_times_invalid")


def _price(amount: str, currency: str) -> int:
    return to_minor(amount, currency)  # the schema's pattern makes it a decimal


def create_event(actor: User, shop_id: int, body: EventIn) -> Event:
    """One event, or the first occurrence of a series made for the window ahead."""
    shop = load_shop(actor, shop_id)
    require(actor, EventAction.MANAGE, shop)
    _times(body.starts_at, body.ends_at)
    fields: dict[str, Any] = {
        "shop_id": shop.id,
        "title": body.title,
        "description": body.description,
        "event_type": body.event_type,
        "location": body.location,
        "capacity": body.capacity,
        "registration_opens_at": body.registration_opens_at,
        "registration_closes_at": body.registration_closes_at,
        "cancellation_deadline": body.cancellation_deadline,
        "price": _price(body.price, body.currency),
        "currency": body.currency,
        "hold_hours": body.hold_hours,
        "points": body.points,
        "program_id": _program(shop, body.program_id),
        "is_active": body.is_active,
        "self_check_in": body.self_check_in,
        "created_by": actor.id,
    }
    if body.recurrence is None:
        event = Event(starts_at=body.starts_at, ends_at=body.ends_at, **fields)
        db.session.add(event)
        db.session.flush()
        return event
    try:
        rules.check_rrule(body.recurrence)
    except ValueError:
        raise Conflict(code="recurrence_invalid") from None
    tz = zone(shop.time_zone)
    first_day, local_start = rules.local_start_of(body.starts_at, tz)
    series = EventSeries(
        shop_id=shop.id,
        rrule=body.recurrence,
        local_start=local_start.strftime("%H:%M"),
        first_day=first_day,
        time_zone=str(tz),
        duration_minutes=max(1, int((body.ends_at - body.starts_at).total_seconds() // 60)),
    )
    db.session.add(series)
    db.session.flush()
    made = _generate(series, fields, after=first_day - timedelta(days=1), now=clock.now())
    if not made:
        raise Conflict(code="recurrence_invalid")
    return made[0]


def _generate(
    series: EventSeries, fields: dict[str, Any], *, after: date, now: datetime
) -> list[Event]:
    tz = zone(series.time_zone)
    today = now.astimezone(tz).date()
    until = max(today, series.first_day) + timedelta(days=rules.WINDOW_DAYS)
    hours, minutes = (int(part) for part in series.local_start.split(":"))
    found = rules.occurrences(
        rrule=series.rrule,
        first_day=series.first_day,
        local_start=time(hours, minutes),
        duration=timedelta(minutes=series.duration_minutes),
        zone=tz,
        after=after,
        until=until,
    )
    made = [
        Event(
            series_id=series.id,
            series_key=found_one.day.isoformat(),
            starts_at=found_one.starts_at,
            ends_at=found_one.ends_at,
            **fields,
        )
        for found_one in found
    ]
    db.session.add_all(made)
    series.generated_until = found[-1].day if found else max(after, series.generated_until or after)
    db.session.flush()
    return made


def extend_series(series: EventSeries, now: datetime) -> int:
    """Make the series' occurrences up to the window ahead, each a copy of the latest."""
    if series.ended_at is not None:
        return 0
    latest = db.session.scalars(
        select(Event).where(Event.series_id == series.id).order_by(Event.series_key.desc()).limit(1)
    ).first()
    if latest is None:
        return 0
    fields = {name: getattr(latest, name) for name in _COPIED}
    after = date.fromisoformat(latest.series_key or series.first_day.isoformat())
    return len(_generate(series, fields, after=after, now=now))


def extend_all_series(now: datetime) -> int:
    made = 0
    for series in db.session.scalars(select(EventSeries).where(EventSeries.ended_at.is_(None))):
        made += extend_series(series, now)
    return made


def update_event(actor: User, event_id: int, changes: dict[str, Any]) -> Event:
    """Change one event. A capacity below the seats taken is refused
    (``capacity_below_registered``); a larger one seats the waiting list in join order."""
    event = queries.load_event_for(actor, event_id, EventAction.MANAGE)
    shop = db.session.get(Shop, event.shop_id)
    assert shop is not None
    now = clock.now()
    for name in (
        "title",
        "description",
        "event_type",
        "location",
        "registration_opens_at",
        "registration_closes_at",
        "cancellation_deadline",
        "hold_hours",
        "points",
        "is_active",
        "self_check_in",
    ):
        if changes.get(name) is not None:
            setattr(event, name, changes[name])
    if changes.get("starts_at") is not None:
        event.starts_at = changes["starts_at"]
    if changes.get("ends_at") is not None:
        event.ends_at = changes["ends_at"]
    _times(event.starts_at, event.ends_at)
    if changes.get("currency") is not None:
        event.currency = changes["currency"]
    if changes.get("price") is not None:
        event.price = _price(changes["price"], event.currency)
    if "program_id" in changes:
        event.program_id = _program(shop, changes["program_id"])
    if changes.get("cancelled") is not None:
        event.cancelled_at = now if changes["cancelled"] else None
    grow = False
    if changes.get("unlimited"):
        event = registering.lock_event(event.id)
        event.capacity = None
        grow = True
    elif changes.get("capacity") is not None:
        event = registering.lock_event(event.id)
        if changes["capacity"] < event.registered:
            raise Conflict(code="capacity_below_registered", registered=event.registered)
        grow = event.capacity is not None and changes["capacity"] > event.capacity
        event.capacity = changes["capacity"]
    db.session.flush()
    if grow:
        registering.promote(event, now)
    return event


def delete_event(actor: User, event_id: int) -> None:
    """The event is gone for the API; its registrations stay for the history."""
    event = queries.load_event_for(actor, event_id, EventAction.MANAGE)
    now = clock.now()
    event.deleted_at = now
    event.cancelled_at = event.cancelled_at or now
    db.session.flush()
