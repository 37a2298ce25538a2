"""Jobs through a real consumer process (``huey_consumer stampbook.worker.huey``) and through
``stampbook serve``, which starts one beside gunicorn.

Each test has its own instance folder (the SQLite queue ``jobs.db``) and SQLite database; the
test process enqueues a real job of the app (``core.jobs.purge_idempotency_keys``) into that
queue, and the consumer's effect is read from the database, polling with generous timeouts
(a consumer takes a few seconds to start on a busy two-core machine).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest
import redis
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.core import jobs
from stampbook.core.db import utcnow
from stampbook.core.idempotency import IdempotencyKey

BIN = Path(sys.executable).parent
HUEY_CONSUMER = BIN / "huey_consumer"
STAMPBOOK = BIN / "stampbook"

pytestmark = [
    pytest.mark.skipif(
        not HUEY_CONSUMER.exists(),
        reason=f"huey_consumer is not installed beside {sys.executable} (pip install huey)",
    ),
    pytest.mark.skipif(
        not Path("/proc/self/stat").exists(), reason="needs /proc to find child processes"
    ),
]

# What a starting consumer or server may take on a slow, busy machine, and a job after it.
START_SECONDS = 60.0
JOB_SECONDS = 30.0


@dataclass
class Place:
    """An instance folder and database of their own, and the environment naming them."""

    instance: Path
    database_url: str
    env: dict[str, str]
    log: Path

    def keys(self) -> set[str]:
        """The idempotency keys left in the database."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return set(connection.execute(text("SELECT key FROM idempotency_keys")).scalars())
        finally:
            engine.dispose()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def place(tmp_path: Path) -> Place:
    """A database with one idempotency key past its lifetime and one fresh key; the job's
    effect is the old one gone."""
    instance = tmp_path / "instance"
    instance.mkdir()
    url = f"sqlite:///{tmp_path / 'consumer.db'}"
    engine = create_engine(url)
    domains.metadata().create_all(engine)
    with Session(engine) as session:
        for key, age in (("old", timedelta(days=2)), ("fresh", timedelta(0))):
            session.add(
                IdempotencyKey(
                    caller="user:1",
                    key=key,
                    request_hash="0" * 64,
                    status=201,
                    body="{}",
                    mimetype="application/json",
                    created_at=utcnow() - age,
                )
            )
        session.commit()
    engine.dispose()
    # Not inline, and the SQLite queue even where the suite has Redis.
    env = {k: v for k, v in os.environ.items() if k not in {"JOBS_IMMEDIATE", "REDIS_URL"}}
    env |= {"DATABASE_URL": url, "STAMPBOOK_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1"}
    return Place(instance, url, env, tmp_path / "processes.log")


@pytest.fixture
def queue(place: Place, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteStorage]:
    """The test process enqueues into the place's queue file, as a web process would."""
    storage = SqliteStorage("stampbook", filename=str(place.instance / "jobs.db"))
    monkeypatch.setattr(jobs.huey, "immediate", False)
    monkeypatch.setattr(jobs.huey, "storage", storage)
    yield storage
    storage.close()


