"""Tables of BENCHMARKS.md, from the figures of one run, with the targets of issue 5."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
WRITE_SCENARIOS = {"stamp (earn)", "redemption"}
READ_SCENARIOS = {"balance", "reward list (50, default sort)", "history page (50 entries)"}
P99_AT_LARGE = {"leaderboard (top 100)", "member search"}
MEMORY_LIMIT_MB = 150


def _target(name: str, figure: dict[str, Any], ratio: float | None) -> tuple[str, bool | None]:
    if name in WRITE_SCENARIOS:
        return "≥ 0.6 of SQL, p99 < 50 ms", ratio is not None and ratio >= 0.6 and figure[
            "p99_ms"
        ] < 50
    if name in READ_SCENARIOS:
        return "≥ 0.5 of JSON", ratio is not None and ratio >= 0.5
    if name in P99_AT_LARGE:
        return "p99 < 50 ms (large)", figure["p99_ms"] < 50
    if figure.get("page"):
        return "≥ 0.3 of JSON, p99 < 100 ms", ratio is not None and ratio >= 0.3 and figure[
            "p99_ms"
        ] < 100
    return "baseline", None


def ratios(figures: dict[str, Any]) -> dict[str, float | None]:
    """Each figure over its baseline as measured just before it."""
    out: dict[str, float | None] = {}
    for name, figure in figures.items():
        base = figure.get("baseline_throughput")
        out[name] = round(figure["throughput"] / base, 3) if base else None
    return out


def _versus_small(name: str, figure: dict[str, Any], small: dict[str, Any]) -> str:
    """The large size against the small one, each divided by its own paired baseline so the
    machine's drift between the two loads cancels out."""
    before = small.get(name)
    if before is None or before is figure or not before["throughput"]:
        return ""
    now, then = figure["throughput"], before["throughput"]
    if figure.get("baseline_throughput") and before.get("baseline_throughput"):
        now, then = now / figure["baseline_throughput"], then / before["baseline_throughput"]
    return f"{now / then:.2f}"


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Run on {machine['cpus']} CPUs, Python {machine['python']}, gunicorn "
        f"{machine['workers']} workers x {machine['threads']} threads (gthread), wrk at "
        f"{machine['connections']} connections for {machine['seconds']} s per figure.",
        "",
    ]
    sizes = results["sizes"]
    small = sizes.get("small", {}).get("figures", {})
    for size_name, data in sizes.items():
        figures = data["figures"]
        ratio = ratios(figures)
        rows = ", ".join(f"{table} {count:,}" for table, count in data["rows"].items())
        lines += [
            f"### {size_name} ({rows}; loaded in {data['load_seconds']} s)",
            "",
            "| scenario | req/s | ratio to baseline | p50 ms | p95 ms | p99 ms | errors |"
            " target | met | vs small¹ |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
        ]
        for name, figure in figures.items():
            target, met = _target(name, figure, ratio[name])
            versus = _versus_small(name, figure, small)
            lines.append(
                f"| {name} | {figure['throughput']:,.0f} | "
                f"{'' if ratio[name] is None else ratio[name]} | {figure['p50_ms']:.1f} | "
                f"{figure['p95_ms']:.1f} | {figure['p99_ms']:.1f} | {figure['errors']} | "
                f"{target} | {'' if met is None else ('yes' if met else '**no**')} | {versus} |"
            )
        memory = data["memory"]
        peak = max(memory["app_worker_peak_rss_mb"] or [0])
        lines += [
            "",
            f"App worker peak RSS: {memory['app_worker_peak_rss_mb']} MB "
            f"(target < {MEMORY_LIMIT_MB} MB: {'yes' if peak < MEMORY_LIMIT_MB else '**no**'}); "
            f"after the run {memory['app_worker_rss_mb']} MB; baseline workers "
            f"{memory['baseline_worker_peak_rss_mb']} MB. `stampbook doctor` after every "
            f"load: {'passed' if all(f['doctor_ok'] for f in figures.values()) else '**FAILED**'}.",
            "",
        ]
    lines += [
        "¹ The figure's ratio to its baseline at this size over the same at the small size (raw"
        " throughputs for the baselines): 1.00 means the data's size cost nothing.",
        "",
    ]
    large = sizes.get("large")
    if large:
        lines += ["### Query plans of the hot endpoints (large size)", ""]
        for name, plan in large["plans"].items():
            lines += [f"**{name}** — {plan['statements']} statements", "", "```"]
            for query in plan["queries"]:
                lines.append("-- " + query["sql"][:160])
                lines += ["   " + step for step in query["plan"][:8]]
            lines += ["```", ""]
    return "\n".join(lines)


def update_benchmarks_md(path: Path, table: str) -> None:
    block = f"{START}\n{table}\n{END}"
    if path.exists() and START in path.read_text():
        content = re.sub(
            re.escape(START) + ".*?" + re.escape(END), lambda _: block, path.read_text(), flags=re.S
        )
    else:
        content = f"# Benchmarks\n\nProduced by `make bench`.\n\n{block}\n"
    path.write_text(content)
