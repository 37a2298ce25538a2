"""Birthday points when the member is next seen: due on their wall clock (``birthday_year_due``),
they are credited by a job queued after the first authenticated request of the day, not by
the request, which reads nothing more for it; that job and the hourly one never credit twice
(the same reference, each member locked in one order), racing on PostgreSQL included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core import outbox
from stampbook.core.db import db
from stampbook.core.jobs import run_in_app
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty import birthdays
from stampbook.loyalty.birthdays import credit_birthdays, credit_birthdays_of, note_seen
from stampbook.loyalty.models import Credit, EarningRule
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import auth, make_user
from tests.factories.apikeys import make_api_key
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import Team, make_team
from tests.pages import log_in
from tests.querycount import count_statements

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
BIRTHDAY_NOON = datetime(2027, 7, 14, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with a process that has looked at nobody today."""
    monkeypatch.setattr(birthdays, "_LOOKED_AT", {})


def _pin(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr("stampbook.core.clock.now", lambda: moment)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The users queued for the job, which is not run."""
    calls: list[int] = []
    monkeypatch.setattr(birthdays.credit_seen_birthdays, "enqueue", calls.append)
    return calls


def _team_with_rule(session: Session, points: int = 100) -> Team:
    team = make_team(session)
    session.add(EarningRule(program_id=team.program.id, kind="birthday", points=points))
    session.flush()
    return team


def _balance(session: Session, membership: Membership) -> int:
    session.refresh(membership)
    return membership.balance


def _credits(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Credit)) or 0)


def _work_queue(app: Flask, queued: list[int]) -> int:
    """Run the queued jobs as a worker would, after the request; what they credited."""
    credited = 0
    with app.app_context():
        while queued:
            user_id = queued.pop(0)
            credited += int(run_in_app(lambda u=user_id: birthdays.credit_seen_birthdays(u)))
    return credited


def test_a_member_seen_on_their_birthday_is_credited_without_the_job(
    app: Flask,
    client: FlaskClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    queued: list[int],
) -> None:
    team = _team_with_rule(session)
    user = make_user(session, birthday="07-14", birthday_set_at=LONG_AGO)
    member = make_membership(session, team.program, user)
    _pin(monkeypatch, BIRTHDAY_NOON)
    headers = auth(session, user)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert queued == [user.id]
    assert _work_queue(app, queued) == 1
    assert _balance(session, member) == 100
    credit = session.scalars(select(Credit)).one()
    assert credit.reference == f"birthday-{member.id}-2027"
    # The hourly job finds it done; seen again the next day, nothing more.
    with app.app_context():
        assert run_in_app(lambda: credit_birthdays(BIRTHDAY_NOON)) == 0
    _pin(monkeypatch, BIRTHDAY_NOON + timedelta(days=1))
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert _work_queue(app, queued) == 0
    assert (_balance(session, member), _credits(session)) == (100, 1)
    # A page the member opens (session cookie) is a sighting too: next year, say.
    _pin(monkeypatch, BIRTHDAY_NOON + timedelta(days=366))
    log_in(client, user.email)
    assert client.get("/").status_code == 200
    assert _work_queue(app, queued) == 1
    assert (_balance(session, member), _credits(session)) == (200, 2)
    with app.app_context():
        assert find_discrepancies() == []


def test_seen_in_a_request_that_writes_the_job_runs_after_its_commit(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs run inline in tests (JOBS_IMMEDIATE): after a write's commit, the queued job
    credits at once (after a read, the test harness's savepoints would swallow it, so the
    tests above run the queue themselves, as a worker does)."""
    team = _team_with_rule(session)
    user = make_user(session, birthday="07-14", birthday_set_at=LONG_AGO)
    member = make_membership(session, team.program, user)
    _pin(monkeypatch, BIRTHDAY_NOON)
    changed = client.patch(
        "/api/v1/users/me", headers=auth(session, user), json={"name": "Birthday Person"}
    )
    assert changed.status_code == 200
    assert (_balance(session, member), _credits(session)) == (100, 1)


def test_the_job_first_then_the_member_seen_credits_once(
    app: Flask,
    client: FlaskClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    queued: list[int],
) -> None:
    team = _team_with_rule(session)
    user = make_user(session, birthday="07-14", birthday_set_at=LONG_AGO)
    member = make_membership(session, team.program, user)
    with app.app_context():
        assert run_in_app(lambda: credit_birthdays(BIRTHDAY_NOON)) == 1
        assert run_in_app(lambda: credit_birthdays_of(user.id, BIRTHDAY_NOON)) == 0
    _pin(monkeypatch, BIRTHDAY_NOON)
    assert client.get("/api/v1/users/me", headers=auth(session, user)).status_code == 200
    assert _work_queue(app, queued) == 0
    assert (_balance(session, member), _credits(session)) == (100, 1)


def test_every_program_of_the_member_with_a_birthday_rule_credits(
    app: Flask, session: Session
) -> None:
    first, second = _team_with_rule(session, 100), _team_with_rule(session, 30)
    without = make_program(session, first.shop)  # no birthday rule: nothing
    user = make_user(session, birthday="07-14", birthday_set_at=LONG_AGO)
    members = [make_membership(session, p, user) for p in (first.program, second.program, without)]
    with app.app_context():
        assert run_in_app(lambda: credit_birthdays_of(user.id, BIRTHDAY_NOON)) == 2
        assert run_in_app(lambda: credit_birthdays_of(user.id, BIRTHDAY_NOON)) == 0
    assert [_balance(session, m) for m in members] == [100, 30, 0]


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({}, "no birthday"),
        ({"birthday": "07-20", "birthday_set_at": LONG_AGO}, "not come yet"),
        (
            {"birthday": "07-14", "birthday_set_at": datetime(2027, 7, 1, tzinfo=UTC)},
            "set less than 30 days before it",
        ),
        ({"birthday": "07-14", "time_zone": "America/Lima"}, "still the 13th in Lima"),
    ],
)
def test_nothing_due_queues_nothing_and_reads_nothing(
    app: Flask,
    engine: Any,
    session: Session,
    queued: list[int],
    fields: dict[str, Any],
    why: str,
) -> None:
    user = make_user(session, **fields)
    evening = datetime(2027, 7, 13, 20, tzinfo=UTC)  # already the 14th in Tokyo
    with app.test_request_context(), count_statements(engine) as statements:
        assert note_seen(user, evening) is False, why
    assert statements.count == 0
    assert queued == []


