"""Random orders, refunds, activities and year ends through the API against a model of tiers
written apart from ``tiers.rules`` (calendar years, retention 90%; on money, and on points with
a multiplier): after every step the member's tier, as ``GET /memberships/{id}/tier`` answers it
(reviewing lazily), equals the model's."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from stampbook.tiers.models import Tier, TierSettings
from tests.clocks import pin_clock
from tests.loyalty.conftest import Store

THRESHOLDS = [10_000, 40_000]  # $100 and $400, in cents
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Model:
    def __init__(self, thresholds: list[int] = THRESHOLDS) -> None:
        self.thresholds = thresholds
        self.by_year: dict[int, int] = {}
        self.tier = -1
        self.held_year = 0

    def settle(self, year: int) -> None:
        while self.tier >= 0 and self.held_year < year:
            kept = self.by_year.get(self.held_year, 0) * 100 >= self.thresholds[self.tier] * 90
            if not kept:
                self.tier -= 1
            self.held_year += 1

    def add(self, year: int, cents: int) -> None:
        self.settle(year)
        self.by_year[year] = self.by_year.get(year, 0) + cents
        if cents > 0:
            total = self.by_year[year]
            reached = max((i for i, t in enumerate(self.thresholds) if total >= t), default=-1)
            if reached > self.tier:
                self.tier, self.held_year = reached, year


def _tier_answered(store: Store, session: Session) -> int | None:
    """The customer's tier as ``GET /memberships/{id}/tier`` answers it (reviewing lazily)."""
    membership_id = session.scalar(
        select(Membership.id).where(
            Membership.program_id == store.program_id, Membership.external_id == "cust-1"
        )
    )
    answer = store.client.get(f"/api/v1/memberships/{membership_id}/tier", headers=store.headers)
    assert answer.status_code == 200, answer.json
    return answer.json["tier"]["id"] if answer.json["tier"] else None


@pytest.mark.parametrize("seed", range(4))
def test_the_members_tier_follows_the_model(
    store: Store, session: Session, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    clock = pin_clock(monkeypatch, START)
    session.add(TierSettings(program_id=store.program_id, basis="money", period="calendar_year"))
    tiers = [
        Tier(program_id=store.program_id, name=f"T{i}", threshold=t)
        for i, t in enumerate(THRESHOLDS)
    ]
    session.add_all(tiers)
    session.flush()
    ids = [tier.id for tier in tiers]
    model = Model()
    rng = random.Random(seed)
    orders: list[tuple[str, int]] = []  # (order id, cents left to refund)
    seen: set[int | None] = set()
    for step in range(18):
        action = rng.random()
        if action < 0.5 or not orders:
            cents = rng.randint(100, 30_000)
            order_id = f"o{step}"
            response = store.order(order_id, subtotal=f"{cents / 100:.2f}")
            assert response.status_code == 201, response.json
            orders.append((order_id, cents))
            model.add(clock.now.year, cents)
        elif action < 0.7:
            index = rng.randrange(len(orders))
            order_id, left = orders[index]
            if left > 0:
                cents = rng.randint(1, left)
                refund = store.refund(f"r{step}", order_id, f"{cents / 100:.2f}")
                assert refund.status_code == 201, refund.json
                orders[index] = (order_id, left - cents)
                model.add(clock.now.year, -cents)
        else:
            clock.now += timedelta(days=rng.randint(30, 400))
        model.settle(clock.now.year)
        expected = ids[model.tier] if model.tier >= 0 else None
        got = _tier_answered(store, session)
        assert got == expected, (seed, step, model.by_year, model.tier)
        seen.add(got)
    assert len(seen) >= 2  # the member's tier did change


POINT_THRESHOLDS = [100, 400]
MULTIPLIERS = [100, 150]  # the top tier earns half as much again on purchases and activities


@pytest.mark.parametrize("seed", range(4))
def test_on_points_with_activities_and_the_multiplier(
    store: Store, session: Session, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The points basis: orders, refunds and a custom activity, each earning at the
    multiplier of the tier the model holds at that moment (the member's tier is read back
    through the API after every step, a fall included before any job ran)."""
    clock = pin_clock(monkeypatch, START)
    session.add(TierSettings(program_id=store.program_id, basis="points", period="calendar_year"))
    tiers = [
        Tier(program_id=store.program_id, name=f"P{i}", threshold=t, multiplier_percent=m)
        for i, (t, m) in enumerate(zip(POINT_THRESHOLDS, MULTIPLIERS, strict=True))
    ]
    session.add_all(tiers)
    session.flush()
    rule = store.post("earning-rules", {"kind": "activity", "activity": "quiz", "points": 20})
    assert rule.status_code == 201, rule.json
    ids = [tier.id for tier in tiers]
    model = Model(POINT_THRESHOLDS)
    rng = random.Random(seed)
    orders: list[tuple[str, int]] = []
    seen: set[int | None] = set()

    def extra(base: int) -> int:
        model.settle(clock.now.year)
        percent = MULTIPLIERS[model.tier] if model.tier >= 0 else 100
        return base * percent // 100 - base

    for step in range(24):
        action = rng.random()
        if action < 0.4 or not orders:
            cents = rng.randint(100, 25_000)
            order_id = f"o{step}"
            expected_extra = extra(cents // 100)
            response = store.order(order_id, subtotal=f"{cents / 100:.2f}")
            assert response.status_code == 201, response.json
            assert response.json["points_tier"] == expected_extra, (seed, step)
            orders.append((order_id, cents))
            model.add(clock.now.year, int(response.json["points_earned"]))
        elif action < 0.55:
            index = rng.randrange(len(orders))
            order_id, left = orders[index]
            if left > 0:
                cents = rng.randint(1, left)
                refund = store.refund(f"r{step}", order_id, f"{cents / 100:.2f}")
                assert refund.status_code == 201, refund.json
                orders[index] = (order_id, left - cents)
                taken = int(refund.json["points_clawed_back"]) + int(refund.json["shortfall"])
                model.add(clock.now.year, -taken)
        elif action < 0.75:
            expected_extra = extra(20)
            body = {"activity": "quiz", "external_id": "cust-1", "reference": f"q{step}"}
            credited = store.post("activities", body)
            assert credited.status_code == 201, credited.json
            model.add(clock.now.year, 20 + expected_extra)
        else:
            clock.now += timedelta(days=rng.randint(30, 400))
        model.settle(clock.now.year)
        expected = ids[model.tier] if model.tier >= 0 else None
        got = _tier_answered(store, session)
        assert got == expected, (seed, step, model.by_year, model.tier)
        seen.add(got)
    assert len(seen) >= 2
