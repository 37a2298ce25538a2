"""The tiers' figure (issue 17) without a load: the twin programs' ids, the scenarios and
their target; and on PostgreSQL, at a tiny size, the data loaded as the bench loads it, its
stamps and orders sent through the app: the members with tiers rise into Silver and their
orders pay its multiplier, the twin's do not, and every balance equals its entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from stampbook.bench import dataset, events, lots, report, runner, tiers
from stampbook.bench.scenarios import (
    ORDER_WITH_TIERS,
    ORDER_WITHOUT_TIERS,
    SCENARIOS,
    STAMP_WITH_TIERS,
    STAMP_WITHOUT_TIERS,
)
from stampbook.bench.wrk import PreparedRequest
from tests.bench.loads import TINY, loaded_app, send


def test_the_twins_follow_the_lot_shop_and_share_their_members() -> None:
    world = tiers.world(TINY)
    lot_world = lots.world(TINY)
    assert (world.shop, world.with_tiers, world.without_tiers) == (4, 4, 5)
    assert world.membership(world.with_tiers, 1) == lot_world.one[-1] + 1
    assert world.membership(world.without_tiers, 1) == lot_world.one[-1] + 1 + 20
    assert world.task(world.with_tiers, 0) == TINY.shops * TINY.tasks_per_shop + 1
    assert world.task(world.without_tiers, 0) == world.task(world.with_tiers, 0) + tiers.TASKS


def test_choosing_tiers_brings_both_twins_and_each_with_tiers_alternates() -> None:
    chosen = [s.name for s in runner._chosen(["tiers"])]
    assert chosen == [STAMP_WITHOUT_TIERS, STAMP_WITH_TIERS, ORDER_WITHOUT_TIERS, ORDER_WITH_TIERS]
    by_name = {s.name: s for s in SCENARIOS}
    for name, twin in (
        (STAMP_WITH_TIERS, STAMP_WITHOUT_TIERS),
        (ORDER_WITH_TIERS, ORDER_WITHOUT_TIERS),
    ):
        assert by_name[name].baseline == twin and by_name[name].alternate
    # Orders are new each load: a replay earns nothing, and would be cheaper.
    first = by_name[ORDER_WITH_TIERS].requests(TINY, {})
    again = by_name[ORDER_WITH_TIERS].requests(TINY, {})
    assert len(first) == 10 * TINY.history_members
    assert not {r.body for r in first} & {r.body for r in again}


def test_the_target_is_nine_tenths_of_the_twin() -> None:
    figure = {"p99_ms": 80.0}
    assert report._target(STAMP_WITH_TIERS, figure, 0.95) == ("≥ 0.9 of no tiers", True)
    assert report._target(ORDER_WITH_TIERS, figure, 0.85) == ("≥ 0.9 of no tiers", False)


# --- On PostgreSQL: the data as the bench loads it ------------------------------------------


def _send(app: Flask, requests: list[PreparedRequest], expected: int, round_: int = 0) -> None:
    client = app.test_client()
    for n, r in enumerate(requests):
        answer = send(client, r, f"{round_}-{n}")
        assert answer.status_code == expected, answer.json


@pytest.mark.postgres
def test_members_with_tiers_rise_and_their_orders_pay_the_multiplier(
    bench_database: str, tmp_path: Path
) -> None:
    from stampbook.ledger.queries import find_discrepancies

    app = loaded_app(bench_database, tmp_path, lots.load, events.load, tiers.load, SERVER_NAME=None)
    engine = create_engine(bench_database)
    world = tiers.world(TINY)

    # Three stamps each (15 points) lift the members with tiers into Silver (from 10); a
    # stamp is not multiplied (tiers multiply purchases and activities), its tier work is the
    # qualifying total, counted by the outbox's consumer after the request.
    for with_tiers in (True, False):
        for round_ in range(3):
            _send(app, tiers.stamps(with_tiers)(TINY, {}), 201, round_)
    balances = {}
    with engine.connect() as connection:
        for program in (world.with_tiers, world.without_tiers):
            balances[program] = (
                connection.execute(
                    text("SELECT DISTINCT balance FROM memberships WHERE program_id = :p"),
                    {"p": program},
                )
                .scalars()
                .all()
            )
    assert balances == {world.with_tiers: [15], world.without_tiers: [15]}
    owner = {"Authorization": f"Bearer {dataset.token_secret(dataset.owner_id(TINY))}"}
    standing = app.test_client().get(
        f"/api/v1/memberships/{world.membership(world.with_tiers, 1)}/tier", headers=owner
    )
    assert standing.status_code == 200, standing.json
    assert standing.json["tier"]["name"] == "Silver"

    # A till order each: the same order earns x1.25 with tiers (the extra as a bonus entry).
    _send(app, tiers.orders(True)(TINY, {})[: TINY.history_members], 201)
    _send(app, tiers.orders(False)(TINY, {})[: TINY.history_members], 201)
    with engine.connect() as connection:
        earned = dict(
            connection.execute(
                text(
                    "SELECT m.program_id, sum(e.amount) FROM ledger_entries e "
                    "JOIN memberships m ON m.id = e.membership_id "
                    "WHERE e.kind IN ('purchase', 'bonus') GROUP BY m.program_id"
                )
            ).all()
        )
    assert earned[world.with_tiers] > earned[world.without_tiers] > 0
    with app.app_context():
        assert find_discrepancies() == []
