"""A registration rush (issue 18): ``events.RUSH_MEMBERS`` distinct members (more than the
event's ``events.SEATS`` seats) register for one free event at once through
``POST /api/v1/events/{id}/registrations``, on 16 connections of their own as real clients
(``dispatch.burst``). Exactly the seats must end registered and the rest waitlisted: the
event's own count and its rows must agree, and never pass the capacity (oversold).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import create_engine, text

from stampbook.bench.dataset import Size, token_secret
from stampbook.bench.dispatch import burst
from stampbook.bench.events import door
from stampbook.bench.wrk import PreparedRequest


@dataclass(frozen=True)
class RushFigures:
    members: int  # each registered once, at once
    seats: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    registered: int  # rows registered
    waitlisted: int
    unplaced: int  # members with neither a seat nor a place in line
    counted: int  # the event's own count of seats taken
    # More seats given than the event has, or its count disagreeing with its rows.
    oversold: bool
    full: bool  # every seat taken (more members than seats asked)


STATUSES = text(
    "SELECT status, count(*) FROM registrations WHERE event_id = :event GROUP BY status"
)
SEATS_TAKEN = text("SELECT registered FROM events WHERE id = :event")


def measure(base_url: str, database_url: str, size: Size) -> dict[str, Any]:
    """The rush on the app at ``base_url`` and what it left in the database."""
    world = door(size)
    path = f"/api/v1/events/{world.rush_event}/registrations"
    requests = [
        PreparedRequest("POST", path, token_secret(user))
        for user in range(1, world.rush_members + 1)
    ]
    sent = burst(base_url, requests, len(requests))
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            statuses: dict[str, int] = dict(
                connection.execute(STATUSES, {"event": world.rush_event}).all()
            )
            counted = connection.execute(SEATS_TAKEN, {"event": world.rush_event}).scalar_one()
    finally:
        engine.dispose()
    registered, waitlisted = statuses.get("registered", 0), statuses.get("waitlisted", 0)
    figures = RushFigures(
        members=sent.requests,
        seats=world.rush_seats,
        seconds=sent.seconds,
        throughput=sent.throughput,
        p50_ms=sent.p50_ms,
        p95_ms=sent.p95_ms,
        p99_ms=sent.p99_ms,
        errors=sent.errors,
        registered=registered,
        waitlisted=waitlisted,
        unplaced=world.rush_members - registered - waitlisted,
        counted=counted,
        oversold=registered > world.rush_seats or counted != registered,
        full=registered == min(world.rush_seats, world.rush_members),
    )
    return asdict(figures)
