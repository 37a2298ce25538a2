"""Members booking the last free slot at once, on real parallel connections (PostgreSQL
with ``DATABASE_URL``; SQLite runs them one at a time): exactly one wins, every other gets
409 ``slot_taken``, and the slot holds one booking."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.consultations.models import Booking
from stampbook.core.db import db
from tests.concurrency import committed_session, run_parallel
from tests.consultations.conftest import make_host
from tests.factories.accounts import make_token, make_user
from tests.factories.shops import make_shop

pytestmark = pytest.mark.concurrency


def _call(app: Flask, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return client.get(url, headers=headers)
    return client.post(url, json=body, headers=headers)


def _last_slot_race(app: Flask, racers: int) -> None:
    with committed_session(app) as session:
        owner = make_user(session)
        shop = make_shop(session, owner)
        # One slot a week: Mondays 09:00-10:00 in Madrid.
        host = make_host(
            session,
            shop.id,
            weekly_hours=[{"day": 0, "start": "09:00", "end": "10:00"}],
            slot_minutes=60,
            buffer_minutes=0,
        )
        host_id = host.id
        early = make_token(session, make_user(session))
        tokens = [make_token(session, make_user(session)) for _ in range(racers)]
    slots = _call(app, f"/api/v1/hosts/{host_id}/slots", early).json["items"]
    assert len(slots) == 2, slots
    first, last = slots[0]["starts_at"], slots[1]["starts_at"]
    url = f"/api/v1/hosts/{host_id}/bookings"
    assert _call(app, url, early, {"starts_at": first}).status_code == 201
    remaining = _call(app, f"/api/v1/hosts/{host_id}/slots", early).json["items"]
    assert [s["starts_at"] for s in remaining] == [last]

    answers = run_parallel(racers, lambda i: _call(app, url, tokens[i], {"starts_at": last}))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (racers - 1), statuses
    assert {a.json["code"] for a in answers if a.status_code == 409} <= {"slot_taken"}
    with app.app_context():
        held = db.session.scalar(
            select(func.count()).where(Booking.host_id == host_id, Booking.status == "booked")
        )
        assert held == 2
    assert _call(app, f"/api/v1/hosts/{host_id}/slots", early).json["items"] == []


def test_two_members_booking_the_last_slot_at_once_one_wins(committed: Flask) -> None:
    for _ in range(5):
        _last_slot_race(committed, 2)


def test_twelve_members_racing_for_the_last_slot(committed: Flask) -> None:
    _last_slot_race(committed, 12)
