"""The ``stampbook`` command: serve, db upgrade, demo, doctor, create-admin."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from alembic import command as alembic_command
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from stampbook import backup, domains
from stampbook.app import create_app
from stampbook.core import unit_of_work
from stampbook.migrations import alembic_config


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def main() -> None:
    """stampbook: a points-and-rewards platform."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    alembic_command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at {revision}")


@main.command()
@with_appcontext
def demo() -> None:
    """Load the demo data (once; a second run changes nothing)."""
    accounts = unit_of_work.run(domains.load_demo)
    click.echo("Demo accounts (email / password):")
    for email, password in accounts:
        click.echo(f"  {email} / {password}")


@main.command()
@with_appcontext
def doctor() -> None:
    """Check that every balance (and earned and spent total) matches its ledger entries, and
    that pending points and point lots agree with the balances."""
    from stampbook.ledger.queries import find_discrepancies, find_held_discrepancies

    problems = unit_of_work.run(find_discrepancies, write=False)
    held = unit_of_work.run(find_held_discrepancies, write=False)
    if not problems and not held:
        click.echo("ok: every balance equals the sum of its entries")
        return
    for h in held:
        click.echo(
            f"membership {h.membership_id}: pending {h.pending} but held points sum to "
            f"{h.held}; balance {h.balance}, in lots {h.in_lots}",
            err=True,
        )
    for p in problems:
        click.echo(
            f"membership {p.membership_id}: balance {p.balance} but entries sum to {p.ledger_sum};"
            f" earned {p.earned} (entries {p.ledger_earned}), spent {p.spent} (entries"
            f" {p.ledger_spent})",
            err=True,
        )
    sys.exit(1)


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent snapshot of the database to TARGET."""
    backup.backup(current_app.config["DATABASE_URL"], target)
    click.echo(f"backed up to {target}")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(source: Path) -> None:
    """Restore SOURCE into the (empty) database named by DATABASE_URL; then run doctor."""
    backup.restore(current_app.config["DATABASE_URL"], source)
    click.echo(f"restored from {source}")


@main.command()
@click.option(
    "--size",
    "sizes",
    multiple=True,
    type=click.Choice(["small", "large"]),
    help="Data sizes to run (default: both).",
)
@click.option("--seconds", default=10, show_default=True, help="Length of each load.")
@click.option(
    "--scenario",
    "only",
    multiple=True,
    help="Only the scenarios whose name contains this (and their baselines); repeatable.",
)
@click.option(
    "--output",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where BENCHMARKS.md and BENCHMARKS.json go.",
)
def bench(sizes: tuple[str, ...], seconds: int, output: Path, only: tuple[str, ...]) -> None:
    """Benchmark on PostgreSQL (BENCH_DATABASE_URL) with wrk; see BENCHMARKS.md."""
    from stampbook.bench.runner import main as run_bench

    sys.exit(run_bench(list(sizes) or ["small", "large"], seconds, output, list(only)))


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Admin")
@click.password_option()
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create a platform admin (or make an existing user one)."""
    from stampbook.accounts import queries, services

    def work() -> str:
        user = queries.find_by_email(email)
        if user is None:
            user = services.register(email=email, name=name, password=password)
        user.is_admin = True
        return user.email

    click.echo(f"{unit_of_work.run(work)} is a platform admin")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
