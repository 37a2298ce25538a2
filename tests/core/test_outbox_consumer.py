"""The outbox through a real consumer process killed mid-dispatch (SIGKILL) and restarted:
every occurrence reaches every consumer exactly once (issue 15).

A database of its own (a SQLite file, or a fresh PostgreSQL database when DATABASE_URL names
a server), stamps through the API of an app in this process (its jobs go into the test's
queue file, as a web process's would), a webhook endpoint pointing at a slow receiver on
loopback (so the consumer is killed while it waits on a delivery), then a second consumer
and the sweeps: the outbox's (``outbox.sweep`` with a clock past SWEEP_AFTER) and the
webhooks' (``delivery.send_due``, and with a clock past the lease of a claim the killed
consumer never recorded). Standard Webhooks delivers at least once: a message whose body
reached the receiver before its attempt was recorded may come again, with the same
``webhook-id``, which receivers deduplicate; never two ids for one occurrence.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest
from flask import Flask
from huey.storage import SqliteStorage
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from stampbook import domains
from stampbook.core import clock, jobs, outbox, unit_of_work
from stampbook.core.db import db
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence, OccurrenceHandling
from stampbook.ledger.models import LedgerEntry
from tests.conftest import make_test_app
from tests.core.test_jobs_consumer import (
    HUEY_CONSUMER,
    JOB_SECONDS,
    START_SECONDS,
    consumer_command,
    descendants,
)
from tests.databases import fresh_postgres_database
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task

MEMBERS = 4
STAMPS_EACH = 6  # in two waves of three
RECEIVER_DELAY = 0.4  # seconds a delivery waits for its answer: the window the kill hits

try:
    from stampbook.webhooks import delivery
except ImportError:  # pragma: no cover - until outgoing webhooks are built
    delivery = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.skipif(
        not HUEY_CONSUMER.exists(), reason="huey_consumer is not installed beside the tests"
    ),
    pytest.mark.skipif(
        not Path("/proc/self/stat").exists(), reason="needs /proc to find child processes"
    ),
    pytest.mark.skipif(
        delivery is None, reason="needs outgoing webhooks (stampbook.webhooks.delivery)"
    ),
]


# --- A slow webhook receiver on loopback ------------------------------------------------------


@dataclass
class Received:
    webhook_id: str
    occurrence_id: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request as it arrives, then takes RECEIVER_DELAY to answer 204."""

    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    last_seen: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def idle_for(self, seconds: float) -> bool:
        with self.lock:
            return self.in_flight == 0 and time.monotonic() - self.last_seen >= seconds


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.in_flight += 1
                state.last_seen = time.monotonic()
                state.received.append(
                    Received(
                        self.headers["webhook-id"],
                        json.loads(body)["data"]["occurrence_id"],
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
            try:
                time.sleep(RECEIVER_DELAY)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender was killed while waiting
            finally:
                with state.lock:
                    state.in_flight -= 1
                    state.last_seen = time.monotonic()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# --- A place of its own: database, instance folder, queue, app ------------------------------


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A SQLite file, or with DATABASE_URL naming PostgreSQL a fresh database there."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'outbox.db'}"
        _create_schema(url)
        yield url
        return
    with fresh_postgres_database("stampbook_kill") as url:
        _create_schema(url)
        yield url


def _create_schema(url: str) -> None:
    engine = create_engine(url)
    domains.metadata().create_all(engine)
    engine.dispose()


@dataclass
class Place:
    app: Flask
    env: dict[str, str]
    queue: SqliteStorage
    log: Path
    instance: Path
    since: int = 0  # where the running consumer's part of the log starts

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def place(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    instance = tmp_path / "instance"
    instance.mkdir()
    app = make_test_app(database_url, instance, WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
    # This process enqueues into the place's queue file, as a web process would.
    queue = SqliteStorage("stampbook", filename=str(instance / "jobs.db"))
    monkeypatch.setattr(jobs.huey, "immediate", False)
    monkeypatch.setattr(jobs.huey, "storage", queue)
    env = {k: v for k, v in os.environ.items() if k not in {"JOBS_IMMEDIATE", "REDIS_URL"}}
    env |= {
        "DATABASE_URL": database_url,
        "STAMPBOOK_INSTANCE": str(instance),
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
        # A dispatch waiting on the test's lock (SQLite's busy wait) outlasts the kill.
        "DATABASE_TIMEOUT_SECONDS": "60",
        "PYTHONUNBUFFERED": "1",
    }
    yield Place(app, env, queue, tmp_path / "consumers.log", instance)
    queue.close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def consumers(place: Place) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start a consumer process (no periodic jobs: the test runs the sweeps); whatever is
    left is killed after the test."""
    started: list[subprocess.Popen[bytes]] = []
    log: IO[bytes] = place.log.open("ab")

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [str(part) for part in consumer_command()],
            env=place.env,
            cwd=place.instance.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        for pid in descendants(process.pid):
            os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()
            process.wait()
    log.close()


def wait_for(condition: Callable[[], bool], seconds: float, what: str, place: Place) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} not within {seconds:g} s\n--- consumers' output ---\n{place.output()}")


# --- The shop, its members and their stamps ---------------------------------------------------


@dataclass
class World:
    task_id: int
    member_auth: dict[int, dict[str, str]]  # membership id -> its user's bearer header
    endpoint_id: int
    secret: str


def _world(place: Place, receiver: Receiver) -> World:
    with place.app.app_context():
        session = db.session
        owner = make_user(session)
        shop = make_shop(session, owner)
        program = make_program(session, shop)
        task = make_task(session, program, point_value=10)
        member_auth = {}
        for _ in range(MEMBERS):
            user = make_user(session)
            membership = make_membership(session, program, user)
            member_auth[membership.id] = auth(session, user)
        owner_auth = auth(session, owner)
        shop_id, task_id = shop.id, task.id
        session.commit()
    answer = place.app.test_client().post(
        f"/api/v1/shops/{shop_id}/webhook-endpoints",
        json={"url": receiver.url, "event_types": [OccurrenceType.POINTS_EARNED]},
        headers=owner_auth,
    )
    assert answer.status_code == 201, answer.get_json()
    endpoint = answer.get_json()
    return World(task_id, member_auth, endpoint["id"], endpoint["secret"])


def _stamp_each(place: Place, world: World, times: int) -> None:
    client = place.app.test_client()
    for _ in range(times):
        for membership_id, headers in world.member_auth.items():
            answer = client.post(
                f"/api/v1/tasks/{world.task_id}/stamps",
                json={"membership_id": membership_id},
                headers=headers,
            )
            assert answer.status_code == 201, answer.get_json()


# --- The sweeps, as the periodic jobs would run them -----------------------------------------


def _sweep(place: Place, receiver: Receiver) -> tuple[int, int]:
    """What the periodic jobs of a live consumer would do in the next minutes: the outbox's
    sweep (its clock past SWEEP_AFTER) and the webhooks' due attempts (queued for the
    consumer), then, with the clock past the lease, the attempts the killed consumer claimed
    and never recorded. Returns how many occurrences the sweep dispatched and how many
    claimed attempts were made again."""
    later = clock.now() + outbox.SWEEP_AFTER + timedelta(seconds=1)
    swept = 0
    with place.app.app_context():
        while dispatched := unit_of_work.run(lambda: outbox.sweep(now=later)):
            swept += dispatched
        delivery.send_due()
    _settle(place, receiver)
    with place.app.app_context(), pytest.MonkeyPatch.context() as pinned:
        lease_over = (
            clock.now()
            + timedelta(seconds=place.app.config["WEBHOOKS_TIMEOUT_SECONDS"])
            + delivery.LEASE_MARGIN
            + timedelta(seconds=1)
        )
        pinned.setattr(clock, "now", lambda: lease_over)
        due = unit_of_work.run(lambda: delivery.due_messages(lease_over), write=False)
        for message_id in due:
            assert delivery.attempt_delivery(message_id)
    return swept, len(due)


def _settle(place: Place, receiver: Receiver) -> None:
    """Wait until nothing is queued or scheduled, the running consumer runs no job, and
    nothing has been delivered for a while; twice in a row (a job just taken from the queue
    is logged as running a moment later)."""
    quiet = 3 * RECEIVER_DELAY + 1.0

    def still() -> bool:
        return (
            place.queue.queue_size() == 0
            and place.queue.schedule_size() == 0
            and _jobs_running(place, place.since) == 0
            and receiver.idle_for(quiet)
        )

    def twice() -> bool:
        if not still():
            return False
        time.sleep(0.5)
        return still()

    wait_for(twice, START_SECONDS, "an idle consumer and receiver", place)


# --- The test -----------------------------------------------------------------------------------


@contextmanager
def _claims_held(place: Place) -> Iterator[None]:
    """Hold what a dispatch's handling rows need, so that a consumer's dispatch waits in the
    middle: the table's lock on PostgreSQL (reads go on), the database's write lock on SQLite."""
    engine = create_engine(place.env["DATABASE_URL"])
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("LOCK TABLE occurrence_handlings IN EXCLUSIVE MODE")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


# Huey's log of each job: "Executing <job>: <id>", then "<job>: <id> executed in ..." or
# "Unhandled exception in task <id>."
_STARTED = re.compile(r"Executing ([\w.]+): ([\w-]+)")
_ENDED = re.compile(r"[\w.]+: ([\w-]+) executed in|Unhandled exception in task ([\w-]+)")


def _jobs_running(place: Place, since: int = 0, job: str = "") -> int:
    """Jobs (whose name ends with ``job``) the consumers' log shows started and not ended,
    in the log from offset ``since``."""
    output = place.output()[since:]
    started = {i for name, i in _STARTED.findall(output) if name.endswith(job)}
    ended = {a or b for a, b in _ENDED.findall(output)}
    return len(started - ended)


def _kill(consumer: subprocess.Popen[bytes]) -> None:
    consumer.send_signal(signal.SIGKILL)
    assert consumer.wait(timeout=JOB_SECONDS) == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["dispatching", "delivering"])
def test_a_consumer_killed_mid_dispatch_and_restarted_has_each_effect_once(
    moment: str,
    place: Place,
    receiver: Receiver,
    consumers: Callable[[], subprocess.Popen[bytes]],
) -> None:
    world = _world(place, receiver)
    _stamp_each(place, world, STAMPS_EACH // 2)
    first_wave = MEMBERS * (STAMPS_EACH // 2)

    if moment == "dispatching":
        # Killed while dispatch jobs wait to write their handling rows: those jobs are lost
        # with it (the queue gave them away), their occurrences left for the sweep.
        with _claims_held(place):
            first = consumers()
            wait_for(
                lambda: _jobs_running(place, job="outbox.dispatch") > 0,
                START_SECONDS,
                "a dispatch under way",
                place,
            )
            _kill(first)
        assert place.queue.queue_size() < first_wave, "no job was taken by the killed consumer"
        _stamp_each(place, world, STAMPS_EACH - STAMPS_EACH // 2)
    else:
        first = consumers()
        wait_for(lambda: len(receiver.received) >= 2, START_SECONDS, "the first deliveries", place)
        # More occurrences while it delivers: their dispatch jobs queue behind the deliveries.
        _stamp_each(place, world, STAMPS_EACH - STAMPS_EACH // 2)
        # Killed while the receiver holds a delivery it has read and not yet answered: its
        # attempt was claimed and never recorded.
        wait_for(lambda: receiver.in_flight > 0, JOB_SECONDS, "a delivery in flight", place)
        _kill(first)
        assert len(receiver.received) < MEMBERS * STAMPS_EACH, "the kill came after all was done"

    place.since = len(place.output())  # the killed consumer's jobs never end in the log
    consumers()
    wait_for(
        lambda: place.output().count("Huey consumer started") >= 2,
        START_SECONDS,
        "the restarted consumer",
        place,
    )
    _settle(place, receiver)
    swept, claimed_again = _sweep(place, receiver)
    _settle(place, receiver)
    # The kill left work that only the sweeps finish: the lost dispatch jobs' occurrences, or
    # the claimed delivery whose attempt was never recorded.
    assert (swept if moment == "dispatching" else claimed_again) >= 1

    with place.app.app_context():
        _assert_each_effect_once(db.session, world, receiver)


def _assert_each_effect_once(session: Session, world: World, receiver: Receiver) -> None:
    from stampbook.webhooks.models import MessageStatus, WebhookMessage

    occurrences = session.scalars(select(Occurrence).order_by(Occurrence.id)).all()
    earned = [o for o in occurrences if o.type == OccurrenceType.POINTS_EARNED]
    assert len(earned) == MEMBERS * STAMPS_EACH

    # The outbox: every occurrence dispatched, one handling row per interested consumer.
    handlings = defaultdict(list)
    for occurrence_id, consumer in session.execute(
        select(OccurrenceHandling.occurrence_id, OccurrenceHandling.consumer)
    ):
        handlings[occurrence_id].append(consumer)
    for occurrence in occurrences:
        wanted = sorted(c.name for c in outbox.interested(outbox.registered(), occurrence.type))
        assert occurrence.dispatched_at is not None, occurrence.id
        assert sorted(handlings[occurrence.id]) == wanted, occurrence.id

    # Webhooks: one message per occurrence (one endpoint), delivered; the receiver saw one
    # webhook-id per occurrence, that message's, each signed with the endpoint's secret.
    messages = {
        m.occurrence_id: m
        for m in session.scalars(
            select(WebhookMessage).where(WebhookMessage.endpoint_id == world.endpoint_id)
        )
    }
    assert set(messages) == {o.id for o in earned}
    assert {m.status for m in messages.values()} == {MessageStatus.DELIVERED}
    ids_by_occurrence: dict[int, set[str]] = defaultdict(set)
    verifier = Webhook(world.secret)
    for request in receiver.received:
        ids_by_occurrence[request.occurrence_id].add(request.webhook_id)
        verifier.verify(request.body, request.headers)
    assert ids_by_occurrence == {o: {m.msg_id} for o, m in messages.items()}
    repeated = len(receiver.received) - len(messages)
    assert repeated >= 0  # at least once; a repeat carries the same webhook-id

    # Notifications: the points of each member's notices add up to what the member earned,
    # each occurrence counted once (a notice batches a minute's points).
    if any(c.name == "notifications" for c in outbox.registered()):
        from stampbook.notifications.models import Notification

        for membership_id in world.member_auth:
            earned_points = session.scalar(
                select(func.sum(LedgerEntry.amount)).where(
                    LedgerEntry.membership_id == membership_id, LedgerEntry.amount > 0
                )
            )
            user_id = next(
                o.payload["user_id"] for o in earned if o.payload["membership_id"] == membership_id
            )
            notified = session.scalar(
                select(func.sum(Notification.points)).where(Notification.user_id == user_id)
            )
            assert notified == earned_points == 10 * STAMPS_EACH, membership_id
