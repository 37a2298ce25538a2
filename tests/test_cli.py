"""The `stampbook` command against a real database file / PostgreSQL database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from stampbook.cli import FAILED_STARTS, supervise
from tests.databases import fresh_postgres_database

BIN = Path(sys.executable).parent / "stampbook"


@contextmanager
def empty_database(tmp_path: Path, label: str) -> Iterator[str]:
    """A fresh, empty database (a SQLite file, or a new PostgreSQL database dropped after)."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / f'{label}.db'}"
        return
    with fresh_postgres_database(f"stampbook_{label}") as url:
        yield url


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path, "cli") as url:
        yield url


def stampbook(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "STAMPBOOK_INSTANCE": str(tmp_path / "instance")}
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_upgrade_demo_doctor(cli_db: str, tmp_path: Path) -> None:
    assert stampbook(cli_db, tmp_path, "db", "upgrade").returncode == 0
    first = stampbook(cli_db, tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "ada@example.com / stampbook-demo" in first.stdout
    again = stampbook(cli_db, tmp_path, "demo")  # idempotent: no duplicate data
    assert again.returncode == 0
    doctor = stampbook(cli_db, tmp_path, "doctor")
    assert doctor.returncode == 0
    assert doctor.stdout.startswith("ok")

    engine = create_engine(cli_db)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM shops")).scalar() == 1
        connection.execute(
            text(
                "UPDATE memberships SET balance = balance + 7 "
                "WHERE id = (SELECT min(id) FROM memberships)"
            )
        )
    engine.dispose()
    broken = stampbook(cli_db, tmp_path, "doctor")
    assert broken.returncode == 1
    assert "balance" in broken.stderr and "entries sum to" in broken.stderr


def test_create_admin(cli_db: str, tmp_path: Path) -> None:
    stampbook(cli_db, tmp_path, "db", "upgrade")
    result = stampbook(
        cli_db,
        tmp_path,
        "create-admin",
        "--email",
        "Root@Example.com",
        "--password",
        "a long admin password",
    )
    assert result.returncode == 0, result.stderr
    engine = create_engine(cli_db)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT email, is_admin FROM users")).one()
    engine.dispose()
    assert row == ("root@example.com", True)


def test_backup_and_restore_keep_every_point(cli_db: str, tmp_path: Path) -> None:
    assert stampbook(cli_db, tmp_path, "db", "upgrade").returncode == 0
    assert stampbook(cli_db, tmp_path, "demo").returncode == 0
    snapshot = tmp_path / "snapshot.backup"
    result = stampbook(cli_db, tmp_path, "backup", str(snapshot))
    assert result.returncode == 0, result.stderr

    with empty_database(tmp_path, "restored") as restored:
        result = stampbook(restored, tmp_path, "restore", str(snapshot))
        assert result.returncode == 0, result.stderr
        assert stampbook(restored, tmp_path, "doctor").returncode == 0
        assert _balances(restored) == _balances(cli_db)
        assert _balances(restored)


def _balances(url: str) -> list[tuple[int, int]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, balance FROM memberships ORDER BY id")).all()
    engine.dispose()
    return [(row[0], row[1]) for row in rows]


# `stampbook serve` runs the web server and the job consumer under `supervise`; here both are
# small Python processes that note what they live through (tests/core/test_jobs_consumer.py
# runs the real ones).
CHILD = """
import signal, sys, time
log, exit_code = sys.argv[1], int(sys.argv[2])
def note(what):
    with open(log, "a") as file:
        file.write(what + "\\n")
def stop(signum, frame):
    note(signal.Signals(signum).name)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
note("started")
if exit_code >= 0 and open(log).read().count("started") <= 1:
    sys.exit(exit_code)  # the first run exits at once; later runs stay
time.sleep(60)
"""


def child(log: Path, exit_code: int = -1) -> list[str]:
    """A process that stays (or, given an exit code, exits at once the first time)."""
    return [sys.executable, "-c", CHILD, str(log), str(exit_code)]


def lines(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def signal_when(condition: Callable[[], bool], signum: int) -> None:
    """Send this process ``signum`` once ``condition`` holds (within 30 s)."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signum)

    threading.Thread(target=watch, daemon=True).start()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_the_web_server_and_the_consumer_gracefully(
    tmp_path: Path, signum: int
) -> None:
    web, consumer = tmp_path / "web", tmp_path / "consumer"
    signal_when(lambda: lines(web) == lines(consumer) == ["started"], signum)

    assert supervise(child(web), child(consumer), env=dict(os.environ)) == 0
    # gunicorn stops gracefully on SIGTERM, the huey consumer on SIGINT
    assert lines(web) == ["started", "SIGTERM"]
    assert lines(consumer) == ["started", "SIGINT"]


def test_serve_restarts_a_consumer_that_died_and_ends_with_the_web_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consumer = tmp_path / "consumer"
    # The web server exits (code 5) once the consumer has been started twice.
    web_command = [
        sys.executable,
        "-c",
        "import sys, time\n"
        "while open(sys.argv[1]).read().count('started') < 2: time.sleep(0.05)\n"
        "sys.exit(5)",
        str(consumer),
    ]
    consumer.write_text("")
    code = supervise(
        web_command, child(consumer, exit_code=3), env=dict(os.environ), restart_pause=0.05
    )
    assert code == 5
    assert lines(consumer) == ["started", "started", "SIGINT"]
    said = capsys.readouterr().err
    assert "the job consumer exited (code 3); restarting it" in said
    assert "the web server exited (code 5); stopping the job consumer" in said


def test_serve_gives_up_on_a_consumer_that_cannot_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web = tmp_path / "web"
    broken = [sys.executable, "-c", "raise SystemExit(3)"]
    started = time.monotonic()
    assert supervise(child(web), broken, env=dict(os.environ), restart_pause=0.05) == 1
    assert time.monotonic() - started < 20
    assert lines(web) == ["started", "SIGTERM"]
    said = capsys.readouterr().err
    assert said.count("the job consumer exited (code 3); restarting it") == FAILED_STARTS - 1
    assert f"exited (code 3) {FAILED_STARTS} times in a row right after starting" in said


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_children_end_when_serve_is_killed(tmp_path: Path) -> None:
    web, consumer = tmp_path / "web", tmp_path / "consumer"
    runner = (
        "import os, sys\n"
        "from stampbook.cli import supervise\n"
        f"sys.exit(supervise({child(web)!r}, {child(consumer)!r}, env=dict(os.environ)))"
    )
    serve = subprocess.Popen([sys.executable, "-c", runner])
    deadline = time.monotonic() + 60
    while not lines(web) == lines(consumer) == ["started"] and time.monotonic() < deadline:
        time.sleep(0.05)
    serve.kill()  # SIGKILL: no chance to stop its children itself
    serve.wait()
    deadline = time.monotonic() + 30
    while (len(lines(web)), len(lines(consumer))) != (2, 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lines(web) == lines(consumer) == ["started", "SIGTERM"]
