"""The ledger service: conditional updates, immutability, reversals, doctor."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from stampbook.core.db import db
from stampbook.core.errors import Conflict, InsufficientPoints, NotFound
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


@pytest.fixture
def membership(app_context: None, session: Session) -> Membership:
    user = make_user(session)
    return make_membership(session, make_program(session, make_shop(session, user)), user)


def credit(membership: Membership, amount: int) -> LedgerEntry:
    return ledger.post(
        membership_id=membership.id, amount=amount, kind=EntryKind.ADJUSTMENT, actor_id=None
    )


def test_post_moves_balance_and_records_entry(membership: Membership) -> None:
    entry = credit(membership, 30)
    assert (entry.amount, entry.balance_after, membership.balance) == (30, 30, 30)
    debit = credit(membership, -12)
    assert (debit.balance_after, membership.balance) == (18, 18)


def test_debit_below_zero_is_refused_and_changes_nothing(membership: Membership) -> None:
    credit(membership, 5)
    with pytest.raises(InsufficientPoints) as refused:
        credit(membership, -6)
    assert refused.value.extra == {"balance": 5, "needed": 6}
    assert membership.balance == 5
    assert len(list(db.session.scalars(db.session.query(LedgerEntry).statement))) == 1


@pytest.mark.parametrize("amount", [0, 1.5, True, "3"])
def test_amounts_must_be_non_zero_integers(membership: Membership, amount: object) -> None:
    with pytest.raises(ValueError, match="non-zero integer"):
        credit(membership, amount)  # type: ignore[arg-type]


def test_huge_amounts_are_refused(membership: Membership) -> None:
    with pytest.raises(Conflict):
        credit(membership, 2**62)


def test_unknown_membership(app_context: None) -> None:
    with pytest.raises(NotFound):
        ledger.post(membership_id=987654, amount=-1, kind=EntryKind.ADJUSTMENT, actor_id=None)


def test_reversal_applies_at_most_once(membership: Membership) -> None:
    entry = credit(membership, 40)
    reversal = ledger.reverse(entry.id, actor_id=None)
    assert (reversal.amount, reversal.reverses_id, membership.balance) == (-40, entry.id, 0)
    with pytest.raises(Conflict) as again:
        ledger.reverse(entry.id, actor_id=None)
    assert again.value.code == "already_reversed"
    with pytest.raises(Conflict):
        ledger.reverse(reversal.id, actor_id=None)


def test_reversal_that_would_go_negative_is_refused(membership: Membership) -> None:
    entry = credit(membership, 40)
    credit(membership, -30)
    with pytest.raises(InsufficientPoints):
        ledger.reverse(entry.id, actor_id=None)


def test_transfer_keeps_the_total(membership: Membership, session: Session) -> None:
    other = make_membership(session, _program_of(session, membership), make_user(session))
    credit(membership, 50)
    debit, credit_entry = ledger.transfer(
        from_membership_id=membership.id,
        to_membership_id=other.id,
        amount=20,
        kind=EntryKind.TRANSFER,
        actor_id=None,
    )
    assert (debit.amount, credit_entry.amount) == (-20, 20)
    assert (membership.balance, other.balance) == (30, 20)


def _program_of(session: Session, membership: Membership):
    from stampbook.programs.models import Program

    return session.get(Program, membership.program_id)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount = 999",
        "DELETE FROM ledger_entries",
    ],
)
def test_entries_are_immutable_in_the_database(
    membership: Membership, session: Session, statement: str
) -> None:
    credit(membership, 10)
    with pytest.raises(DBAPIError, match="immutable"), session.begin_nested():
        session.execute(text(statement))


def test_doctor_finds_a_corrupted_balance(membership: Membership, session: Session) -> None:
    credit(membership, 10)
    assert find_discrepancies() == []
    session.execute(update(Membership).where(Membership.id == membership.id).values(balance=11))
    found = find_discrepancies()
    assert [(d.membership_id, d.balance, d.ledger_sum) for d in found] == [(membership.id, 11, 10)]


@pytest.mark.parametrize("column", ["points_earned", "points_spent"])
def test_doctor_finds_corrupted_totals(
    membership: Membership, session: Session, column: str
) -> None:
    credit(membership, 10)
    credit(membership, -4)
    assert find_discrepancies() == []
    session.execute(update(Membership).where(Membership.id == membership.id).values({column: 99}))
    [found] = find_discrepancies()
    assert (found.earned, found.ledger_earned, found.spent, found.ledger_spent) == (
        (99, 10, 4, 4) if column == "points_earned" else (10, 10, 99, 4)
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(st.integers(min_value=-60, max_value=60).filter(bool), max_size=30))
def test_random_credits_and_debits_keep_doctor_happy(
    membership: Membership, amounts: list[int]
) -> None:
    start = membership.balance
    expected = start
    for amount in amounts:
        try:
            credit(membership, amount)
        except InsufficientPoints:
            assert expected + amount < 0
        else:
            expected += amount
        assert membership.balance == expected >= 0
    assert find_discrepancies() == []
