"""The benchmark's arithmetic and report, without running a load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stampbook.bench import report, runner
from stampbook.bench.scenarios import JSON_BASELINE, SCENARIOS, SQL_BASELINE


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
    assert chosen == [JSON_BASELINE, SQL_BASELINE, "stamp (earn)", "balance"]
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
