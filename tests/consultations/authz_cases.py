"""The consultations' part of the authorization suites (tests/reliability/authz_*.py): a
verified host whose account is the assistant's (every day 09:00-12:00 UTC, hourly slots), a
pending professional, and the member's session that began two hours ago (so it can be closed;
too late for the member to cancel, not completed yet to be rated)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stampbook.consultations.models import Booking, Host
from stampbook.core.db import utcnow

if TYPE_CHECKING:
    from tests.reliability.authz_world import World

EVERY_DAY = [{"day": day, "start": "09:00", "end": "12:00"} for day in range(7)]
NEW_HOST = {"professional_name": "Mia Chen", "weekly_hours": EVERY_DAY}
NEW_HOST_FORM = {
    "professional_name": "Mia Chen",
    "user_id": "",
    "currency": "USD",
    "time_zone": "UTC",
    "day_0": "09:00-12:00",
    "slot_minutes": "30",
    "buffer_minutes": "0",
    "cancel_hours": "24",
}


def consultation_objects(
    session: Session, shop_id: int, host_user_id: int, member_id: int
) -> dict[str, int]:
    host = Host(
        shop_id=shop_id,
        user_id=host_user_id,
        professional_name="Dr. Authz",
        verification_status="verified",
        time_zone="UTC",
        weekly_hours=EVERY_DAY,
        slot_minutes=60,
    )
    pending = Host(shop_id=shop_id, professional_name="Pending Pro", time_zone="UTC")
    session.add_all([host, pending])
    session.flush()
    start = utcnow().replace(microsecond=0) - timedelta(hours=2)
    booking = Booking(
        host_id=host.id,
        shop_id=shop_id,
        user_id=member_id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    # And one the host finished yesterday, for the member to rate.
    earlier = start - timedelta(days=1)
    finished = Booking(
        host_id=host.id,
        shop_id=shop_id,
        user_id=member_id,
        starts_at=earlier,
        ends_at=earlier + timedelta(hours=1),
        status="completed",
    )
    session.add_all([booking, finished])
    session.flush()
    return {
        "host": host.id,
        "pending_host": pending.id,
        "booking": booking.id,
        "finished": finished.id,
    }


def _tomorrow_at_nine() -> str:
    day = (utcnow() + timedelta(days=1)).date()
    return datetime.combine(day, time(9), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def book(world: World, role: str) -> dict[str, Any]:
    return {"starts_at": _tomorrow_at_nine()}


def book_form(world: World, role: str) -> dict[str, Any]:
    return {"starts_at": _tomorrow_at_nine(), "session_type": "video"}


def api_world_objects(
    session: Session, shop_id: int, host_user_id: int, member_id: int
) -> dict[str, int]:
    """For the fuzzer (tests/reliability/api_world.py): a verified host, a pending one, a
    session of the member's that began and one finished."""
    return consultation_objects(session, shop_id, host_user_id, member_id)


def page_objects(session: Session, shop_id: int, member_id: int) -> dict[str, int]:
    """For tests/ui/test_spanish_everywhere.py: a verified host with free slots, and the
    member's session completed with the host's notes, waiting for the member's rating."""
    host = Host(
        shop_id=shop_id,
        professional_name="Dra. Ana Ruiz",
        bio="Nutricionista deportiva.",
        credentials=["RD"],
        specializations=["nutrición deportiva"],
        languages=["español"],
        years_experience=9,
        rate_minor=4500,
        currency="EUR",
        verification_status="verified",
        time_zone="Europe/Madrid",
        weekly_hours=EVERY_DAY,
        slot_minutes=50,
        buffer_minutes=10,
    )
    session.add(host)
    session.flush()
    start = utcnow().replace(microsecond=0) - timedelta(days=1)
    booking = Booking(
        host_id=host.id,
        shop_id=shop_id,
        user_id=member_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        status="completed",
        topic="Dieta para correr",
        session_notes="Menos azúcar.",
        session_cost_minor=4500,
        currency="EUR",
        payment_status="paid",
    )
    session.add(booking)
    session.flush()
    return {"host": host.id, "booking": booking.id}
