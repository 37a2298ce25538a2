"""Events' figures (issue 18): tickets checked in at the door, and a rush on registration.

**Check-in.** Shop 1 runs ``LOADS * EVENTS_PER_LOAD`` events under way, each with a
registration (a ticket) for every member of the load's sample (users 1..history_members) and
attendance points for program 1. The scenario checks tickets in through
``POST /api/v1/events/{id}/check-ins`` with the shop owner's token, each ticket once with
a nonce of its own (a scanner's guard against its own retries), event after event, as a door
queue does. Each load (the warm-up too) takes the tickets of its own block of events, so
none is checked in twice (a ticket sent again would be answered as a replay of the first
scan): a block holds more tickets than the fastest load sends. Its throughput is divided by
the bare SQL redemption's (a conditional update and a ledger insert, as a check-in with
points is).

**Registration rush** (``bench.registration_rush``): one free event with ``SEATS`` seats,
empty, for ``RUSH_MEMBERS`` members (more than the seats) to register at once.

Loaded after ``dataset.load`` and ``lots.load`` with explicit ids (the events table is empty
until then), through set-based inserts as the rest of the bench data.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, text

from stampbook.bench.dataset import Size, owner_id, token_secret
from stampbook.bench.wrk import PreparedRequest

# Tickets for four loads: the warm-up and the measurement, twice over (a second run of the
# scenario in one size, or its alternation, wraps around and is refused as a repeat).
EVENTS_PER_LOAD = 16  # x 1,000 members: 16,000 tickets, more than wrk's two threads reach
LOADS = 4
POINTS = 10  # attendance points to program 1, through the ledger as at a real door
SEATS = 100
RUSH_MEMBERS = 300

EVENT_COLUMNS = """
    id, shop_id, title, description, event_type, location, starts_at, ends_at, capacity,
    registered, price, currency, hold_hours, points, program_id, is_active, created_by,
    created_at
"""


@dataclass(frozen=True)
class Door:
    """The ids of the events' rows in a database loaded at a size."""

    members: int  # the tickets of each check-in event: users 1..members
    rush_event: int
    rush_seats: int
    rush_members: int  # users 1..rush_members rush to register

    def check_in_events(self, load: int) -> range:
        first = 1 + (load % LOADS) * EVENTS_PER_LOAD
        return range(first, first + EVENTS_PER_LOAD)


def door(size: Size) -> Door:
    """At the bench's sizes 100 seats for 300 members; a tiny size gets a third of its sample
    as seats, so the rush still overflows."""
    return Door(
        members=size.history_members,
        rush_event=LOADS * EVENTS_PER_LOAD + 1,
        rush_seats=min(SEATS, size.history_members // 3),
        rush_members=min(RUSH_MEMBERS, size.history_members),
    )


def ticket_code(event_id: int, user_id: int) -> str:
    """32 characters, as a real ticket's code; ``_TICKET`` makes the same in SQL."""
    return f"BT{event_id:010d}{user_id:020d}"


_TICKET = "'BT' || lpad(e::text, 10, '0') || lpad(u::text, 20, '0')"


def _sql(connection: Connection, statement: str, **params: object) -> None:
    connection.execute(text(statement), params)


def load(connection: Connection, size: Size) -> None:
    """Add the check-in events with their tickets, and the rush's empty event, to shop 1."""
    world = door(size)
    check_ins = LOADS * EVENTS_PER_LOAD
    _sql(
        connection,
        f"""
        INSERT INTO events ({EVENT_COLUMNS})
        SELECT e, 1, 'Door queue ' || e, '', 'bench', 'Main hall',
               now() - interval '1 hour', now() + interval '1 day', :members, :members, 0,
               'USD', 48, :points, 1, true, :owner, now()
        FROM generate_series(1, CAST(:events AS bigint)) AS e
    """,
        members=world.members,
        points=POINTS,
        owner=owner_id(size),
        events=check_ins,
    )
    _sql(
        connection,
        f"""
        INSERT INTO events ({EVENT_COLUMNS})
        VALUES (:event, 1, 'Registration rush', '', 'bench', 'Main hall',
                now() + interval '7 days', now() + interval '7 days 2 hours', :seats, 0, 0,
                'USD', 48, 0, 1, true, :owner, now())
    """,
        event=world.rush_event,
        seats=world.rush_seats,
        owner=owner_id(size),
    )
    _sql(
        connection,
        f"""
        INSERT INTO registrations (event_id, user_id, status, ticket_code, joined_at,
                                   payment_status, created_at)
        SELECT e, u, 'registered', {_TICKET}, now() - interval '1 day', 'free',
               now() - interval '1 day'
        FROM generate_series(1, CAST(:events AS bigint)) AS e,
             generate_series(1, CAST(:members AS bigint)) AS u
        ORDER BY e, u
    """,
        events=check_ins,
        members=world.members,
    )
    for table in ("events", "registrations"):
        _sql(
            connection,
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))",
        )


# Each size's database is loaded afresh: its loads count from the first block again.
_loads: dict[str, Iterator[int]] = {}


def check_ins(size: Size, _cookies: dict[int, str]) -> list[PreparedRequest]:
    """The next load's door queue: its block's tickets, event after event."""
    world = door(size)
    load = next(_loads.setdefault(size.name, itertools.count()))
    owner = token_secret(owner_id(size))
    return [
        PreparedRequest(
            "POST",
            f"/api/v1/events/{event}/check-ins",
            owner,
            # A door scanner's own replay guard is the scan's nonce (issue 18), not an
            # Idempotency-Key: a scan sent again answers as the first.
            json.dumps({"ticket_code": ticket_code(event, user), "nonce": f"door{event}-{user}"}),
        )
        for event in world.check_in_events(load)
        for user in range(1, world.members + 1)
    ]