def test_a_due_member_is_queued_once_a_day_by_a_process_after_the_commit(
    app: Flask,
    client: FlaskClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    queued: list[int],
) -> None:
    tokyo = make_user(session, birthday="07-14", birthday_set_at=LONG_AGO, time_zone="Asia/Tokyo")
    evening = datetime(2027, 7, 13, 20, tzinfo=UTC)  # already the 14th in Tokyo
    _pin(monkeypatch, evening)
    headers = auth(session, tokyo)
    for _ in range(3):
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert queued == [tokyo.id]
    # A refused request (a bad body) commits nothing and queues nothing.
    _pin(monkeypatch, evening + timedelta(days=1))
    refused = client.patch("/api/v1/users/me", headers=headers, json={"birthday": "13-45"})
    assert refused.status_code == 422
    assert queued == [tokyo.id]
    # The next day (still due until the year ends), once more: the job finds it done.
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert queued == [tokyo.id, tokyo.id]


def test_an_api_key_is_not_its_maker_seen(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch, queued: list[int]
) -> None:
    team = make_team(session)
    team.manager.birthday, team.manager.birthday_set_at = "07-14", LONG_AGO
    session.flush()
    secret, _key = make_api_key(session, team.shop, team.manager, scopes=("read",))
    _pin(monkeypatch, BIRTHDAY_NOON)
    answer = client.get(
        f"/api/v1/programs/{team.program.id}/earning-rules",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 200, answer.json
    assert queued == []
    client.get("/api/v1/users/me", headers=auth(session, team.manager))
    assert queued == [team.manager.id]


def test_the_hot_endpoints_read_nothing_more_for_a_due_member(
    app: Flask,
    client: FlaskClient,
    session: Session,
    engine: Any,
    monkeypatch: pytest.MonkeyPatch,
    queued: list[int],
) -> None:
    """The balance endpoint's pinned count (tests/test_query_counts.py) holds for a member
    whose birthday points are due: the request only queues the job."""
    team = _team_with_rule(session)
    plain = make_user(session)
    due = make_user(session, birthday="07-14", birthday_set_at=LONG_AGO)
    urls = {
        user.id: f"/api/v1/memberships/{make_membership(session, team.program, user).id}"
        for user in (plain, due)
    }
    _pin(monkeypatch, BIRTHDAY_NOON)
    counts = []
    before = outbox.use(())
    try:
        for user in (plain, due, due):  # the second time, looked at today already
            headers = auth(session, user)
            with count_statements(engine) as statements:
                assert client.get(urls[user.id], headers=headers).status_code == 200
            counts.append(statements.count)
    finally:
        outbox.use(before)
    assert counts == [counts[0]] * 3, counts
    assert queued == [due.id]


@pytest.mark.concurrency
def test_the_hourly_job_and_members_seen_racing_credit_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        teams = [make_team(session), make_team(session)]
        for team in teams:
            session.add(EarningRule(program_id=team.program.id, kind="birthday", points=100))
        users = [make_user(session, birthday="07-14", birthday_set_at=LONG_AGO) for _ in range(6)]
        # Every user in both programs: the two jobs lock the same rows, in one order.
        for team in teams:
            for user in users:
                make_membership(session, team.program, user)
        user_ids = [u.id for u in users]

    def work(index: int) -> int:
        with committed.app_context():
            if index % 4 == 0:
                return int(run_in_app(lambda: credit_birthdays(BIRTHDAY_NOON)))
            user_id = user_ids[index % len(user_ids)]
            return int(run_in_app(lambda: credit_birthdays_of(user_id, BIRTHDAY_NOON)))

    counts = run_parallel(12, work)

    assert sum(counts) == 12, counts  # six members in two programs, each once
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(Credit)) == 12
        balances = db.session.scalars(
            select(Membership.balance).where(Membership.user_id.in_(user_ids))
        ).all()
        assert sorted(balances) == [100] * 12
        assert find_discrepancies() == []
