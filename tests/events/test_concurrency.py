"""Registrations and check-ins racing on real parallel connections (PostgreSQL): 50 people
for 10 seats leave exactly 10 registered and 40 waitlisted; concurrent cancellations seat
the waiting list in join order, never past capacity; one ticket scanned from five devices
at once is checked in, and paid, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.events.models import Event, Registration
from stampbook.ledger.models import LedgerEntry
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


def _event(session: Any, shop_id: int, **fields: Any) -> int:
    event = Event(
        shop_id=shop_id,
        title="Trivia",
        starts_at=SOON,
        ends_at=SOON + timedelta(hours=2),
        **fields,
    )
    session.add(event)
    session.flush()
    return event.id


def _post(app: Flask, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    client = app.test_client()
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def test_fifty_people_for_ten_seats(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        event_id = _event(session, team.shop.id, capacity=10)
        tokens = [make_token(session, make_user(session)) for _ in range(50)]
    url = f"/api/v1/events/{event_id}/registrations"

    answers = run_parallel(50, lambda i: _post(committed, url, tokens[i]))

    assert [answer.status_code for answer in answers] == [201] * 50
    statuses = sorted(answer.json["status"] for answer in answers)
    assert statuses.count("registered") == 10
    assert statuses.count("waitlisted") == 40
    with committed.app_context():
        event = db.session.get(Event, event_id)
        assert event is not None
        assert event.registered == 10


def test_concurrent_cancellations_promote_in_join_order(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        event_id = _event(session, team.shop.id, capacity=5)
        tokens = [make_token(session, make_user(session)) for _ in range(15)]
    url = f"/api/v1/events/{event_id}/registrations"
    made = [_post(committed, url, token).json for token in tokens]  # in order: 5 seats, 10 wait
    seated = made[:5]

    def cancel(index: int) -> int:
        client = committed.test_client()
        return client.delete(
            f"/api/v1/registrations/{seated[index]['id']}",
            headers={"Authorization": f"Bearer {tokens[index]}"},
        ).status_code

    assert run_parallel(5, cancel) == [204] * 5
    with committed.app_context():
        rows = db.session.scalars(
            select(Registration).where(Registration.event_id == event_id)
        ).all()
        status = {row.id: row.status for row in rows}
        event = db.session.get(Event, event_id)
        assert event is not None
        assert event.registered == 5
    promoted = [entry["id"] for entry in made[5:10]]
    still = [entry["id"] for entry in made[10:]]
    assert [status[i] for i in promoted] == ["registered"] * 5
    assert [status[i] for i in still] == ["waitlisted"] * 5


def test_one_ticket_scanned_from_five_devices_pays_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        event_id = _event(session, team.shop.id, points=10, program_id=team.program.id)
        member_token = make_token(session, team.member)
        door = make_token(session, team.assistant)
    ticket = _post(committed, f"/api/v1/events/{event_id}/registrations", member_token).json
    url = f"/api/v1/events/{event_id}/check-ins"

    answers = run_parallel(
        5,
        lambda i: _post(
            committed, url, door, {"ticket_code": ticket["ticket_code"], "nonce": f"d{i}"}
        ),
    )

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 409, 409, 409, 409]
    assert all(a.json["code"] == "already_checked_in" for a in answers if a.status_code == 409)
    with committed.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == "attendance", LedgerEntry.cause_id == str(ticket["id"]))
        )
        assert count == 1


def test_one_scan_sent_five_times_at_once_answers_alike_and_pays_once(committed: Flask) -> None:
    """A scanner's retries racing its first try (one nonce): the losers' points are undone
    and they answer as replays of the winner."""
    with committed_session(committed) as session:
        team = make_team(session)
        event_id = _event(session, team.shop.id, points=10, program_id=team.program.id)
        member_token = make_token(session, team.member)
        door = make_token(session, team.assistant)
        membership_id = team.memberships["member"].id
    ticket = _post(committed, f"/api/v1/events/{event_id}/registrations", member_token).json
    url = f"/api/v1/events/{event_id}/check-ins"
    with committed.app_context():
        before = db.session.get(Membership, membership_id).balance  # type: ignore[union-attr]

    answers = run_parallel(
        5,
        lambda _: _post(
            committed, url, door, {"ticket_code": ticket["ticket_code"], "nonce": "scan-1"}
        ),
    )

    assert [answer.status_code for answer in answers] == [200] * 5
    assert sorted(answer.json["replayed"] for answer in answers) == [False, True, True, True, True]
    with committed.app_context():
        entries = db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.kind == "attendance", LedgerEntry.cause_id == str(ticket["id"])
            )
        ).all()
        assert len(entries) == 1
        registration = db.session.get(Registration, ticket["id"])
        assert registration is not None and registration.points_entry_id == entries[0].id
        after = db.session.get(Membership, membership_id).balance  # type: ignore[union-attr]
        assert after == before + 10
