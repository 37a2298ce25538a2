"""Stamping under real parallel clients: limits hold and one-time bonuses are paid once."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from stampbook.tasks import stamping
from stampbook.tasks.models import Stamp, TaskBonusAward, TaskGroupAward
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.programs import make_membership
from tests.factories.tasks import make_task, make_world

pytestmark = pytest.mark.concurrency


def _post(app: Flask, url: str, token: str, body: dict[str, Any]) -> int:
    client = app.test_client()
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"}).status_code


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_twenty_parallel_stamps_with_a_maximum_of_five(committed: Flask) -> None:
    with committed_session(committed) as session:
        world = make_world(session)
        task = make_task(
            session,
            world.program,
            target=5,
            bonus_values={"reach_total": 50, "first_time_only": 3},
        )
        token = make_token(session, world.member)
        url, membership_id = f"/api/v1/tasks/{task.id}/stamps", world.membership.id

    statuses = run_parallel(
        20, lambda _: _post(committed, url, token, {"membership_id": membership_id})
    )

    assert statuses.count(201) == 5
    assert statuses.count(409) == 15
    with committed.app_context():
        assert _count(Stamp) == 5
        bonus_keys = db.session.scalars(select(TaskBonusAward.bonus_key)).all()
        assert sorted(bonus_keys) == ["completion", "first_time"]
        membership = db.session.get(Membership, membership_id)
        assert membership is not None and membership.balance == 5 * 10 + 50 + 3
        assert find_discrepancies() == []


def test_parallel_first_stamps_pay_the_first_time_bonus_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        world = make_world(session)
        task = make_task(
            session,
            world.program,
            bonus_values={
                "first_time_only": 7,
                "milestones": [{"points": 4, "quantity": 3}],
                "streaks": [{"length": 1, "points": 1}],
            },
        )
        token = make_token(session, world.member)
        url, membership_id = f"/api/v1/tasks/{task.id}/stamps", world.membership.id

    statuses = run_parallel(
        12, lambda _: _post(committed, url, token, {"membership_id": membership_id})
    )

    assert statuses == [201] * 12
    with committed.app_context():
        bonuses = db.session.scalars(
            select(LedgerEntry.note).where(LedgerEntry.kind == EntryKind.BONUS)
        ).all()
        assert sorted(bonuses) == sorted(
            [
                f"{task.name}: first time",
                f"{task.name}: 3 completions",
                f"{task.name}: 1-day streak",
            ]
        )
        assert find_discrepancies() == []


def test_group_success_is_paid_once_under_parallel_stamps(committed: Flask) -> None:
    with committed_session(committed) as session:
        world = make_world(session, stamp_system_type="self")
        task = make_task(
            session,
            world.program,
            point_value=1,
            group_target=3,
            bonus_values={
                "group_success": {"points": 100, "group_min_members": 2},
                "group_milestones": [{"points": 10, "quantity": 5}],
            },
        )
        people = []
        for _ in range(10):
            user = make_user(session)
            membership = make_membership(session, world.program, user)
            people.append((make_token(session, user), membership.id))
        url = f"/api/v1/tasks/{task.id}/stamps"

    statuses = run_parallel(
        10, lambda i: _post(committed, url, people[i][0], {"membership_id": people[i][1]})
    )

    assert statuses == [201] * 10
    with committed.app_context():
        assert _count(TaskGroupAward) == 2
        success = db.session.scalars(
            select(TaskBonusAward.membership_id).where(TaskBonusAward.bonus_key == "group:success")
        ).all()
        assert len(success) == len(set(success)) == 3  # the three whose stamps reached it
        milestone = db.session.scalars(
            select(TaskBonusAward.membership_id).where(
                TaskBonusAward.bonus_key == "group_milestone:5"
            )
        ).all()
        assert len(milestone) == len(set(milestone)) == 5
        bonus_total = db.session.scalar(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.kind == EntryKind.BONUS)
        )
        assert bonus_total == 3 * 100 + 5 * 10
        assert find_discrepancies() == []


def test_parallel_revocations_of_one_stamp_reverse_it_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        world = make_world(session)
        task = make_task(session, world.program, bonus_values={"first_time_only": 5})
        owner_token = make_token(session, world.owner)
        member_token = make_token(session, world.member)
        membership_id = world.membership.id
    client = committed.test_client()
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": membership_id},
        headers={"Authorization": f"Bearer {member_token}"},
    )
    stamp_id = response.json["stamp"]["id"]  # type: ignore[index]

    def revoke(_: int) -> int:
        return (
            committed.test_client()
            .delete(
                f"/api/v1/stamps/{stamp_id}", headers={"Authorization": f"Bearer {owner_token}"}
            )
            .status_code
        )

    statuses = run_parallel(10, revoke)

    assert statuses.count(200) == 1
    assert statuses.count(409) == 9
    with committed.app_context():
        assert _count(LedgerEntry, LedgerEntry.kind == EntryKind.REVERSAL) == 2
        membership = db.session.get(Membership, membership_id)
        assert membership is not None and membership.balance == 0
        assert find_discrepancies() == []


@pytest.mark.postgres
def test_a_busy_payee_found_late_retries_instead_of_waiting(committed: Flask) -> None:
    with committed_session(committed) as session:
        world = make_world(session)
        busy_id = world.other_membership.id
    with committed.app_context():
        holder = db.engine.connect()
        try:
            holder.execute(
                select(Membership.id).where(Membership.id == busy_id).with_for_update()
            ).all()
            with pytest.raises(RetryTransaction):
                stamping._lock_without_waiting({busy_id})
            db.session.rollback()
        finally:
            holder.close()
        stamping._lock_without_waiting({busy_id})  # free again: taken at once
        db.session.rollback()
