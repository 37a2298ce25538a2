"""Tables of BENCHMARKS.md, from the figures of one run, with the targets of issue 5."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from stampbook.bench.scenarios import (
    CHECK_IN_SCENARIO,
    MANY_LOTS,
    OUTBOX_SCENARIO,
    STORE_SCENARIO,
    WITH_TIERS,
)

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
WRITE_SCENARIOS = {"stamp (earn)", "redemption"}
READ_SCENARIOS = {"balance", "reward list (50, default sort)", "history page (50 entries)"}
P99_AT_LARGE = {"leaderboard (top 100)", "member search"}
MEMORY_LIMIT_MB = 150
OUTBOX_RATIO = 0.9  # issue 15: the stamp keeps 90% of its throughput with the outbox
LOTS_RATIO = 0.9  # a member with 10,000 lots is served within 10% of one with a single lot
CHECK_IN_RATIO = 0.3  # issue 18: a ticket checked in at 0.3 of the bare SQL redemption
TIERS_RATIO = 0.9  # issue 17: stamps and orders with tiers at 0.9 of the same without


def _target(name: str, figure: dict[str, Any], ratio: float | None) -> tuple[str, bool | None]:
    if name == STORE_SCENARIO:  # issue 16
        return "≥ 0.3 of SQL, p99 < 100 ms", ratio is not None and ratio >= 0.3 and figure[
            "p99_ms"
        ] < 100
    if name == CHECK_IN_SCENARIO:
        return f"≥ {CHECK_IN_RATIO} of SQL", ratio is not None and ratio >= CHECK_IN_RATIO
    if name == OUTBOX_SCENARIO:
        return f"≥ {OUTBOX_RATIO} of without", ratio is not None and ratio >= OUTBOX_RATIO
    if name in WITH_TIERS:
        return f"≥ {TIERS_RATIO} of no tiers", ratio is not None and ratio >= TIERS_RATIO
    if name in MANY_LOTS:
        return f"≥ {LOTS_RATIO} of 1 lot", ratio is not None and ratio >= LOTS_RATIO
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
        f"{machine['connections']} connections for {machine['seconds']} s per figure"
        + (f"; job queue: {machine['queue']}" if machine.get("queue") else "")
        + (
            f"; load average {machine['load_before']} when it started."
            if machine.get("load_before") is not None
            else "."
        ),
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
            dispatch_line(data.get("dispatch") or {"skipped": "not measured"}),
            "",
            store_burst_line(data.get("store_burst") or {"skipped": "not measured"}),
            "",
            registration_rush_line(data.get("registration_rush") or {"skipped": "not measured"}),
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


def dispatch_line(figures: dict[str, Any]) -> str:
    """The dispatch figures (``bench.dispatch``) in one paragraph."""
    if "skipped" in figures:
        return f"Dispatch: not measured ({figures['skipped']})."
    duplicates = figures["receiver_requests"] - figures["distinct_webhook_ids"]
    drained = (
        f"drained them to zero in {figures['drain_seconds']} s: "
        f"**{figures['occurrences_per_second']:,} occurrences/s**"
        if figures["drained"]
        else f"**had not drained them after {figures['drain_seconds']} s**"
    )
    doctor = {True: "passed", False: "**FAILED**", None: "not run"}[figures.get("doctor_ok")]
    return (
        f"Dispatch: a burst of {figures['stamps']:,} stamps through the API "
        f"({figures['burst_throughput']:,.0f} req/s, {figures['burst_errors']} errors) with no "
        f"consumer running recorded {figures['occurrences']:,} occurrences and left "
        f"**{figures['undispatched_after_burst']:,} undispatched and "
        f"{figures['undelivered_after_burst']:,} webhook messages undelivered**; one consumer "
        f"(`-w {figures['consumer_workers']} -k thread`, dispatching its first "
        f"{figures['consumer_start_seconds']} s after launch) {drained}, to a local receiver "
        f"answering 204 that got {figures['receiver_requests']:,} requests for "
        f"{figures['messages_delivered']:,} delivered messages "
        f"({figures['distinct_webhook_ids']:,} distinct `webhook-id`s, {duplicates} repeated). "
        f"`stampbook doctor` after it: {doctor}."
    )


def store_burst_line(figures: dict[str, Any]) -> str:
    """The store burst's figures (``bench.store_burst``) in one paragraph."""
    if "skipped" in figures:
        return f"Store burst: not measured ({figures['skipped']})."
    doctor = {True: "passed", False: "**FAILED**", None: "not run"}[figures.get("doctor_ok")]
    drained = (
        f"earned them in {figures['drain_seconds']} s "
        f"(**{figures['orders_per_second']:,} orders/s**)"
        if figures["drained"]
        else f"**had not earned them all after {figures['drain_seconds']} s**"
    )
    return (
        f"Store burst: {figures['webhooks']:,} distinct Shopify `orders/paid` webhooks "
        f"({figures['burst_throughput']:,.0f} req/s, {figures['burst_errors']} errors) with no "
        f"consumer running left {figures['pending_after_burst']:,} deliveries waiting; one "
        f"consumer {drained}: {figures['orders_earned']:,} orders, "
        f"{figures['points_earned']:,} points, **{figures['lost']} lost**. "
        f"`stampbook doctor` after it: {doctor}."
    )


def registration_rush_line(figures: dict[str, Any]) -> str:
    """The registration rush's figures (``bench.registration_rush``) in one paragraph."""
    if "skipped" in figures:
        return f"Registration rush: not measured ({figures['skipped']})."
    oversold = "**yes**" if figures["oversold"] else "no"
    unplaced = f", **{figures['unplaced']} unplaced**" if figures["unplaced"] else ""
    full = "" if figures["full"] else " (**not every seat taken**)"
    return (
        f"Registration rush: {figures['members']:,} members registering at once on 16 "
        f"connections for a {figures['seats']:,}-seat event ({figures['throughput']:,.0f} req/s, "
        f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
        f"**p99 {figures['p99_ms']:.1f} ms**, {figures['errors']} errors): "
        f"{figures['registered']:,} registered{full}, {figures['waitlisted']:,} waitlisted"
        f"{unplaced}; the event counts {figures['counted']:,} seats taken. "
        f"Oversold: {oversold}."
    )


def update_benchmarks_md(path: Path, table: str) -> None:
    block = f"{START}\n{table}\n{END}"
    if path.exists() and START in path.read_text():
        content = re.sub(
            re.escape(START) + ".*?" + re.escape(END), lambda _: block, path.read_text(), flags=re.S
        )
    else:
        content = f"# Benchmarks\n\nProduced by `make bench`.\n\n{block}\n"
    path.write_text(content)
