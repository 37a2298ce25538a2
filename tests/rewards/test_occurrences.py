"""What redeeming, contributing and cancelling announce through the outbox (core.outbox)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.errors import InsufficientPoints
from stampbook.programs.models import Membership, Program
from stampbook.rewards import contributing, redeeming
from tests.factories.accounts import make_user
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_shop
from tests.occurrences import last_id, recorded

pytestmark = pytest.mark.usefixtures("app_context")

T0 = datetime(2030, 5, 1, 12, tzinfo=UTC)


def _user(session: Session, membership: Membership) -> User:
    user = session.get(User, membership.user_id)
    assert user is not None
    return user


def test_a_redemption_announces_points_spent_and_the_receipt(session: Session) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    reward = make_reward(session, shop, cost=15)
    member = make_member(session, shop, 100)
    mark = last_id(session)

    receipt = redeeming.redeem(
        _user(session, member), reward_id=reward.id, membership_id=member.id, quantity=2, now=T0
    )

    assert recorded(session, mark) == [
        (
            "points.spent",
            shop.id,
            {
                "membership_id": member.id,
                "program_id": member.program_id,
                "user_id": member.user_id,
                "entry_id": receipt.ledger_entry_id,
                "kind": "redemption",
                "amount": 30,
                "balance": 70,
                "cause_type": "redemption",
                "cause_id": str(receipt.id),
            },
        ),
        (
            "redemption.created",
            shop.id,
            {
                "redemption_id": receipt.id,
                "reward_id": reward.id,
                "user_id": member.user_id,
                "paid_by_user_id": member.user_id,
                "membership_id": member.id,
                "quantity": 2,
                "points": 30,
            },
        ),
    ]

    mark = last_id(session)
    redeeming.cancel_redemption(owner, redemption_id=receipt.id, reason="mistake", now=T0)
    # The refund is not points earned: the cancellation alone is announced.
    assert recorded(session, mark) == [
        (
            "redemption.cancelled",
            shop.id,
            {
                "redemption_id": receipt.id,
                "reward_id": reward.id,
                "user_id": member.user_id,
                "membership_id": member.id,
                "cancelled_by": owner.id,
                "reason": "mistake",
            },
        )
    ]


def test_a_refused_redemption_announces_nothing(session: Session) -> None:
    shop = make_shop(session, make_user(session))
    reward = make_reward(session, shop, cost=500)
    member = make_member(session, shop, 100)
    mark = last_id(session)
    with pytest.raises(InsufficientPoints):
        redeeming.redeem(_user(session, member), reward_id=reward.id, membership_id=member.id)
    assert recorded(session, mark) == []


def test_a_pot_announces_each_contribution_and_each_receipt_when_full(session: Session) -> None:
    shop = make_shop(session, make_user(session))
    reward = make_reward(session, shop, cost=100, is_group_reward=True)
    first = make_member(session, shop, 60)
    second = make_member(session, shop, 60, program=session.get(Program, first.program_id))
    mark = last_id(session)

    for member in (first, second):
        contributing.contribute(
            _user(session, member), reward_id=reward.id, membership_id=member.id, points=60, now=T0
        )

    kinds = [
        (kind, payload.get("amount"), payload.get("user_id"))
        for kind, _, payload in recorded(session, mark)
    ]
    assert kinds == [
        ("points.spent", 60, first.user_id),
        ("points.spent", 40, second.user_id),
        ("redemption.created", None, first.user_id),
        ("redemption.created", None, second.user_id),
    ]
