"""The events' figures (issue 18) without a load: the check-in scenario's tickets (each once,
each load its own), its target, the rush's paragraph; and on PostgreSQL, at a tiny size, the
data loaded as the bench loads it, a load's tickets checked in through the app with the
points balanced, and a real rush on a threaded server leaving no seat oversold."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from stampbook.bench import dataset, events, lots, registration_rush, report, runner
from stampbook.bench.dispatch import percentile
from stampbook.bench.scenarios import CHECK_IN_SCENARIO, SCENARIOS, SQL_BASELINE
from tests.bench.loads import TINY, loaded_app, send

RUSH = {
    "members": 300,
    "seats": 100,
    "seconds": 1.5,
    "throughput": 200.0,
    "p50_ms": 40.0,
    "p95_ms": 90.0,
    "p99_ms": 120.5,
    "errors": 0,
    "registered": 100,
    "waitlisted": 200,
    "unplaced": 0,
    "counted": 100,
    "oversold": False,
    "full": True,
}


def test_each_load_checks_in_tickets_of_its_own_each_once() -> None:
    size = replace(TINY, name="tickets")  # its loads counted from the first
    scenario = next(s for s in SCENARIOS if s.name == CHECK_IN_SCENARIO)
    assert scenario.fresh and scenario.baseline == SQL_BASELINE and scenario.server == "app"
    loads = [scenario.requests(size, {}) for _ in range(events.LOADS + 1)]
    per_load = events.EVENTS_PER_LOAD * TINY.history_members
    assert [len(load) for load in loads] == [per_load] * (events.LOADS + 1)
    paths = [{(r.path, r.body) for r in load} for load in loads]
    assert all(len(p) == per_load for p in paths)  # each ticket once in its load
    assert not set.intersection(*paths[: events.LOADS])  # and in no other load
    assert paths[events.LOADS] == paths[0]  # past the data, around again
    first = loads[0][0]
    assert first.path == "/api/v1/events/1/check-ins"
    assert first.token == dataset.token_secret(dataset.owner_id(TINY))  # the team, not a holder
    assert not first.idempotency_prefix  # a scanner's nonce guards its retries
    assert json.loads(first.body) == {"ticket_code": events.ticket_code(1, 1), "nonce": "door1-1"}
    assert len(events.ticket_code(1, 1)) == 32


def test_the_rush_overflows_its_event_at_every_size() -> None:
    assert events.door(dataset.SIZES["small"]) == events.door(dataset.SIZES["large"])
    big = events.door(dataset.SIZES["small"])
    assert (big.rush_seats, big.rush_members) == (100, 300)
    tiny = events.door(TINY)
    assert (tiny.rush_seats, tiny.rush_members) == (6, 20)
    assert tiny.rush_event not in tiny.check_in_events(events.LOADS - 1)


def test_choosing_check_in_brings_the_sql_baseline_and_the_target_is_a_figure() -> None:
    assert [s.name for s in runner._chosen(["check-in"])] == [SQL_BASELINE, CHECK_IN_SCENARIO]
    figure = {"p99_ms": 500.0}  # no latency target: the ratio alone
    assert report._target(CHECK_IN_SCENARIO, figure, 0.31) == ("≥ 0.3 of SQL", True)
    assert report._target(CHECK_IN_SCENARIO, figure, 0.29) == ("≥ 0.3 of SQL", False)


def test_the_rush_is_said_in_the_report() -> None:
    line = report.registration_rush_line(RUSH)
    assert "300 members registering at once on 16 connections for a 100-seat event" in line
    assert "**p99 120.5 ms**" in line
    assert "100 registered, 200 waitlisted; the event counts 100 seats taken." in line
    assert line.endswith("Oversold: no.")
    bad = report.registration_rush_line(
        {**RUSH, "registered": 101, "counted": 101, "oversold": True, "unplaced": 2}
    )
    assert "**2 unplaced**" in bad and bad.endswith("Oversold: **yes**.")
    skipped = report.registration_rush_line({"skipped": "not chosen (--scenario)"})
    assert skipped == "Registration rush: not measured (not chosen (--scenario))."


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([], 99) == 0.0


# --- On PostgreSQL: the data as the bench loads it ------------------------------------------


@pytest.mark.postgres
def test_tickets_check_in_once_and_the_rush_oversells_nothing(
    bench_database: str, tmp_path: Path
) -> None:
    from stampbook.core.db import db
    from stampbook.ledger.queries import find_discrepancies

    app = loaded_app(bench_database, tmp_path, lots.load, events.load, SERVER_NAME=None)
    engine = create_engine(bench_database)

    # A load's door queue, through the app (its first event's tickets and its very last):
    # every ticket in, its points once.
    client = app.test_client()
    load = events.check_ins(replace(TINY, name="door"), {})
    requests = [*load[: TINY.history_members], load[-1]]
    assert load[-1].path == f"/api/v1/events/{events.EVENTS_PER_LOAD}/check-ins"
    for n, r in enumerate(requests):
        answer = send(client, r, str(n))
        assert answer.status_code == 200, answer.json
        assert answer.json["status"] == "attended" and not answer.json["replayed"]
    again = client.post(
        requests[0].path,
        json={"ticket_code": events.ticket_code(1, 1)},
        headers={"Authorization": f"Bearer {requests[0].token}"},
    )
    assert again.status_code == 409 and again.json["code"] == "already_checked_in"
    with engine.connect() as connection:
        attendance = connection.execute(
            text("SELECT count(*), sum(amount) FROM ledger_entries WHERE kind = 'attendance'")
        ).one()
    assert tuple(attendance) == (len(requests), len(requests) * events.POINTS)
    with app.app_context():
        assert find_discrepancies() == []

    # The rush, on real connections at once.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        figures: dict[str, Any] = registration_rush.measure(
            f"http://127.0.0.1:{server.server_port}", bench_database, TINY
        )
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()
        engine.dispose()
    door = events.door(TINY)
    assert figures["errors"] == 0, figures
    assert (figures["registered"], figures["waitlisted"], figures["counted"]) == (
        door.rush_seats,
        door.rush_members - door.rush_seats,
        door.rush_seats,
    )
    assert (figures["oversold"], figures["full"], figures["unplaced"]) == (False, True, 0)
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
