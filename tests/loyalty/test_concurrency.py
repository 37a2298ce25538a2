"""Stores' calls racing on real parallel connections (RELIABILITY-CASES 5, 17, 35): an
activity with a limit of one credits once, an order delivered several times at once earns
once, refunds racing each other never take back more than the order earned."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import Credit, EarningRule, Order
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency


def _post(app: Flask, url: str, token: str, body: dict[str, Any]) -> int:
    client = app.test_client()
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"}).status_code


def _store(app: Flask) -> tuple[int, str]:
    with committed_session(app) as session:
        team = make_team(session)
        session.add_all(
            [
                EarningRule(program_id=team.program.id, kind="purchase", points=1, per_amount=100),
                EarningRule(
                    program_id=team.program.id,
                    kind="activity",
                    activity="survey_completed",
                    points=20,
                    limit_count=1,
                    limit_period="day",
                ),
            ]
        )
        return team.program.id, make_token(session, team.manager)


def _balance(external_id: str) -> int:
    return int(
        db.session.scalar(select(Membership.balance).where(Membership.external_id == external_id))
        or 0
    )


def test_thirty_identical_activities_with_a_limit_of_one_credit_once(committed: Flask) -> None:
    program_id, token = _store(committed)
    url = f"/api/v1/programs/{program_id}/activities"
    body = {"activity": "survey_completed", "external_id": "racer"}

    statuses = run_parallel(30, lambda _: _post(committed, url, token, body))

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 29, statuses
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(Credit)) == 1
        assert _balance("racer") == 20
        assert find_discrepancies() == []


def test_an_order_delivered_three_times_at_once_earns_once(committed: Flask) -> None:
    program_id, token = _store(committed)
    url = f"/api/v1/programs/{program_id}/orders"
    body = {
        "order_id": "1001",
        "external_id": "buyer",
        "currency": "USD",
        "subtotal": "59.90",
        "total": "59.90",
    }

    statuses = run_parallel(3, lambda _: _post(committed, url, token, body))

    assert statuses == [201, 201, 201]
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert _balance("buyer") == 59
        assert find_discrepancies() == []


def test_racing_refunds_never_take_back_more_than_the_order_earned(committed: Flask) -> None:
    program_id, token = _store(committed)
    order = {
        "order_id": "2001",
        "external_id": "buyer",
        "currency": "USD",
        "subtotal": "100.00",
        "total": "100.00",
    }
    assert _post(committed, f"/api/v1/programs/{program_id}/orders", token, order) == 201
    url = f"/api/v1/programs/{program_id}/refunds"

    def refund(index: int) -> int:
        body = {"refund_id": f"r{index}", "order_id": "2001", "currency": "USD", "amount": "40.00"}
        return _post(committed, url, token, body)

    statuses = run_parallel(6, refund)

    assert statuses == [201] * 6
    with committed.app_context():
        stored = db.session.scalars(select(Order)).one()
        assert (stored.points_earned, stored.points_clawed_back, stored.shortfall) == (100, 100, 0)
        assert _balance("buyer") == 0
        assert find_discrepancies() == []


def test_two_birthday_jobs_at_once_credit_once(committed: Flask) -> None:
    from datetime import UTC, datetime

    from stampbook.core.jobs import run_in_app
    from stampbook.loyalty.birthdays import credit_birthdays
    from tests.factories.accounts import make_user
    from tests.factories.programs import make_membership

    with committed_session(committed) as session:
        team = make_team(session)
        session.add(EarningRule(program_id=team.program.id, kind="birthday", points=100))
        for n in range(5):
            user = make_user(
                session, birthday="07-14", birthday_set_at=datetime(2020, 1, 1, tzinfo=UTC)
            )
            make_membership(session, team.program, user, external_id=f"born-{n}")
    day = datetime(2027, 7, 14, 12, tzinfo=UTC)

    def job(_: int) -> int:
        with committed.app_context():
            return int(run_in_app(lambda: credit_birthdays(day)))

    counts = run_parallel(2, job)

    assert sum(counts) == 5, counts
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(Credit)) == 5
        assert [_balance(f"born-{n}") for n in range(5)] == [100] * 5
        assert find_discrepancies() == []
