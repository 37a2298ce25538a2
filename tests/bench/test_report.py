"""The benchmark's arithmetic and report, without running a load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stampbook.bench import dataset, report, runner, wrk
from stampbook.bench.scenarios import (
    JSON_BASELINE,
    OUTBOX_BASELINE,
    OUTBOX_SCENARIO,
    SCENARIOS,
    SQL_BASELINE,
    STAMP_WITH_TIERS,
    STAMP_WITHOUT_TIERS,
    stamp,
)


def figure(throughput: float, baseline: str | None, paired: float | None, **extra: Any) -> dict:
    return {
        "requests": int(throughput * 10),
        "seconds": 10.0,
        "throughput": throughput,
        "p50_ms": 5.0,
        "p95_ms": 9.0,
        "p99_ms": extra.pop("p99_ms", 12.0),
        "max_ms": 20.0,
        "errors": 0,
        "doctor_ok": True,
        "baseline": baseline,
        "baseline_throughput": paired,
        "page": extra.pop("page", False),
    }


def test_each_ratio_uses_the_baseline_measured_just_before_it() -> None:
    figures = {
        JSON_BASELINE: figure(3000, None, None),
        "balance": figure(900, JSON_BASELINE, 1800),
        SQL_BASELINE: figure(1000, None, None),
        "stamp (earn)": figure(700, SQL_BASELINE, 1000),
    }
    assert report.ratios(figures) == {
        JSON_BASELINE: None,
        "balance": 0.5,  # 900 / 1800, not 900 / 3000
        SQL_BASELINE: None,
        "stamp (earn)": 0.7,
    }


def test_a_few_scenarios_bring_their_baselines() -> None:
    chosen = [s.name for s in runner._chosen(["stamp", "balance"])]
    assert chosen == [
        JSON_BASELINE,
        SQL_BASELINE,
        "stamp (earn)",
        OUTBOX_BASELINE,
        OUTBOX_SCENARIO,
        "balance",
        STAMP_WITHOUT_TIERS,
        STAMP_WITH_TIERS,
    ]
    assert [s.name for s in runner._chosen(["outbox"])] == [OUTBOX_BASELINE, OUTBOX_SCENARIO]
    assert [s.name for s in runner._chosen([])] == [s.name for s in SCENARIOS]


def test_the_table_judges_each_target(tmp_path: Path) -> None:
    figures = {
        JSON_BASELINE: figure(3000, None, None),
        SQL_BASELINE: figure(1000, None, None),
        "stamp (earn)": figure(700, SQL_BASELINE, 1000, p99_ms=40.0),
        "redemption": figure(500, SQL_BASELINE, 1000),
        "home page": figure(900, JSON_BASELINE, 3000, page=True, p99_ms=150.0),
    }
    results = {
        "machine": {
            "cpus": 2,
            "python": "3.11",
            "workers": 2,
            "threads": 4,
            "connections": 16,
            "seconds": 10,
        },
        "sizes": {
            "small": {
                "rows": {"memberships": 1000},
                "load_seconds": 1.0,
                "figures": figures,
                "memory": {
                    "app_worker_peak_rss_mb": [120.0],
                    "app_worker_rss_mb": [100.0],
                    "baseline_worker_peak_rss_mb": [80.0],
                },
            }
        },
    }
    table = report.markdown(results)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines()}
    assert rows["stamp (earn)"].endswith("| yes |  |")  # 0.7 and p99 40 ms
    assert rows["redemption"].endswith("| **no** |  |")  # 0.5 of SQL
    assert rows["home page"].endswith("| **no** |  |")  # 0.3 of JSON, but p99 150 ms
    assert "target < 150 MB: yes" in table

    md = tmp_path / "BENCHMARKS.md"
    md.write_text(f"# Benchmarks\n\nBy hand.\n\n{report.START}\nold\n{report.END}\n\nAfter.\n")
    report.update_benchmarks_md(md, table)
    text = md.read_text()
    assert "By hand." in text and "After." in text and "old" not in text
    assert table in text


def test_the_large_size_is_compared_by_ratios_so_the_machines_drift_cancels() -> None:
    def size(figures: dict[str, Any]) -> dict[str, Any]:
        memory = [100.0]
        return {
            "rows": {"memberships": 1},
            "load_seconds": 1.0,
            "figures": figures,
            "memory": {
                "app_worker_peak_rss_mb": memory,
                "app_worker_rss_mb": memory,
                "baseline_worker_peak_rss_mb": memory,
            },
            "plans": {},
        }

    small = {JSON_BASELINE: figure(3000, None, None), "balance": figure(900, JSON_BASELINE, 1800)}
    # The machine ran at half speed for the large size: the same ratio, so 1.00.
    large = {JSON_BASELINE: figure(1500, None, None), "balance": figure(450, JSON_BASELINE, 900)}
    machine = {"cpus": 2, "python": "3.11", "workers": 2, "threads": 4}
    table = report.markdown(
        {
            "machine": {**machine, "connections": 16, "seconds": 10},
            "sizes": {"small": size(small), "large": size(large)},
        }
    )
    balance_rows = [line for line in table.splitlines() if line.startswith("| balance |")]
    baseline_rows = [line for line in table.splitlines() if line.startswith(f"| {JSON_BASELINE} |")]
    assert balance_rows[0].endswith("|  |") and balance_rows[1].endswith("| 1.00 |")
    assert baseline_rows[1].endswith("| 0.50 |")  # raw throughputs for a baseline


# --- The outbox's figures (issue 15) ----------------------------------------------------------

DISPATCH = {
    "stamps": 10_000,
    "burst_seconds": 40.0,
    "burst_throughput": 250.0,
    "burst_errors": 0,
    "occurrences": 10_000,
    "undispatched_after_burst": 10_000,
    "undelivered_after_burst": 0,
    "consumer_start_seconds": 2.5,
    "drain_seconds": 50.0,
    "occurrences_per_second": 200.0,
    "messages_delivered": 10_000,
    "receiver_requests": 10_001,
    "distinct_webhook_ids": 10_000,
    "consumer_workers": 4,
    "drained": True,
    "doctor_ok": True,
}


def _one_size(figures: dict[str, Any], dispatch: dict[str, Any]) -> dict[str, Any]:
    memory = [100.0]
    return {
        "machine": {
            "cpus": 2,
            "python": "3.11",
            "workers": 2,
            "threads": 4,
            "connections": 16,
            "seconds": 10,
        },
        "sizes": {
            "small": {
                "rows": {"memberships": 1000},
                "load_seconds": 1.0,
                "figures": figures,
                "memory": {
                    "app_worker_peak_rss_mb": memory,
                    "app_worker_rss_mb": memory,
                    "baseline_worker_peak_rss_mb": memory,
                },
                "dispatch": dispatch,
            }
        },
    }


def test_the_stamp_with_the_outbox_is_judged_against_the_same_stamp_without() -> None:
    for with_outbox, met in ((460.0, "yes"), (440.0, "**no**")):
        figures = {
            OUTBOX_BASELINE: figure(500, None, None),
            OUTBOX_SCENARIO: figure(with_outbox, OUTBOX_BASELINE, 500),
        }
        table = report.markdown(_one_size(figures, {"skipped": "not chosen (--scenario)"}))
        row = next(line for line in table.splitlines() if line.startswith(f"| {OUTBOX_SCENARIO}"))
        assert f"| {with_outbox / 500} |" in row  # 0.92, then 0.88
        assert row.endswith(f"| ≥ 0.9 of without | {met} |  |")
    scenario = next(s for s in SCENARIOS if s.name == OUTBOX_SCENARIO)
    baseline = next(s for s in SCENARIOS if s.name == OUTBOX_BASELINE)
    assert (scenario.server, baseline.server) == ("app", "without_outbox")
    assert scenario.alternate and scenario.baseline == OUTBOX_BASELINE
    small = dataset.SIZES["small"]
    assert scenario.requests(small, {}) == baseline.requests(small, {})  # the same stamps


def test_alternated_loads_are_combined_over_their_whole_length() -> None:
    def run(requests: int, seconds: float, p99: float) -> wrk.Figures:
        return wrk.Figures(requests, seconds, requests / seconds, 5.0, 9.0, p99, 30.0, 1)

    both = wrk.combine([run(1000, 10.0, 20.0), run(3000, 10.0, 40.0)])
    assert both.throughput == 200.0  # 4000 requests in 20 s, not the mean of two rates
    assert (both.requests, both.seconds, both.p99_ms, both.errors) == (4000, 20.0, 40.0, 2)


def test_every_run_sends_idempotency_keys_of_its_own(tmp_path: Path) -> None:
    """A key sent by the warm-up (or by the other server of a pair) would be replayed, not
    stamped again: each script has a run id of its own in its keys."""
    first, second = tmp_path / "first.lua", tmp_path / "second.lua"
    wrk.write_script([stamp(1)], first)
    wrk.write_script([stamp(1)], second)
    run_ids = [
        next(line for line in path.read_text().splitlines() if line.startswith("local run ="))
        for path in (first, second)
    ]
    assert run_ids[0] != run_ids[1]
    assert '.. run .. "-" ..' in first.read_text()


def test_the_dispatch_figures_are_said_in_the_report() -> None:
    results = _one_size({}, DISPATCH)
    results["machine"] |= {"queue": "SQLite", "load_before": 3.5}
    table = report.markdown(results)
    assert "for 10 s per figure; job queue: SQLite; load average 3.5 when it started." in table
    line = next(line for line in table.splitlines() if line.startswith("Dispatch:"))
    assert "a burst of 10,000 stamps" in line
    assert "**10,000 undispatched and 0 webhook messages undelivered**" in line
    assert "drained them to zero in 50.0 s: **200.0 occurrences/s**" in line
    assert "10,001 requests for 10,000 delivered messages" in line
    assert "(10,000 distinct `webhook-id`s, 1 repeated)" in line
    assert line.endswith("`stampbook doctor` after it: passed.")

    stuck = report.dispatch_line({**DISPATCH, "drained": False, "drain_seconds": 900.0})
    assert "**had not drained them after 900.0 s**" in stuck
    skipped = report.markdown(_one_size({}, {"skipped": "no outgoing webhooks in this build"}))
    assert "Dispatch: not measured (no outgoing webhooks in this build)." in skipped
