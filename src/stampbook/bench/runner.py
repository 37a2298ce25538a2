"""`make bench`: fresh database, bulk data, gunicorn as in production, wrk at 16 connections.

Prints a table and writes BENCHMARKS.json and the tables of BENCHMARKS.md. Every figure is
also a ratio to its baseline, measured in the same run on the same server setup: the ratios
are what to compare from run to run. After each load `stampbook doctor` must pass.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from stampbook.bench import (
    dataset,
    dispatch,
    events,
    explain,
    lots,
    registration_rush,
    report,
    servers,
    store_burst,
    tiers,
    wrk,
)
from stampbook.bench.scenarios import SCENARIOS, Scenario
from stampbook.migrations import alembic_config

SECRET_KEY = "bench-only-secret-key-not-for-production-use"
APP_PORT, BASELINE_PORT, WITHOUT_OUTBOX_PORT = 8731, 8732, 8733
# The dispatch figures (``dispatch``), measured when no --scenario is given or one names it.
DISPATCH = "dispatch"
STORE_BURST = "store burst"
REGISTRATION_RUSH = "registration rush"


def _recreate(server_url: str, name: str) -> str:
    admin = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _session_cookies(url: str, size: dataset.Size, instance: str) -> dict[int, str]:
    """Signed session cookies for the sample members (the home page needs a logged-in user)."""
    from stampbook.app import create_app

    os.environ["STAMPBOOK_INSTANCE"] = instance
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    engine = create_engine(url)
    cookies = {}
    with engine.begin() as connection:
        for member in range(1, size.history_members + 1):
            secret = f"sb_benchsession_{member}"
            connection.execute(
                text(
                    "INSERT INTO tokens (user_id, kind, secret_hash, created_at, expires_at) "
                    "VALUES (:u, 'session', encode(sha256(convert_to(:s, 'UTF8')), 'hex'), now(), "
                    "now() + interval '30 days')"
                ),
                {"u": member, "s": secret},
            )
            cookies[member] = f"stampbook_session={serializer.dumps({'token': secret})}"
    engine.dispose()
    return cookies


def _doctor(env: dict[str, str]) -> bool:
    stampbook = str(Path(sys.executable).parent / "stampbook")
    result = subprocess.run(
        [stampbook, "doctor"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def _chosen(only: list[str]) -> list[Scenario]:
    """The scenarios whose names contain one of ``only`` (all if empty), with the baselines
    they are measured against."""
    picked = [s for s in SCENARIOS if not only or any(o in s.name for o in only)]
    needed = {s.baseline for s in picked}
    return [s for s in SCENARIOS if s in picked or s.name in needed]


def run_size(server_url: str, size: dataset.Size, seconds: int, only: list[str]) -> dict[str, Any]:
    url = _recreate(server_url, f"stampbook_bench_{size.name}")
    from alembic import command

    command.upgrade(alembic_config(url), "head")
    started = time.monotonic()
    engine = create_engine(url)
    with engine.begin() as connection:
        dataset.load(connection, size)
        lots.load(connection, size)
        events.load(connection, size)
        tiers.load(connection, size)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # Settle what autovacuum and the checkpointer would otherwise do during the loads.
        connection.execute(text("VACUUM (ANALYZE)"))
        connection.execute(text("CHECKPOINT"))
    counts = {}
    with engine.connect() as connection:
        tables = ("memberships", "ledger_entries", "stamps", "rewards", "tasks", "shops")
        for table in (*tables, "point_lots"):
            counts[table] = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    engine.dispose()
    load_seconds = round(time.monotonic() - started, 1)
    print(f"[{size.name}] loaded in {load_seconds}s: {counts}", flush=True)

    instance = tempfile.mkdtemp(prefix="stampbook-bench-")
    cookies = _session_cookies(url, size, instance)
    env = {
        "DATABASE_URL": url,
        "STAMPBOOK_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "STAMPBOOK_INSTANCE": instance,
        # The dispatch figures' webhook receiver listens on loopback.
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
    }
    figures: dict[str, Any] = {}
    with (
        servers.gunicorn("stampbook.wsgi:app", APP_PORT, env, "/healthz") as app_server,
        servers.gunicorn(
            "stampbook.bench.baseline:app", BASELINE_PORT, env, "/json"
        ) as baseline_server,
        servers.gunicorn(
            "stampbook.bench.without_outbox:app", WITHOUT_OUTBOX_PORT, env, "/healthz"
        ) as without_outbox_server,
    ):
        by_name = {s.name: s for s in SCENARIOS}
        by_server = {
            "app": app_server,
            "baseline": baseline_server,
            "without_outbox": without_outbox_server,
        }

        def measure(scenario: Scenario, length: int) -> wrk.Figures:
            server = by_server[scenario.server]
            requests = scenario.requests(size, cookies)
            wrk.run(server.url, requests, seconds=2)  # warm up caches and connections
            if scenario.fresh:
                requests = scenario.requests(size, cookies)
            return wrk.run(server.url, requests, seconds=length)

        for scenario in _chosen(only):
            # The machine's speed drifts during a run: each figure is divided by its baseline
            # measured just before it, so the ratio compares like with like.
            paired: wrk.Figures | None
            if scenario.alternate and scenario.baseline:
                base = by_name[scenario.baseline]
                first, result, again, last = (
                    measure(s, seconds) for s in (base, scenario, scenario, base)
                )
                paired, result = wrk.combine([first, last]), wrk.combine([result, again])
            else:
                paired = (
                    measure(by_name[scenario.baseline], max(3, seconds // 2))
                    if scenario.baseline
                    else None
                )
                result = measure(scenario, seconds)
            doctor_ok = _doctor(env)
            figures[scenario.name] = {
                **asdict(result),
                "doctor_ok": doctor_ok,
                "baseline": scenario.baseline,
                "baseline_throughput": paired.throughput if paired else None,
                "page": scenario.page,
            }
            print(
                f"[{size.name}] {scenario.name}: {result.throughput} req/s"
                + (f" ({paired.throughput} for its baseline)" if paired else "")
                + f", p99 {result.p99_ms} ms, errors {result.errors}, doctor "
                f"{'ok' if doctor_ok else 'FAILED'}",
                flush=True,
            )
        memory = {
            "app_worker_peak_rss_mb": app_server.worker_peak_rss_mb(),
            "app_worker_rss_mb": app_server.worker_rss_mb(),
            "baseline_worker_peak_rss_mb": baseline_server.worker_peak_rss_mb(),
        }
        dispatched = _dispatch(app_server.url, url, env, size, Path(instance), only)
        store = _store_burst(app_server.url, url, env, size, Path(instance), only)
        rush = _registration_rush(app_server.url, url, size, only)
    plans = explain.hot_query_plans(url, size, SECRET_KEY, instance)
    return {
        "size": asdict(size),
        "rows": counts,
        "load_seconds": load_seconds,
        "figures": figures,
        "memory": memory,
        "plans": plans,
        "dispatch": dispatched,
        "store_burst": store,
        "registration_rush": rush,
    }


def _dispatch(
    app_url: str, url: str, env: dict[str, str], size: dataset.Size, instance: Path, only: list[str]
) -> dict[str, Any]:
    """The dispatch figures, or why there are none."""
    if only and not any(o in DISPATCH for o in only):
        return {"skipped": "not chosen (--scenario)"}
    if not _has_table(url, "webhook_messages"):
        return {"skipped": "no outgoing webhooks in this build (webhook_messages is missing)"}
    figures = dispatch.measure(app_url, url, env, size, instance)
    figures["doctor_ok"] = _doctor(env)
    print(
        f"[{size.name}] dispatch: {figures['occurrences']} occurrences from "
        f"{figures['stamps']} stamps; after the burst {figures['undispatched_after_burst']} "
        f"undispatched, {figures['undelivered_after_burst']} undelivered; drained in "
        f"{figures['drain_seconds']} s ({figures['occurrences_per_second']} occurrences/s)",
        flush=True,
    )
    return figures


def _store_burst(
    app_url: str, url: str, env: dict[str, str], size: dataset.Size, instance: Path, only: list[str]
) -> dict[str, Any]:
    """A burst of Shopify orders/paid webhooks and the consumer earning them (or why not)."""
    if only and not any(o in STORE_BURST for o in only):
        return {"skipped": "not chosen (--scenario)"}
    figures = store_burst.measure(app_url, url, env, instance)
    figures["doctor_ok"] = _doctor(env)
    print(
        f"[{size.name}] store burst: {figures['webhooks']} orders/paid webhooks in "
        f"{figures['burst_seconds']} s ({figures['burst_throughput']}/s, "
        f"{figures['burst_errors']} errors); {figures['pending_after_burst']} waiting; "
        f"{figures['orders_earned']} orders earned in {figures['drain_seconds']} s "
        f"({figures['orders_per_second']}/s), {figures['lost']} lost",
        flush=True,
    )
    return figures


def _registration_rush(
    app_url: str, url: str, size: dataset.Size, only: list[str]
) -> dict[str, Any]:
    """Members rushing for a 100-seat event (or why not measured). It moves no points: no
    doctor after it; what it checks is the seats."""
    if only and not any(o in REGISTRATION_RUSH for o in only):
        return {"skipped": "not chosen (--scenario)"}
    figures = registration_rush.measure(app_url, url, size)
    print(
        f"[{size.name}] registration rush: {figures['members']} members for "
        f"{figures['seats']} seats in {figures['seconds']} s ({figures['throughput']} req/s, "
        f"p99 {figures['p99_ms']} ms, {figures['errors']} errors): {figures['registered']} "
        f"registered, {figures['waitlisted']} waitlisted, event counts {figures['counted']}; "
        f"oversold: {'YES' if figures['oversold'] else 'no'}",
        flush=True,
    )
    return figures


def _has_table(url: str, table: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar())
    finally:
        engine.dispose()


def main(sizes: list[str], seconds: int, output: Path, only: list[str] | None = None) -> int:
    server_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    load_before = round(os.getloadavg()[0], 1)  # others' work on the machine skews figures
    measured = {
        name: run_size(server_url, dataset.SIZES[name], seconds, only or []) for name in sizes
    }
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "workers": servers.WORKERS,
            "threads": servers.THREADS,
            "connections": 16,
            "seconds": seconds,
            "queue": "Redis" if os.environ.get("REDIS_URL") else "SQLite",
            "load_before": load_before,
        },
        "sizes": measured,
    }
    output.mkdir(parents=True, exist_ok=True)
    (output / "BENCHMARKS.json").write_text(json.dumps(results, indent=2) + "\n")
    table = report.markdown(results)
    report.update_benchmarks_md(output / "BENCHMARKS.md", table)
    print(table)
    failed = (
        [
            f"{size}: {name}"
            for size, data in measured.items()
            for name, figure in data["figures"].items()
            if not figure["doctor_ok"]
        ]
        + [
            f"{size}: {DISPATCH}"
            for size, data in measured.items()
            if data["dispatch"].get("doctor_ok") is False
        ]
        + [
            f"{size}: {STORE_BURST}"
            for size, data in measured.items()
            if data["store_burst"].get("doctor_ok") is False or data["store_burst"].get("lost")
        ]
    )
    oversold = [
        size for size, data in measured.items() if data["registration_rush"].get("oversold")
    ]
    if oversold:
        print("the registration rush oversold its event: " + ", ".join(oversold), file=sys.stderr)
    if failed:
        print("doctor found missing points after: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed or oversold else 0
