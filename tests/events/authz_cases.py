"""The events domain's part of the authorization suites (tests/reliability/authz_*.py): a
free event the member registered for, another person's ticket checked in already, and a
paid event's unpaid seat (payments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.events import door
from stampbook.events.models import Event, Registration

if TYPE_CHECKING:
    from tests.reliability.authz_world import World

TICKET = "AUTHZTICKETAUTHZTICKETAUTHZTICKE"
ATTENDED_TICKET = "AUTHZATTENDEDAUTHZATTENDEDAUTHZA"
PAID_TICKET = "AUTHZPAIDAUTHZPAIDAUTHZPAIDAUTHZ"
_SOON = datetime(2030, 6, 1, 18, tzinfo=UTC)

NEW_EVENT = {
    "title": "Quiz night",
    "starts_at": "2030-06-08T18:00:00Z",
    "ends_at": "2030-06-08T20:00:00Z",
    "capacity": 30,
}
CHECK_IN = {"ticket_code": TICKET}
CHECK_OUT = {"ticket_code": ATTENDED_TICKET}
PAYMENT = {"amount": "5.00", "channel": "cash"}


def event_objects(session: Session, shop_id: int, people: dict[str, User]) -> dict[str, int]:
    event = Event(
        shop_id=shop_id,
        title="Trivia",
        starts_at=_SOON,
        ends_at=_SOON + timedelta(hours=2),
        self_check_in=True,  # its door screen shows a code (events/door.py)
    )
    paid = Event(
        shop_id=shop_id,
        title="Dinner",
        starts_at=_SOON,
        ends_at=_SOON + timedelta(hours=2),
        price=500,
        currency="USD",
    )
    session.add_all([event, paid])
    session.flush()
    mine = Registration(
        event_id=event.id, user_id=people["member"].id, status="registered", ticket_code=TICKET
    )
    attended = Registration(
        event_id=event.id,
        user_id=people["other"].id,
        status="attended",
        ticket_code=ATTENDED_TICKET,
        checked_in_at=_SOON,
    )
    unpaid = Registration(
        event_id=paid.id,
        user_id=people["other"].id,
        status="registered",
        payment_status="unpaid",
        hold_expires_at=_SOON,
        ticket_code=PAID_TICKET,
    )
    session.add_all([mine, attended, unpaid])
    event.registered = 2
    paid.registered = 1
    session.flush()
    return {
        "event": event.id,
        "registration": mine.id,
        "paid_registration": unpaid.id,
    }


def check_in(world: World, role: str) -> dict[str, Any]:
    return CHECK_IN


def self_check_in(world: World, role: str) -> dict[str, Any]:
    """The world's event's door code of this moment (valid for 10 to 20 seconds)."""
    key = door.derive_key(current_app.config["SECRET_KEY"])
    return {"door_code": door.current(key, world.ids["event"], clock.now()).code}


def api_world_objects(session: Session, shop_id: int, member: User) -> dict[str, int]:
    """The fuzzer's (tests/reliability/api_world.py): an event with a seat for the member."""
    event = Event(
        shop_id=shop_id,
        title="Fuzz trivia",
        starts_at=_SOON,
        ends_at=_SOON + timedelta(hours=2),
        capacity=30,
    )
    session.add(event)
    session.flush()
    registration = Registration(
        event_id=event.id,
        user_id=member.id,
        status="registered",
        ticket_code="FUZZTICKETFUZZTICKETFUZZTICKETFU",
    )
    session.add(registration)
    event.registered = 1
    session.flush()
    return {"event": event.id, "registration": registration.id}


def page_objects(session: Session, shop_id: int, member_id: int) -> dict[str, int]:
    """The Spanish pages' (tests/ui/test_spanish_everywhere.py): an event with the member's
    seat (its page, ticket, registrations, check-in and attendance report)."""
    event = Event(
        shop_id=shop_id,
        title="Noche de trivial",
        starts_at=_SOON,
        ends_at=_SOON + timedelta(hours=2),
        capacity=30,
        event_type="trivia",
        self_check_in=True,  # the door screen shows its code
    )
    session.add(event)
    session.flush()
    registration = Registration(
        event_id=event.id,
        user_id=member_id,
        status="registered",
        ticket_code="PAGESTICKETPAGESTICKETPAGESTICKE",
    )
    session.add(registration)
    event.registered = 1
    session.flush()
    return {"event": event.id, "registration": registration.id}
