"""The clocks of points (ledger.maturing, ledger.clocks): expiry lot by lot and by inactivity,
spending soonest-expiring first, the lazy path and the sweep agreeing, turning expiry on and
off, and the reminders before points expire. The clock is pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core import due
from stampbook.core.errors import InsufficientPoints
from stampbook.ledger import book, clocks, maturing
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies, find_held_discrepancies
from stampbook.programs import expiring
from stampbook.programs.models import Membership, PointLot, Program
from tests.clocks import Clock, pin_clock
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop
from tests.occurrences import last_id, recorded

pytestmark = pytest.mark.usefixtures("app_context")

START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return pin_clock(monkeypatch, START)


def _program(session: Session, clock: Clock, **settings: Any) -> Program:
    shop = make_shop(session, make_user(session), time_zone="Europe/Madrid")
    program = make_program(session, shop)
    expiring.apply(program, settings, clock.now)
    session.flush()
    return program


def _member(session: Session, program: Program) -> Membership:
    return make_membership(session, program, make_user(session))


def _earn(membership: Membership, amount: int) -> LedgerEntry:
    return book.post(
        membership_id=membership.id, amount=amount, kind=EntryKind.ADJUSTMENT, actor_id=None
    )


def _spend(membership: Membership, amount: int) -> LedgerEntry:
    return book.post(
        membership_id=membership.id, amount=-amount, kind=EntryKind.REDEMPTION, actor_id=None
    )


def _balance(session: Session, membership: Membership) -> int:
    session.refresh(membership)
    return membership.balance


def _expired(session: Session, membership: Membership) -> list[int]:
    return list(
        session.scalars(
            select(LedgerEntry.amount)
            .where(
                LedgerEntry.membership_id == membership.id,
                LedgerEntry.kind == EntryKind.EXPIRY,
            )
            .order_by(LedgerEntry.id)
        )
    )


def _healthy(session: Session) -> None:
    assert find_discrepancies() == []
    assert find_held_discrepancies() == []


def test_points_expire_at_the_end_of_the_day_n_days_after_being_earned(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=30)
    member = _member(session, program)
    _earn(member, 10)
    [lot] = session.scalars(select(PointLot).where(PointLot.membership_id == member.id))
    # 10 March + 30 days = 9 April; the day ends at midnight in Madrid (UTC+2 in April).
    assert lot.expires_at == datetime(2026, 4, 9, 22, 0, tzinfo=UTC)
    clock.now = lot.expires_at - timedelta(seconds=1)
    maturing.mature(member.id)
    assert _balance(session, member) == 10
    clock.now = lot.expires_at
    maturing.mature(member.id)
    assert _balance(session, member) == 0
    assert _expired(session, member) == [-10]
    _healthy(session)


def test_month_and_year_end_expiry_in_the_shops_zone(session: Session, clock: Clock) -> None:
    by_month = _program(session, clock, expiry_mode="month", expiry_days=0)
    by_year = _program(session, clock, expiry_mode="year", expiry_days=60)
    member, other = _member(session, by_month), _member(session, by_year)
    _earn(member, 5)
    _earn(other, 5)
    month_lot = session.scalars(select(PointLot).where(PointLot.membership_id == member.id)).one()
    year_lot = session.scalars(select(PointLot).where(PointLot.membership_id == other.id)).one()
    assert month_lot.expires_at == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # 1 April, Madrid
    assert year_lot.expires_at == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 1 January


def test_spending_takes_the_soonest_expiring_points_and_spent_points_never_expire(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=10)
    member = _member(session, program)
    _earn(member, 10)  # expires first
    clock.advance(days=5)
    _earn(member, 20)
    _spend(member, 15)  # all 10 of the first lot, 5 of the second
    clock.advance(days=6)  # past the first lot's expiry: it was spent, nothing expires
    maturing.mature(member.id)
    assert _balance(session, member) == 15
    assert _expired(session, member) == []
    clock.advance(days=5)
    maturing.mature(member.id)
    assert _balance(session, member) == 0
    assert _expired(session, member) == [-15]
    _healthy(session)


def test_a_write_after_expiry_matures_first_so_expired_points_cannot_be_spent(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=1)
    member = _member(session, program)
    _earn(member, 10)
    clock.advance(days=3)  # no job ran
    with pytest.raises(InsufficientPoints):
        _spend(member, 5)
    # The refused debit changed nothing; the expiry it found due is the book's, once.
    maturing.mature(member.id)
    assert _balance(session, member) == 0
    assert _expired(session, member) == [-10]
    _earn(member, 4)
    assert _balance(session, member) == 4
    _healthy(session)


def test_maturing_twice_expires_once_and_the_lazy_path_and_the_sweep_agree(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=2)
    lazy, swept = _member(session, program), _member(session, program)
    for member in (lazy, swept):
        _earn(member, 7)
        clock.advance(hours=1)
        _earn(member, 3)
    clock.advance(days=4)
    _earn(lazy, 1)  # a write matures first
    assert clocks.mature_due() >= 1
    assert clocks.mature_due() == 0
    maturing.mature(swept.id)
    assert _expired(session, lazy) == _expired(session, swept) == [-10]
    assert _balance(session, lazy) == 1
    assert _balance(session, swept) == 0
    _healthy(session)


def test_a_read_in_a_read_only_transaction_has_the_membership_matured_first(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=1)
    member = _member(session, program)
    _earn(member, 10)
    clock.advance(days=3)
    token = due.reading.set(True)
    try:
        with pytest.raises(due.Due) as found:
            due.settle("membership", [member.id])
    finally:
        due.reading.reset(token)
    assert found.value.ids == [member.id]
    due.refresh(found.value.kind, found.value.ids)
    assert _balance(session, member) == 0


def test_inactivity_expires_the_whole_balance_and_activity_moves_the_deadline(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="inactive", expiry_days=30)
    member = _member(session, program)
    _earn(member, 10)
    clock.advance(days=29)
    _spend(member, 2)  # activity: the clock starts again
    clock.advance(days=29)
    maturing.mature(member.id)
    assert _balance(session, member) == 8
    clock.advance(days=1, seconds=1)  # 30 days after the last activity
    maturing.mature(member.id)
    assert _balance(session, member) == 0
    assert _expired(session, member) == [-8]
    _healthy(session)


def test_the_inactivity_boundary_to_the_second(session: Session, clock: Clock) -> None:
    program = _program(session, clock, expiry_mode="inactive", expiry_days=10)
    member = _member(session, program)
    _earn(member, 6)
    clock.now = START + timedelta(days=10) - timedelta(microseconds=1)
    maturing.mature(member.id)
    assert _balance(session, member) == 6
    clock.now = START + timedelta(days=10)
    maturing.mature(member.id)
    assert _balance(session, member) == 0


def test_turning_expiry_on_starts_every_clock_that_day_and_off_restores_nothing(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock)
    member = _member(session, program)
    _earn(member, 50)  # earned while points never expired
    clock.advance(days=100)
    expiring.apply(program, {"expiry_mode": "days", "expiry_days": 30}, clock.now)
    session.flush()
    clock.advance(days=30)  # 30 days later, the day has not ended yet in Madrid
    maturing.mature(member.id)
    assert _balance(session, member) == 50
    clock.advance(days=1)
    maturing.mature(member.id)
    assert _balance(session, member) == 0
    _earn(member, 5)
    expiring.apply(program, {"expiry_mode": "never"}, clock.now)
    clock.advance(days=400)
    maturing.mature(member.id)
    assert _balance(session, member) == 5  # expiry off: nothing expires, nothing comes back
    assert _expired(session, member) == [-50]
    _healthy(session)


def test_points_earned_while_expiry_was_off_are_spent_last_and_never_expire(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=5)
    member = _member(session, program)
    _earn(member, 10)
    # Points the lots do not cover (a credit racing the switch): they never expire.
    session.execute(
        PointLot.__table__.update().where(PointLot.membership_id == member.id).values(remaining=6)
    )
    _spend(member, 3)
    clock.advance(days=7)
    maturing.mature(member.id)
    assert _balance(session, member) == 4  # the lot's 3 left expired; 4 uncovered remain
    _healthy(session)


def test_reminders_go_once_each_warning_then_last_chance(session: Session, clock: Clock) -> None:
    program = _program(
        session,
        clock,
        expiry_mode="days",
        expiry_days=40,
        expiry_warning_days=30,
        expiry_last_chance_days=3,
    )
    member = _member(session, program)
    _earn(member, 12)
    mark = last_id(session)
    clock.advance(days=5)
    assert clocks.remind() == 0  # 35 days left: not yet
    clock.advance(days=6)
    assert clocks.remind() == 1  # 29 days left: the warning
    assert clocks.remind() == 0
    clock.advance(days=27)
    assert clocks.remind() == 1  # 2 days left: the last chance
    clock.advance(hours=12)
    assert clocks.remind() == 0
    stages = [payload["stage"] for kind, _, payload in recorded(session, mark)]
    assert stages == ["warning", "last_chance"]


def test_a_member_already_in_the_last_chance_window_gets_only_the_last_chance(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=2)
    member = _member(session, program)
    _earn(member, 3)
    mark = last_id(session)
    assert clocks.remind() == 1
    assert clocks.remind() == 0
    [(kind, _, payload)] = recorded(session, mark)
    assert (kind, payload["stage"], payload["amount"]) == ("points.expiring", "last_chance", 3)


def test_inactivity_reminders(session: Session, clock: Clock) -> None:
    program = _program(session, clock, expiry_mode="inactive", expiry_days=60)
    member = _member(session, program)
    _earn(member, 9)
    mark = last_id(session)
    clock.advance(days=31)
    assert clocks.remind() == 1
    clock.advance(days=27)
    assert clocks.remind() == 1
    assert clocks.remind() == 0
    payloads = [payload for _, _, payload in recorded(session, mark)]
    assert [p["stage"] for p in payloads] == ["warning", "last_chance"]
    assert payloads[0]["expires_at"] == (START + timedelta(days=60)).isoformat()


def test_expiry_announces_points_expired(session: Session, clock: Clock) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=1)
    member = _member(session, program)
    _earn(member, 4)
    mark = last_id(session)
    clock.advance(days=3)
    maturing.mature(member.id)
    [(kind, _, payload)] = recorded(session, mark)
    assert (kind, payload["kind"], payload["amount"], payload["balance"]) == (
        "points.expired",
        "expiry",
        4,
        0,
    )


def test_a_member_with_many_lots_spends_through_them_in_order(
    session: Session, clock: Clock
) -> None:
    program = _program(session, clock, expiry_mode="days", expiry_days=365)
    member = _member(session, program)
    for _ in range(30):
        _earn(member, 2)
        clock.advance(days=1)
    _spend(member, 41)
    live = session.scalars(
        select(PointLot.remaining)
        .where(PointLot.membership_id == member.id, PointLot.remaining > 0)
        .order_by(PointLot.expires_at)
    ).all()
    assert live == [1] + [2] * 9
    assert session.scalar(select(func.count()).select_from(PointLot)) >= 30
    _healthy(session)
