"""The same file imported several times at once, on real parallel connections: every row is
applied by one import only (the identifiers' unique claim), so each customer is made once and
paid once, and the ledger adds up."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import CustomerImport
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency

ROWS = 300
COPIES = 4


def test_the_same_file_imported_four_times_at_once_pays_each_row_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        program_id, token = team.program.id, make_token(session, team.manager)
    body = {
        "rows": [
            {"identifier": f"race-{n}", "external_id": f"racer-{n}", "points": n + 1}
            for n in range(ROWS)
        ]
    }

    def send(_: int) -> Any:
        client = committed.test_client()
        return client.post(
            f"/api/v1/programs/{program_id}/customer-imports",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ).status_code

    assert run_parallel(COPIES, send) == [202] * COPIES
    with committed.app_context():
        imports = db.session.scalars(select(CustomerImport)).all()
        assert [i.status for i in imports] == ["done"] * COPIES
        assert sum(i.rows_applied for i in imports) == ROWS
        assert sum(i.rows_skipped for i in imports) == ROWS * (COPIES - 1)
        assert sum(i.customers_added for i in imports) == ROWS
        members = select(func.count(), func.sum(Membership.balance)).where(
            Membership.program_id == program_id, Membership.external_id.is_not(None)
        )
        assert tuple(db.session.execute(members).one()) == (ROWS, sum(range(1, ROWS + 1)))
        assert find_discrepancies() == []