@click.option(
    "--workers",
    default=lambda: int(
        os.environ.get("WEB_CONCURRENCY") or (2 if os.environ.get("REDIS_URL") else 1)
    ),
    type=click.IntRange(min=1),
    help="gunicorn worker processes (WEB_CONCURRENCY; default 2 with REDIS_URL, else 1).",
)
@click.option("--threads", default=lambda: int(os.environ.get("WEB_THREADS", "4")), type=int)
@click.option(
    "--worker/--no-worker",
    "with_consumer",
    default=True,
    help="Start the job consumer beside the app (default); --no-worker where consumers run"
    " as their own processes.",
)
@click.option(
    "--job-workers",
    default=lambda: int(os.environ.get("JOB_WORKERS", "2")),
    type=click.IntRange(min=1),
    help="Threads of the job consumer (JOB_WORKERS, default 2).",
)
def serve(
    host: str, port: int, workers: int, threads: int, with_consumer: bool, job_workers: int
) -> None:
    """Serve the app (gunicorn, or Flask's server without it) and the job consumer beside it.

    Ctrl-C or SIGTERM stops both; a consumer that dies is restarted (see ``supervise``)."""
    # One instance folder for the app and the consumer: the same SQLite queue (and database).
    instance = Path(os.environ.get("STAMPBOOK_INSTANCE") or Path.cwd() / "instance").resolve()
    os.environ["STAMPBOOK_INSTANCE"] = str(instance)
    web = _web_command(host, port, _processes(workers), threads)
    if not with_consumer:
        os.execv(web[0], web)
    if os.environ.get("JOBS_IMMEDIATE") == "1":
        click.echo("stampbook serve: JOBS_IMMEDIATE=1, jobs run inline; no consumer", err=True)
        os.execv(web[0], web)
    from stampbook.core import jobs  # here: its queue is where STAMPBOOK_INSTANCE now says

    click.echo(
        f"stampbook serve: a job consumer ({job_workers} thread{'s' * (job_workers > 1)}) on"
        f" the queue {jobs.queue_name()}",
        err=True,
    )
    sys.exit(supervise(web, consumer_command(job_workers), env=dict(os.environ)))


def _processes(asked: int) -> int:
    """Without Redis the rate limits are counted in each process's memory: two workers would
    each allow the whole limit. One process (with its threads) keeps every limit whole."""
    limited = os.environ.get("RATELIMIT_ENABLED", "1") != "0"
    if asked > 1 and limited and not os.environ.get("REDIS_URL"):
        click.echo(
            f"stampbook serve: {asked} workers asked, 1 started: without REDIS_URL rate limits"
            " are counted per process; set REDIS_URL to run more",
            err=True,
        )
        return 1
    return asked


def _web_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).parent / "gunicorn")
    if not Path(gunicorn).exists():
        return [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "stampbook.wsgi:app",
            "run",
            "--host",
            host,
            "--port",
            str(port),
        ]
    return [
        gunicorn,
        "stampbook.wsgi:app",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        "30",
        "--graceful-timeout",
        str(GRACE_SECONDS),
        "--access-logfile",
        "-",
    ]


# What gunicorn and the consumer get to finish their requests and jobs when stopped.
GRACE_SECONDS = 20


def consumer_command(workers: int) -> list[str]:
    """``huey_consumer stampbook.worker.huey`` with threads (jobs wait on the database and the
    network, not the CPU), polling an idle SQLite queue at least every second (Redis blocks
    instead), finishing running jobs for ``GRACE_SECONDS`` when stopped (SIGINT)."""
    return [
        sys.executable,
        "-m",
        "huey.bin.huey_consumer",
        "stampbook.worker.huey",
        "--workers",
        str(workers),
        "--worker-type",
        "thread",
        "--max-delay",
        "1",
        "--shutdown-timeout",
        str(GRACE_SECONDS),
    ]


# A consumer that exits sooner than this after its start failed to start.
QUICK_EXIT_SECONDS = 10.0
# Failed starts in a row after which serve gives up.
FAILED_STARTS = 3


