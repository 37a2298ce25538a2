"""A double tap at the counter on PostgreSQL: taps racing with one Idempotency-Key stamp
once and all get the same answer; taps racing without one still stamp once a day when the
task allows one a day (the stamp's own rules and locks)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.queries import find_discrepancies
from stampbook.tasks.models import Stamp
from tests.cards.conftest import ONCE_A_DAY
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token
from tests.factories.tasks import make_task, make_world

pytestmark = pytest.mark.concurrency


def _tap(app: Flask, url: str, token: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    answer = app.test_client().post(url, json=body, headers=headers)
    return answer.status_code, answer.get_json()


def _stamps() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Stamp)) or 0)


@pytest.mark.parametrize("frequency", [None, ONCE_A_DAY])
def test_a_double_tap_with_one_key_stamps_once(committed: Flask, frequency: Any) -> None:
    with committed_session(committed) as session:
        world = make_world(session)
        task = make_task(session, world.program, point_value=10, frequency_settings=frequency)
        token = make_token(session, world.stamper)
        url = f"/api/v1/programs/{world.program.id}/card-scans/stamps"
        body = {"card_code": world.membership.card_code, "task_id": task.id}

    answers = run_parallel(6, lambda _: _tap(committed, url, token, body, "double-tap"))

    assert {status for status, _ in answers} == {201}
    assert len({answer["stamp"]["id"] for _, answer in answers}) == 1
    with committed.app_context():
        assert _stamps() == 1
        assert find_discrepancies() == []


def test_taps_without_a_key_keep_to_once_a_day(committed: Flask) -> None:
    with committed_session(committed) as session:
        world = make_world(session)
        task = make_task(session, world.program, point_value=10, frequency_settings=ONCE_A_DAY)
        token = make_token(session, world.stamper)
        url = f"/api/v1/programs/{world.program.id}/card-scans/stamps"
        body = {"card_code": world.membership.card_code, "task_id": task.id}

    answers = run_parallel(6, lambda _: _tap(committed, url, token, body, None))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 409, 409, 409, 409, 409]
    assert {a["code"] for s, a in answers if s == 409} == {"frequency_exceeded"}
    with committed.app_context():
        assert _stamps() == 1
