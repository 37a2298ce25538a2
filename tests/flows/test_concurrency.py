"""Flows under real parallel clients: opposite merges keep every point."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership, Program
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop

pytestmark = pytest.mark.concurrency


def test_opposite_merges_in_parallel_keep_every_point(committed: Flask) -> None:
    with committed_session(committed) as session:
        owner = make_user(session)
        shop = make_shop(session, owner)
        first, second = make_program(session, shop), make_program(session, shop)
        people = [make_user(session) for _ in range(6)]
        for index, person in enumerate(people):
            if index % 3 != 2:
                give_points(session, make_membership(session, first, person), 10 + index)
            if index % 3 != 0:
                give_points(session, make_membership(session, second, person), 20 + index)
        ids = (first.id, second.id)
        headers = {"Authorization": f"Bearer {make_token(session, owner)}"}
        total = session.scalar(select(func.sum(Membership.balance)))

    def merge(index: int) -> int:
        target, source = ids if index % 2 else ids[::-1]
        client = committed.test_client()
        return client.post(
            f"/api/v1/programs/{target}/merge",
            headers=headers,
            json={"source_program_id": source},
        ).status_code

    statuses = run_parallel(8, merge)

    # One merge wins; each other finds one of the two programs archived: 409 while it raced
    # the winner, 404 once the winner's merge had made it gone for the API.
    assert statuses.count(200) == 1
    assert len(statuses) == 8 and set(statuses) - {200} <= {404, 409}
    with committed.app_context():
        session = db.session
        assert session.scalar(select(func.sum(Membership.balance))) == total
        assert find_discrepancies() == []
        archived = session.scalars(select(Program).where(Program.archived_at.is_not(None))).all()
        assert len(archived) == 1
        survivor = archived[0].merged_into_id
        people_left = session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.program_id == survivor, Membership.status == "active")
        )
        assert people_left == 6
