"""``queries.preview_counts``: how many active members would sit in each tier under
proposed thresholds, by their qualifying total in the period's window; one statement."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from stampbook.programs.models import MembershipStatus, Program
from stampbook.tiers import queries, rules
from stampbook.tiers.models import TierSettings, TierTotal
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop

pytestmark = pytest.mark.usefixtures("app_context")

TODAY = date(2026, 6, 15)


@pytest.fixture
def program(session: Session) -> Program:
    return make_program(session, make_shop(session, make_user(session)))


def _member(
    session: Session, program: Program, *amounts: tuple[int, int], status: str = "active"
) -> None:
    membership = make_membership(session, program, make_user(session), status=status)
    for bucket, amount in amounts:
        session.add(TierTotal(membership_id=membership.id, bucket=bucket, amount=amount))
    session.flush()


def test_no_members_no_tiers(program: Program) -> None:
    assert queries.preview_counts(program.id, [100, 500], today=TODAY) == [0, 0]
    assert queries.preview_counts(program.id, [], today=TODAY) == []


def test_lifetime_totals_by_proposed_thresholds(session: Session, program: Program) -> None:
    for amount in (50, 100, 499, 500, 2000):
        _member(session, program, (0, amount))
    _member(session, program, (0, 5000), status=MembershipStatus.LEFT)
    other = make_program(session, make_shop(session, make_user(session)))
    _member(session, other, (0, 5000))
    assert queries.preview_counts(program.id, [100, 500], today=TODAY) == [2, 2]
    assert queries.preview_counts(program.id, [10, 100, 1000], today=TODAY) == [1, 3, 1]
    assert queries.preview_counts(program.id, [10_000], today=TODAY) == [0]


def test_calendar_year_counts_this_year_only(session: Session, program: Program) -> None:
    session.add(TierSettings(program_id=program.id, period=rules.PeriodKind.CALENDAR_YEAR))
    _member(session, program, (2025, 900), (2026, 50))
    _member(session, program, (2026, 300), (2026 - 1, 10))
    assert queries.preview_counts(program.id, [100, 500], today=TODAY) == [1, 0]


def test_rolling_window_sums_the_last_365_days(session: Session, program: Program) -> None:
    session.add(TierSettings(program_id=program.id, period=rules.PeriodKind.ROLLING_12_MONTHS))
    day = TODAY.toordinal()
    _member(session, program, (day, 60), (day - 364, 60))  # both inside: 120
    _member(session, program, (day, 60), (day - 365, 60))  # one fell out: 60
    assert queries.preview_counts(program.id, [100], today=TODAY) == [1]
