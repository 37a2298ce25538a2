"""Redeeming and contributing under real parallel clients: stock, limits and balances hold."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.accounts.models import User
from stampbook.core import unit_of_work
from stampbook.core.db import db
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from stampbook.rewards import contributing, settling
from stampbook.rewards.models import Contribution, Redemption, Reward
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.programs import make_program
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_shop

pytestmark = pytest.mark.concurrency


def post(app: Flask, url: str, body: dict[str, Any], token: str, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = app.test_client().post(url, json=body, headers=headers)
    return response.status_code, response.json


def members(
    app: Flask, count: int, points: int, **reward_fields: Any
) -> tuple[int, list[int], list[str]]:
    """A reward and ``count`` members holding ``points`` each, with their tokens."""
    with committed_session(app) as session:
        shop = make_shop(session, make_user(session))
        program = make_program(session, shop)
        reward = make_reward(session, shop, **reward_fields)
        made = [make_member(session, shop, points, program=program) for _ in range(count)]
        tokens = [make_token(session, session.get(User, m.user_id)) for m in made]  # type: ignore[arg-type]
        return reward.id, [m.id for m in made], tokens


def settled(app: Flask) -> dict[str, Any]:
    with app.app_context():
        session = db.session
        return {
            "discrepancies": find_discrepancies(),
            "receipts": session.scalar(select(func.count()).select_from(Redemption)),
            "balances": dict(session.execute(select(Membership.id, Membership.balance)).all()),
            "rewards": {r.id: r for r in session.scalars(select(Reward))},
            "contributions": list(session.scalars(select(Contribution))),
        }


def test_fifty_members_race_for_five_in_stock(committed: Flask) -> None:
    reward_id, ids, tokens = members(committed, 50, 10, cost=10, quantity=5)
    url = f"/api/v1/rewards/{reward_id}/redemptions"

    outcomes = run_parallel(
        50, lambda i: post(committed, url, {"membership_id": ids[i]}, tokens[i])
    )

    statuses = Counter((status, body.get("code")) for status, body in outcomes)
    assert statuses == {(201, None): 5, (409, "out_of_stock"): 45}
    state = settled(committed)
    assert state["rewards"][reward_id].quantity == 0
    assert state["receipts"] == 5
    assert sorted(state["balances"].values()) == [0] * 5 + [10] * 45
    assert state["discrepancies"] == []


def test_one_member_fires_thirty_redemptions_against_a_user_limit_of_three(
    committed: Flask,
) -> None:
    reward_id, (membership_id,), (token,) = members(committed, 1, 100, cost=10, user_limit=3)
    url = f"/api/v1/rewards/{reward_id}/redemptions"

    outcomes = run_parallel(
        30, lambda _: post(committed, url, {"membership_id": membership_id}, token)
    )

    statuses = Counter((status, body.get("code")) for status, body in outcomes)
    assert statuses == {(201, None): 3, (409, "limit_reached"): 27}
    state = settled(committed)
    assert state["balances"][membership_id] == 70
    assert state["receipts"] == 3
    assert state["discrepancies"] == []


def test_parallel_redemptions_of_different_rewards_never_overspend(committed: Flask) -> None:
    costs = [5, 10, 15, 20, 25, 30, 35, 40]  # 180 in all, against 100 points
    with committed_session(committed) as session:
        shop = make_shop(session, make_user(session))
        rewards = [make_reward(session, shop, cost=cost).id for cost in costs]
        member = make_member(session, shop, 100)
        token = make_token(session, session.get(User, member.user_id))  # type: ignore[arg-type]
        membership_id = member.id

    def redeem(index: int) -> tuple[int, Any]:
        url = f"/api/v1/rewards/{rewards[index]}/redemptions"
        return post(committed, url, {"membership_id": membership_id}, token)

    outcomes = run_parallel(len(costs), redeem)

    won = [cost for cost, (status, _) in zip(costs, outcomes, strict=True) if status == 201]
    lost = [cost for cost, (status, _) in zip(costs, outcomes, strict=True) if status != 201]
    assert {body["code"] for status, body in outcomes if status != 201} <= {"insufficient_points"}
    state = settled(committed)
    balance = state["balances"][membership_id]
    assert balance == 100 - sum(won) >= 0
    assert state["receipts"] == len(won)
    # A refusal was right: the balance only went down after it.
    assert all(balance < cost for cost in lost)
    assert state["discrepancies"] == []


@pytest.mark.parametrize("stock", [1, None])
def test_contributions_race_to_complete_a_group_reward(committed: Flask, stock: int | None) -> None:
    reward_id, ids, tokens = members(
        committed, 12, 100, cost=100, is_group_reward=True, quantity=stock
    )
    url = f"/api/v1/rewards/{reward_id}/contributions"

    outcomes = run_parallel(
        12, lambda i: post(committed, url, {"membership_id": ids[i], "points": 15}, tokens[i])
    )

    state = settled(committed)
    reward = state["rewards"][reward_id]
    taken = sum(c.points for c in state["contributions"])
    spent = sum(100 - balance for balance in state["balances"].values())
    assert taken == spent  # nothing lost, nothing taken twice
    assert sum(1 for status, body in outcomes if status == 201 and body["completed"]) == 1
    round_one = [c for c in state["contributions"] if c.group_round == 1]
    assert sum(c.points for c in round_one) == 100
    assert state["receipts"] == len(round_one) == 7  # six of 15, then the 10 still missing
    assert reward.group_round == 2
    if stock == 1:
        assert reward.quantity == 0
        refused = Counter(body["code"] for status, body in outcomes if status != 201)
        assert refused == {"out_of_stock": 5}
        assert reward.group_progress == 0
    else:
        assert reward.group_progress == taken - 100 == 75
    assert state["discrepancies"] == []


def test_one_idempotency_key_sent_in_parallel_has_one_effect(committed: Flask) -> None:
    reward_id, (membership_id,), (token,) = members(committed, 1, 100, cost=10)
    url = f"/api/v1/rewards/{reward_id}/redemptions"

    outcomes = run_parallel(
        10, lambda _: post(committed, url, {"membership_id": membership_id}, token, key="same")
    )

    assert {status for status, _ in outcomes} == {201}
    assert len({body["id"] for _, body in outcomes}) == 1
    state = settled(committed)
    assert (state["receipts"], state["balances"][membership_id]) == (1, 90)
    assert state["discrepancies"] == []


def test_the_expiry_job_run_in_parallel_refunds_each_pot_once(committed: Flask) -> None:
    expiry = datetime(2024, 5, 1, tzinfo=UTC)
    reward_id, ids, _ = members(
        committed, 5, 100, cost=1000, is_group_reward=True, expiry_date=expiry
    )
    with committed.app_context():
        for membership_id in ids:
            membership = db.session.get(Membership, membership_id)
            assert membership is not None
            user = db.session.get(User, membership.user_id)
            unit_of_work.run(
                lambda m=membership_id, u=user: contributing.contribute(
                    u, reward_id=reward_id, membership_id=m, points=30, now=expiry - timedelta(1)
                )
            )

    def job(_: int) -> int:
        with committed.app_context():
            return unit_of_work.run(lambda: settling.refund_expired_group_rewards(now=expiry))

    refunded = run_parallel(8, job)

    assert sum(refunded) == 5
    state = settled(committed)
    assert set(state["balances"].values()) == {100}
    assert state["rewards"][reward_id].group_progress == 0
    assert state["discrepancies"] == []
