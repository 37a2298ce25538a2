"""Programs under real parallel clients: one membership per person, merges keep every point."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.programs import make_program
from tests.factories.shops import make_shop

pytestmark = pytest.mark.concurrency


def test_parallel_joins_make_one_membership(committed: Flask) -> None:
    with committed_session(committed) as session:
        owner, joiner = make_user(session), make_user(session)
        program = make_program(session, make_shop(session, owner))
        program_id = program.id
        headers = {"Authorization": f"Bearer {make_token(session, joiner)}"}

    def join(_: int) -> int:
        client = committed.test_client()
        return client.post(
            f"/api/v1/programs/{program_id}/memberships", headers=headers, json={}
        ).status_code

    statuses = run_parallel(12, join)

    assert sorted(statuses) == [201] + [409] * 11
    with committed.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.program_id == program_id)
        )
        assert count == 1
