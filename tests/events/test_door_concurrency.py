"""Self check-in racing the team's scan on real parallel connections (PostgreSQL): the
member's phones and the door team's devices at once check the seat in, and pay, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core import clock
from stampbook.core.db import db
from stampbook.events import door
from stampbook.events.models import Event
from stampbook.ledger.models import LedgerEntry
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


def _post(app: Flask, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    client = app.test_client()
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def test_self_check_ins_and_the_teams_scan_at_once_pay_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        event = Event(
            shop_id=team.shop.id,
            title="Trivia",
            starts_at=SOON,
            ends_at=SOON + timedelta(hours=2),
            points=10,
            program_id=team.program.id,
            self_check_in=True,
        )
        session.add(event)
        session.flush()
        event_id = event.id
        member = make_token(session, team.member)
        assistant = make_token(session, team.assistant)
    ticket = _post(committed, f"/api/v1/events/{event_id}/registrations", member).json
    with committed.app_context():
        key = door.derive_key(committed.config["SECRET_KEY"])
    code = door.current(key, event_id, clock.now()).code

    def scan(i: int) -> Any:
        if i < 3:  # the member's phones
            body = {"door_code": code, "nonce": f"phone{i}"}
            return _post(committed, f"/api/v1/events/{event_id}/self-check-ins", member, body)
        body = {"ticket_code": ticket["ticket_code"], "nonce": f"door{i}"}
        return _post(committed, f"/api/v1/events/{event_id}/check-ins", assistant, body)

    answers = run_parallel(5, scan)

    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409, 409]
    assert all(a.json["code"] == "already_checked_in" for a in answers if a.status_code == 409)
    with committed.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == "attendance", LedgerEntry.cause_id == str(ticket["id"]))
        )
        assert count == 1