def supervise(
    web: list[str],
    consumer: list[str],
    *,
    env: dict[str, str],
    restart_pause: float = 1.0,
    quick_exit_seconds: float = QUICK_EXIT_SECONDS,
    grace_seconds: float = GRACE_SECONDS + 10,
) -> int:
    """Run the web server and the job consumer until a signal or the web server ends.

    SIGINT (Ctrl-C) or SIGTERM stops both gracefully (gunicorn on SIGTERM, the consumer on
    SIGINT), a second one at once; what is left after ``grace_seconds`` is killed; returns 0.
    The web server ending ends the consumer; its exit code is returned (1 for a clean exit or
    a signal: it should not end by itself). A consumer that dies
    is reported and restarted: the queue keeps what was queued (SQLite or Redis), so a new
    consumer runs it, and the app keeps serving meanwhile. One that dies ``FAILED_STARTS``
    times in a row within ``quick_exit_seconds`` of starting cannot start (an import error, a
    bad setting): restarting it would not help, so serve stops the web server and returns 1.
    The children run in their own process groups (a terminal's Ctrl-C reaches only this
    process, which signals each as it expects) and, on Linux, end if this process dies.
    """
    stops: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stops.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        web_process = _start(web, env)
        consumer_process = _start(consumer, env)
        started = time.monotonic()
        failed_starts = 0
        while not stops:
            code = web_process.poll()
            if code is not None:
                _say(f"the web server exited ({_how(code)}); stopping the job consumer")
                _stop([(consumer_process, signal.SIGINT)], stops, grace_seconds)
                return code if code > 0 else 1
            code = consumer_process.poll()
            if code is not None:
                quick = time.monotonic() - started < quick_exit_seconds
                failed_starts = failed_starts + 1 if quick else 0
                if failed_starts >= FAILED_STARTS:
                    _say(
                        f"the job consumer exited ({_how(code)}) {failed_starts} times in a row"
                        " right after starting; stopping"
                    )
                    _stop([(web_process, signal.SIGTERM)], stops, grace_seconds)
                    return 1
                _say(f"the job consumer exited ({_how(code)}); restarting it")
                _sleep_unless_stopped(restart_pause * 2**failed_starts, stops)
                if stops:
                    break
                consumer_process = _start(consumer, env)
                started = time.monotonic()
            time.sleep(0.2)
        _stop(
            [(web_process, signal.SIGTERM), (consumer_process, signal.SIGINT)],
            stops,
            grace_seconds,
        )
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Our own commands, from this interpreter's environment.
    return subprocess.Popen(  # noqa: S603
        command, env=env, process_group=0, preexec_fn=_end_with_parent()
    )


PR_SET_PDEATHSIG = 1


def _end_with_parent() -> Callable[[], None] | None:
    """What a child runs before its command to receive SIGTERM when the supervisor dies
    (Linux's ``prctl(PR_SET_PDEATHSIG)``; the C library is loaded here, in the parent)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None).prctl
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(
    processes: list[tuple[subprocess.Popen[bytes], signal.Signals]],
    stops: list[int],
    grace_seconds: float,
) -> None:
    """Signal each process gracefully; a further stop signal ends them at once (gunicorn on
    SIGINT, the consumer on SIGTERM); after ``grace_seconds`` kill what is left."""
    urgent = {signal.SIGTERM: signal.SIGINT, signal.SIGINT: signal.SIGTERM}
    for process, graceful in processes:
        _signal(process, graceful)
    seen = len(stops)
    deadline = time.monotonic() + grace_seconds
    while any(p.poll() is None for p, _ in processes) and time.monotonic() < deadline:
        if len(stops) > seen:
            seen = len(stops)
            for process, graceful in processes:
                _signal(process, urgent[graceful])
        time.sleep(0.1)
    for process, _ in processes:
        if process.poll() is None:
            _say(f"process {process.pid} did not stop in {grace_seconds:g} s; killing it")
            process.kill()
            process.wait()


def _signal(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    if process.poll() is None:
        process.send_signal(signum)


def _sleep_unless_stopped(seconds: float, stops: list[int]) -> None:
    deadline = time.monotonic() + seconds
    while not stops and time.monotonic() < deadline:
        time.sleep(0.1)


def _how(code: int) -> str:
    if code >= 0:
        return f"code {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"


def _say(message: str) -> None:
    click.echo(f"stampbook serve: {message}", err=True)
