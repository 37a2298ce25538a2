"""Rewards granted for free (``rewards.granting``): once per cause, the stock moving as a
redemption's, an outcome (not an exception) when the reward is out of stock, deleted or
expired, and a grant that waits for an unclaimed customer's account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.occurrences import OccurrenceType
from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership, MembershipStatus
from stampbook.rewards import granting, redeeming
from stampbook.rewards.models import (
    DiscountStatus,
    GrantOutcome,
    Redemption,
    RedemptionStatus,
    RewardKind,
)
from stampbook.shops.models import Shop
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_shop
from tests.occurrences import last_id, recorded

pytestmark = pytest.mark.usefixtures("app_context")

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
CAUSE = "test_cause"


@pytest.fixture
def owner(session: Session) -> User:
    return make_user(session)


@pytest.fixture
def shop(session: Session, owner: User) -> Shop:
    return make_shop(session, owner)


def _grant(membership: Membership, reward_id: int, cause_id: int = 1) -> Redemption | None:
    return granting.grant(
        membership_id=membership.id,
        reward_id=reward_id,
        cause_type=CAUSE,
        cause_id=cause_id,
        now=T0,
    )


def _outcome(cause_id: int = 1) -> str | None:
    row = granting.outcome(CAUSE, cause_id)
    return row.outcome if row else None


def _receipts(session: Session, membership: Membership) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Redemption)
            .where(Redemption.paid_by_membership_id == membership.id)
        )
        or 0
    )


def test_a_free_receipt_once_per_cause(session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, name="Cake", cost=30, quantity=5)
    member = make_member(session, shop, 7)
    before = last_id(session)
    receipt = _grant(member, reward.id)
    assert receipt is not None
    assert (receipt.points_paid, receipt.quantity, receipt.status) == (0, 1, "issued")
    assert (receipt.user_id, receipt.paid_by_user_id) == (member.user_id, member.user_id)
    assert receipt.ledger_entry_id is None
    assert receipt.reward_content["name"] == "Cake"
    assert reward.quantity == 4
    assert _outcome() == GrantOutcome.GRANTED
    # Called again (a consumer run twice): the same receipt, nothing more.
    again = _grant(member, reward.id)
    assert again is not None and again.id == receipt.id
    assert _receipts(session, member) == 1 and reward.quantity == 4
    # Another cause: another receipt.
    assert _grant(member, reward.id, cause_id=2) is not None
    assert _receipts(session, member) == 2
    session.refresh(member)
    assert member.balance == 7  # no points moved
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    created = [
        p for t, _s, p in recorded(session, before) if t == OccurrenceType.REDEMPTION_CREATED
    ]
    assert [p["redemption_id"] for p in created] == [receipt.id, receipt.id + 1]
    assert created[0]["points"] == 0
    assert find_discrepancies() == []


def test_out_of_stock_is_an_outcome_not_an_error(session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, quantity=1)
    first, second = make_member(session, shop), make_member(session, shop)
    assert _grant(first, reward.id, 1) is not None
    assert _grant(second, reward.id, 2) is None
    assert (_outcome(2), reward.quantity) == (GrantOutcome.OUT_OF_STOCK, 0)
    # Final: stock coming back later does not give it.
    reward.quantity = 3
    session.flush()
    assert _grant(second, reward.id, 2) is None
    assert _receipts(session, second) == 0


def test_deleted_expired_group_and_other_shops_rewards_are_unavailable(
    session: Session, owner: User, shop: Shop
) -> None:
    member = make_member(session, shop)
    deleted = make_reward(session, shop, deleted_at=T0 - timedelta(days=1))
    expired = make_reward(session, shop, expiry_date=T0 - timedelta(minutes=1))
    group = make_reward(session, shop, is_group_reward=True)
    elsewhere = make_reward(session, make_shop(session, owner))
    for cause_id, reward in enumerate([deleted, expired, group, elsewhere], start=1):
        assert _grant(member, reward.id, cause_id) is None
        assert _outcome(cause_id) == GrantOutcome.UNAVAILABLE
    assert _receipts(session, member) == 0


def test_a_member_who_left_gets_nothing(session: Session, shop: Shop) -> None:
    member = make_member(session, shop, status=MembershipStatus.LEFT)
    reward = make_reward(session, shop)
    assert _grant(member, reward.id) is None
    assert _outcome() == GrantOutcome.MEMBER_GONE


def test_an_unclaimed_customer_waits_for_an_account(session: Session, shop: Shop) -> None:
    program = make_program(session, shop)
    customer = make_membership(session, program, None, email="ana@example.com")
    reward = make_reward(session, shop, quantity=2)
    assert _grant(customer, reward.id) is None
    assert _outcome() == GrantOutcome.WAITING
    assert [row.cause_id for row in granting.waiting(customer.id)] == [1]
    assert reward.quantity == 2  # nothing taken while it waits
    customer.user_id = make_user(session).id
    session.flush()
    receipt = _grant(customer, reward.id)
    assert receipt is not None and receipt.user_id == customer.user_id
    assert (_outcome(), reward.quantity) == (GrantOutcome.GRANTED, 1)
    assert granting.waiting(customer.id) == []


def test_a_discount_reward_waits_for_its_code_and_cancelling_gives_no_points(
    session: Session, owner: User, shop: Shop
) -> None:
    reward = make_reward(
        session,
        shop,
        quantity=1,
        kind=RewardKind.DISCOUNT_PERCENT,
        discount_percent=10,
    )
    member = make_member(session, shop, 5)
    receipt = _grant(member, reward.id)
    assert receipt is not None and receipt.discount_status == DiscountStatus.PENDING
    assert reward.quantity == 0
    redeeming.cancel_redemption(owner, redemption_id=receipt.id, reason="mistake")
    assert receipt.status == RedemptionStatus.CANCELLED
    assert reward.quantity == 1  # the stock came back
    session.refresh(member)
    assert member.balance == 5
    assert find_discrepancies() == []


def test_missing_membership_or_reward_answers_none(session: Session, shop: Shop) -> None:
    member = make_member(session, shop)
    assert _grant(member, 10**9) is None
    reward = make_reward(session, shop)
    assert (
        granting.grant(membership_id=10**9, reward_id=reward.id, cause_type=CAUSE, cause_id=9)
        is None
    )
    assert _outcome(9) is None
