"""The ledger under real parallel connections: no lost update, no negative balance."""

from __future__ import annotations

import pytest
from flask import Flask

from stampbook.core import unit_of_work
from stampbook.core.errors import InsufficientPoints
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop

pytestmark = pytest.mark.concurrency


def test_fifty_parallel_debits_of_ten_against_one_hundred(committed: Flask) -> None:
    with committed_session(committed) as session:
        user = make_user(session)
        membership = make_membership(session, make_program(session, make_shop(session, user)), user)
        give_points(session, membership, 100)
        membership_id = membership.id

    def debit(_: int) -> str:
        with committed.app_context():
            try:
                unit_of_work.run(
                    lambda: ledger.post(
                        membership_id=membership_id,
                        amount=-10,
                        kind=EntryKind.REDEMPTION,
                        actor_id=None,
                    )
                )
            except InsufficientPoints:
                return "refused"
            return "ok"

    outcomes = run_parallel(50, debit)

    assert outcomes.count("ok") == 10
    assert outcomes.count("refused") == 40
    with committed.app_context():
        from stampbook.core.db import db

        assert db.session.get(Membership, membership_id).balance == 0
        assert len([e for e in _entries(membership_id) if e.amount == -10]) == 10
        assert find_discrepancies() == []


def test_parallel_transfers_in_both_directions_do_not_deadlock(committed: Flask) -> None:
    with committed_session(committed) as session:
        user = make_user(session)
        program = make_program(session, make_shop(session, user))
        first = make_membership(session, program, user)
        second = make_membership(session, program, make_user(session))
        give_points(session, first, 1000)
        give_points(session, second, 1000)
        ids = (first.id, second.id)

    def transfer(index: int) -> None:
        source, target = ids if index % 2 else ids[::-1]
        with committed.app_context():
            unit_of_work.run(
                lambda: ledger.transfer(
                    from_membership_id=source,
                    to_membership_id=target,
                    amount=7,
                    kind=EntryKind.TRANSFER,
                    actor_id=None,
                )
            )

    run_parallel(20, transfer)

    with committed.app_context():
        from stampbook.core.db import db

        balances = [db.session.get(Membership, i).balance for i in ids]
        assert sum(balances) == 2000
        assert find_discrepancies() == []


def _entries(membership_id: int) -> list:
    from sqlalchemy import select

    from stampbook.core.db import db
    from stampbook.ledger.models import LedgerEntry

    return list(
        db.session.scalars(select(LedgerEntry).where(LedgerEntry.membership_id == membership_id))
    )