@pytest.fixture
def processes(place: Place) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start processes logging to the place's log; whatever is left is killed after the test."""
    started: list[subprocess.Popen[bytes]] = []
    log: IO[bytes] = place.log.open("ab")

    def start(*command: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [str(part) for part in command],
            env=env or place.env,
            cwd=place.instance.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        for pid in descendants(process.pid):
            _kill(pid)
        if process.poll() is None:
            process.kill()
            process.wait()
    log.close()


def consumer_command(periodic: bool = False) -> list[str | Path]:
    """Polling an idle queue at least twice a second; without the scheduler of periodic jobs
    (``-n``) unless asked: only the tests' own jobs run."""
    command: list[str | Path] = [HUEY_CONSUMER, "stampbook.worker.huey", "-w", "2", "-k", "thread"]
    return [*command, "-m", "0.5", *([] if periodic else ["-n"])]


def wait_for(
    condition: Callable[[], bool], seconds: float, what: str, place: Place | None = None
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    output = place.output() if place else ""
    pytest.fail(f"{what} not within {seconds:g} s\n--- processes' output ---\n{output}")


def consumer_ready(place: Place, times: int = 1) -> Callable[[], bool]:
    return lambda: place.output().count("Huey consumer started") >= times


def test_a_consumer_process_runs_a_queued_job(
    place: Place, queue: SqliteStorage, processes: Callable[..., subprocess.Popen[bytes]]
) -> None:
    consumer = processes(*consumer_command())
    jobs.purge_idempotency_keys.enqueue()
    assert place.keys() == {"old", "fresh"}  # queued, not run here
    wait_for(lambda: place.keys() == {"fresh"}, START_SECONDS, "the queued purge", place)
    assert queue.queue_size() == 0

    consumer.send_signal(signal.SIGINT)  # graceful stop
    assert consumer.wait(timeout=JOB_SECONDS) == 0


def test_a_killed_consumer_leaves_the_queue_to_the_next(
    place: Place, queue: SqliteStorage, processes: Callable[..., subprocess.Popen[bytes]]
) -> None:
    first = processes(*consumer_command())
    wait_for(consumer_ready(place), START_SECONDS, "the first consumer", place)
    first.send_signal(signal.SIGSTOP)  # it takes nothing more from the queue...
    jobs.purge_idempotency_keys.enqueue()
    first.kill()  # ...and dies with the job queued (SIGKILL)
    assert first.wait(timeout=JOB_SECONDS) == -signal.SIGKILL
    assert queue.queue_size() == 1  # the queue file kept it
    assert place.keys() == {"old", "fresh"}

    processes(*consumer_command())
    wait_for(lambda: place.keys() == {"fresh"}, START_SECONDS, "the job, run by the next", place)
    assert queue.queue_size() == 0


@pytest.mark.redis
def test_consumers_on_two_machines_share_the_redis_queue_and_run_each_job_once(
    place: Place,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    processes: Callable[..., subprocess.Popen[bytes]],
) -> None:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("needs a Redis server at REDIS_URL (default redis://127.0.0.1:6379/0)")
    storage = RedisStorage("stampbook", url=url)
    assert storage.queue_size() == 0, "another stampbook consumer uses this Redis's queue"
    monkeypatch.setattr(jobs.huey, "immediate", False)
    monkeypatch.setattr(jobs.huey, "storage", storage)
    # Two "machines": instance folders of their own, one queue in Redis; one scheduler.
    for machine, periodic in (("one", True), ("two", False)):
        instance = tmp_path / machine
        instance.mkdir()
        env = place.env | {"STAMPBOOK_INSTANCE": str(instance), "REDIS_URL": url}
        processes(*consumer_command(periodic), env=env)
    wait_for(consumer_ready(place, times=2), START_SECONDS, "both consumers", place)

    for _ in range(3):
        jobs.purge_idempotency_keys.enqueue()

    def ran() -> int:  # huey logs "Executing <job>: <id>" and "<job>: <id> executed in"
        return place.output().count("purge_idempotency_keys: ") // 2

    wait_for(lambda: ran() >= 3, JOB_SECONDS, "three jobs", place)
    wait_for(lambda: place.keys() == {"fresh"}, JOB_SECONDS, "the purge", place)
    time.sleep(1)
    assert ran() == 3, place.output()  # each job ran once, on one machine or the other
    assert storage.queue_size() == 0
    assert "Periodic tasks are enabled" in place.output()
    assert "Periodic tasks are disabled" in place.output()


def test_serve_runs_the_app_and_a_consumer_and_stops_both(
    place: Place, queue: SqliteStorage, processes: Callable[..., subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    serve = processes(
        STAMPBOOK, "serve", "--port", str(port), "--workers", "1", "--threads", "2",
        "--job-workers", "1",
    )  # fmt: skip
    wait_for(lambda: healthy(port), START_SECONDS, "GET /healthz", place)
    web, consumer = children_of_serve(serve.pid, place)
    # One instance folder for both: the queue the app writes is the one the consumer reads.
    assert f"SQLite {place.instance / 'jobs.db'}" in place.output()

    jobs.purge_idempotency_keys.enqueue()
    wait_for(lambda: place.keys() == {"fresh"}, START_SECONDS, "the job, run by serve's", place)

    # A consumer that dies is reported and restarted; the new one runs what is queued.
    _kill(consumer)
    wait_for(
        lambda: "job consumer exited (signal SIGKILL); restarting" in place.output(),
        JOB_SECONDS,
        "the report of the dead consumer",
        place,
    )
    wait_for(consumer_ready(place, times=2), START_SECONDS, "the restarted consumer", place)
    _, consumer = children_of_serve(serve.pid, place)
    add_old_key(place)
    jobs.purge_idempotency_keys.enqueue()
    wait_for(lambda: place.keys() == {"fresh"}, JOB_SECONDS, "the job, run by the new one", place)

    serve.terminate()
    assert serve.wait(timeout=START_SECONDS) == 0, place.output()
    for pid in (web, consumer):
        assert gone(pid), f"process {pid} outlived stampbook serve"
    assert healthy(port) is False


def test_serve_without_worker_is_gunicorn_alone(
    place: Place, processes: Callable[..., subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    serve = processes(STAMPBOOK, "serve", "--port", str(port), "--workers", "1", "--no-worker")
    wait_for(lambda: healthy(port), START_SECONDS, "GET /healthz", place)
    # serve became gunicorn (same process), whose children are its web workers only.
    assert "gunicorn" in Path(f"/proc/{serve.pid}/cmdline").read_bytes().decode()
    assert not any("huey" in command_line(pid) for pid in descendants(serve.pid))
    serve.terminate()
    assert serve.wait(timeout=START_SECONDS) == 0


def add_old_key(place: Place) -> None:
    engine = create_engine(place.database_url)
    with Session(engine) as session:
        session.add(
            IdempotencyKey(
                caller="user:1",
                key="old",
                request_hash="0" * 64,
                status=201,
                body="{}",
                mimetype="application/json",
                created_at=utcnow() - timedelta(days=3),
            )
        )
        session.commit()
    engine.dispose()
    assert place.keys() == {"old", "fresh"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def children_of_serve(pid: int, place: Place) -> tuple[int, int]:
    """The web server's and the consumer's process ids, the direct children of serve."""
    found: dict[str, int] = {}

    def both() -> bool:
        for child in children(pid):
            line = command_line(child)
            if "huey_consumer" in line:
                found["consumer"] = child
            elif "gunicorn" in line:
                found["web"] = child
        return len(found) == 2

    wait_for(both, START_SECONDS, "serve's two children", place)
    return found["web"], found["consumer"]


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent id, state) of a process, None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def children(pid: int) -> list[int]:
    ids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [child for child in ids if (stat := _stat(child)) and stat[0] == pid]


def descendants(pid: int) -> list[int]:
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gone(pid: int) -> bool:
    """True once the process has ended (a zombie not yet reaped by its new parent counts)."""
    deadline = time.monotonic() + JOB_SECONDS
    while time.monotonic() < deadline:
        stat = _stat(pid)
        if stat is None or stat[1] == "Z":
            return True
        time.sleep(0.2)
    return False


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
