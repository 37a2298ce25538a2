"""Points batches under real parallel dispatches (truly parallel on PostgreSQL; SQLite
serialises writers): eight stamps' occurrences dispatched at once make one notice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from stampbook.core import outbox, unit_of_work
from stampbook.core.db import db
from stampbook.core.occurrences import OccurrenceType
from stampbook.notifications.models import Notification
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop

T0 = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)
PARALLEL = 8


@pytest.mark.concurrency
def test_parallel_dispatches_of_one_members_points_make_one_notice(
    committed: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox.dispatch, "enqueue", lambda *_: None)
    with committed_session(committed) as session:
        owner, member = make_user(session), make_user(session)
        shop = make_shop(session, owner, name="Café Luna")
        program = make_program(session, shop)
        membership = make_membership(session, program, member)
        ids = (membership.id, program.id, member.id, shop.id)

    def earn() -> int | None:
        return outbox.record(
            OccurrenceType.POINTS_EARNED,
            shop_id=ids[3],
            now=T0,
            membership_id=ids[0],
            program_id=ids[1],
            user_id=ids[2],
            entry_id=1,
            kind="stamp",
            amount=1,
            balance=1,
        )

    with committed.app_context():
        occurrences = [unit_of_work.run(earn) for _ in range(PARALLEL)]

    def dispatch(index: int) -> bool:
        with committed.app_context():
            occurrence_id = occurrences[index]
            assert occurrence_id is not None
            return unit_of_work.run(lambda: outbox.dispatch_now(occurrence_id))

    assert all(run_parallel(PARALLEL, dispatch))
    with committed.app_context():
        notices = db.session.scalars(
            select(Notification).where(Notification.user_id == ids[2])
        ).all()
        assert [(n.points, n.title) for n in notices] == [
            (PARALLEL, f"You earned {PARALLEL} points in Café Luna")
        ]
