"""The 10,000-lot benchmark's parts without a load: its ids, its scenarios and target, and
(on PostgreSQL) its data, loaded as the bench loads it, read and spent through the app with
``stampbook doctor``'s checks passing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from stampbook.bench import dataset, lots, report, runner
from stampbook.bench.scenarios import (
    JSON_BASELINE,
    MANY_LOTS_READ,
    MANY_LOTS_REDEEM,
    ONE_LOT_READ,
    ONE_LOT_REDEEM,
    SCENARIOS,
    SQL_BASELINE,
)
from tests.bench.loads import TINY, loaded_app


def test_the_lot_shops_ids_follow_the_datasets() -> None:
    world = lots.world(TINY)
    members = TINY.shops * TINY.members_per_shop
    assert (world.shop, world.program) == (3, 3)
    side = lots.MEMBERS
    assert world.many == tuple(range(members + 1, members + side + 1))
    assert world.one == tuple(range(members + side + 1, members + 2 * side + 1))
    # Users: the dataset's members, then its owners, then the lot shop's members, its owner.
    assert world.user(world.many[0]) == members + TINY.shops + 1
    assert world.user(world.one[-1]) == world.owner - 1
    assert world.reward == TINY.rewards_in_bench_shop + TINY.rewards_per_shop + 1


def test_choosing_the_lot_scenarios_brings_their_one_lot_baselines_and_theirs() -> None:
    chosen = [s.name for s in runner._chosen(["10,000 lots"])]
    assert chosen == [ONE_LOT_READ, MANY_LOTS_READ, ONE_LOT_REDEEM, MANY_LOTS_REDEEM]
    by_name = {s.name: s for s in SCENARIOS}
    assert by_name[ONE_LOT_READ].baseline == JSON_BASELINE
    assert by_name[ONE_LOT_REDEEM].baseline == SQL_BASELINE
    assert by_name[MANY_LOTS_READ].baseline == ONE_LOT_READ
    assert by_name[MANY_LOTS_REDEEM].alternate
    requests = by_name[MANY_LOTS_REDEEM].requests(TINY, {})
    assert len(requests) == lots.MEMBERS
    assert all(r.idempotency_prefix for r in requests)


def test_the_target_is_ten_percent() -> None:
    figure = {"p99_ms": 30.0}
    assert report._target(MANY_LOTS_READ, figure, 0.93) == ("≥ 0.9 of 1 lot", True)
    assert report._target(MANY_LOTS_REDEEM, figure, 0.85) == ("≥ 0.9 of 1 lot", False)


@pytest.mark.postgres
def test_the_lot_shop_loads_reads_and_spends_soundly(bench_database: str, tmp_path: Path) -> None:
    from stampbook.core.db import db
    from stampbook.ledger.queries import find_discrepancies, find_held_discrepancies
    from stampbook.programs.models import Membership, PointLot

    app = loaded_app(bench_database, tmp_path, lots.load)
    world = lots.world(TINY)
    client = app.test_client()

    def token(membership: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {dataset.token_secret(world.user(membership))}"}

    many, one = world.many[0], world.one[0]
    read = client.get(f"/api/v1/memberships/{many}", headers=token(many))
    assert read.status_code == 200, read.json
    assert read.json["balance"] == lots.BALANCE
    assert [e["points"] for e in read.json["expiring"]] == [100, 100, 100]
    for membership in (many, one):
        paid = client.post(
            f"/api/v1/rewards/{world.reward_for(membership)}/redemptions",
            json={"membership_id": membership},
            headers={**token(membership), "Idempotency-Key": f"k{membership}"},
        )
        assert paid.status_code == 201, paid.json
    with app.app_context():
        assert find_discrepancies() == []
        assert find_held_discrepancies() == []
        live = db.session.scalar(
            select(text("count(*)")).select_from(PointLot).where(PointLot.remaining > 0)
        )
        assert live == lots.MEMBERS * (lots.LOTS + 1)
        soonest = db.session.scalars(
            select(PointLot.remaining)
            .where(PointLot.membership_id == many)
            .order_by(PointLot.expires_at)
            .limit(2)
        ).all()
        assert soonest == [100 - lots.COST, 100]  # the soonest-expiring lot paid
        balances = db.session.scalars(
            select(Membership.balance).where(Membership.id.in_([many, one]))
        ).all()
        assert balances == [lots.BALANCE - lots.COST] * 2
