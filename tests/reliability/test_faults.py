"""Crashes and outages on PostgreSQL behind gunicorn: no effect lost, none doubled.

These tests start their own PostgreSQL (``initdb`` + ``pg_ctl`` on a free port) and their
own gunicorn, kill gunicorn workers with SIGKILL, stop and start the database in the middle
of the load, and provoke real serialization failures and deadlocks. Afterwards the books are
audited key by key (``faults_client.audit``) and ``stampbook doctor`` must pass.

They take a minute or two, so they run only with ``STAMPBOOK_FAULTS=1`` (and, being
``postgres`` tests, with a PostgreSQL ``DATABASE_URL``, which they never use: the conftest
skips ``postgres`` tests without one). Add ``-s`` to see the figures of each run:

    STAMPBOOK_FAULTS=1 DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        .venv/bin/pytest -q -s tests/reliability/test_faults.py

``STAMPBOOK_FAULTS_SEED`` replays a run's random choices (the seed is in its figures).
"""

from __future__ import annotations

import json
import os
import pwd
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from stampbook.core import unit_of_work
from stampbook.core.db import db
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from tests.conftest import make_test_app
from tests.factories.accounts import make_token, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task
from tests.reliability.faults_client import (
    FAULT_HEADER,
    KILL_AFTER_COMMIT,
    RETRY_STATUSES,
    Answer,
    Operation,
    Tally,
    World,
    audit,
    fire,
    send,
)
from tests.reliability.faults_servers import (
    Gunicorn,
    PrivateServer,
    find_bindir,
    gunicorn,
    new_server,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        os.environ.get("STAMPBOOK_FAULTS") != "1",
        reason="fault tests (own PostgreSQL and gunicorn, 1-2 min): set STAMPBOOK_FAULTS=1",
    ),
]

# The app's database timeout in these tests: an outage must be answered within it.
DATABASE_TIMEOUT = 3
# gunicorn as README's deployment runs it: a few gthread workers of 4 threads.
WORKERS = 3
SEED = int(os.environ.get("STAMPBOOK_FAULTS_SEED", str(random.randrange(10**6))))


# --- Servers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServer]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin: install the postgresql server package"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root needs a 'postgres' user to run the PostgreSQL server")
    server = new_server(bindir)
    try:
        server.init()
        server.start()
        server.create_database()
        result = stampbook_command(server, tmp_path_factory, "db", "upgrade")
        assert result.returncode == 0, result.stderr
        yield server
    finally:
        server.destroy()


def app_env(server: PrivateServer, instance: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": server.url,
        "STAMPBOOK_INSTANCE": str(instance),
        "SECRET_KEY": "faults-secret-key-" + "x" * 32,
        "DATABASE_TIMEOUT_SECONDS": str(DATABASE_TIMEOUT),
        "RATELIMIT_ENABLED": "0",
        "REDIS_URL": "",
    }


def stampbook_command(
    server: PrivateServer, tmp_path_factory: pytest.TempPathFactory, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **app_env(server, tmp_path_factory.mktemp("cli"))}
    return subprocess.run(
        [str(Path(sys.executable).parent / "stampbook"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_doctor_passes(server: PrivateServer, tmp_path_factory: pytest.TempPathFactory) -> None:
    result = stampbook_command(server, tmp_path_factory, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok"), result.stdout


@pytest.fixture(scope="module")
def engine(postgres: PrivateServer) -> Iterator[Engine]:
    engine = create_engine(postgres.url, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def web(postgres: PrivateServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    root = tmp_path_factory.mktemp("gunicorn")
    env = app_env(postgres, root / "instance")
    with gunicorn("tests.reliability.faults_app:app", env, root, workers=WORKERS) as server:
        yield server


def make_world(engine: Engine, members: int = 4, points: int = 200) -> World:
    """A shop of its own per test: a task worth 10, an unlimited reward costing 5, members."""
    with Session(engine) as session:
        owner = make_user(session)
        shop = make_shop(session, owner)
        program = make_program(session, shop)
        task = make_task(session, program, point_value=10)
        reward = make_reward(session, shop, cost=5)
        owner_token = make_token(session, owner, lifetime=timedelta(hours=2))
        tokens = {}
        for _ in range(members):
            user = make_user(session)
            membership = make_membership(session, program, user)
            give_points(session, membership, points, kind=EntryKind.SIGNUP)
            tokens[membership.id] = make_token(session, user, lifetime=timedelta(hours=2))
        world = World(owner_token, task.id, reward.id, sorted(tokens), tokens)
        session.commit()
    return world


def random_operation(world: World, rng: random.Random) -> Operation:
    membership_id = rng.choice(world.membership_ids)
    roll = rng.random()
    if roll < 0.4:
        return world.redemption(membership_id)
    if roll < 0.75:
        return world.stamp(membership_id)
    # Some adjustments take more than is there: refused answers must be kept and replayed too.
    return world.adjustment(membership_id, rng.choice([-60, -25, -5, 5, 20, 50]))


def report(name: str, figures: dict[str, Any]) -> None:
    print(f"\n{name} (seed {SEED}): {json.dumps(figures, sort_keys=True)}")


# --- 1. Workers killed with SIGKILL ---------------------------------------------------------

OPERATIONS = 400
KILLS = 12
CLIENTS = 8


def test_sigkilled_workers_lose_no_effect_and_double_none(
    web: Gunicorn, engine: Engine, postgres: PrivateServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Writes race SIGKILLs of gunicorn workers; every key ends with one effect.

    The kills are due at random points of the load. A kill takes a worker that is serving
    (not one still importing the app: that tests nothing) and never the last one (with
    none serving, requests only queue); when fewer than two serve, the client whose turn
    it is to kill waits for a respawn while the others go on.
    """
    world = make_world(engine)
    rng = random.Random(SEED)
    kill_points = set(rng.sample(range(10, OPERATIONS), KILLS))
    tally = Tally()
    kills: list[int] = []
    issued = Counter[str]()
    lock = threading.Lock()
    kill_lock = threading.Lock()
    started = time.monotonic()

    def kill_a_serving_worker() -> None:
        with kill_lock:
            web.wait_for_ready_workers(2)
            victim = rng.choice(web.ready_workers())
            os.kill(victim, signal.SIGKILL)
            kills.append(victim)

    def client(index: int) -> None:
        own = random.Random(SEED * 100 + index)
        while True:
            with lock:
                number = issued["n"]
                if number >= OPERATIONS:
                    return
                issued["n"] += 1
            if number in kill_points:
                kill_a_serving_worker()
            operation = random_operation(world, own)
            fire(web.port, operation)
            tally.add(operation)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "the load did not finish in 300 s"

    books = audit(engine, world, tally.operations)
    figures = {
        **tally.figures(),
        "kills": len(kills),
        "lost_effects": len(books.lost),
        "duplicates": len(books.duplicates),
        "seconds": round(time.monotonic() - started, 1),
    }
    report("SIGKILL", figures)
    assert (len(kills), figures["operations"]) == (KILLS, OPERATIONS)
    assert books.lost == []
    assert books.duplicates == []
    assert books.key_rows_wrong == []
    # Every final answer is a real one: done, or refused for a reason the client can act on.
    assert set(figures["final_statuses"]) <= {"201", "409"}, figures
    assert "500" not in figures["attempt_outcomes"], web.log_tail()
    assert_doctor_passes(postgres, tmp_path_factory)


def test_a_worker_killed_after_commit_and_before_answering_replays_on_retry(
    web: Gunicorn, engine: Engine, postgres: PrivateServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Reliability case 15, made certain: the crash falls between the commit and the answer."""
    world = make_world(engine)
    member = world.membership_ids[0]
    operations = [world.stamp(member), world.adjustment(member, 7), world.redemption(member)]
    for operation in operations:
        # Another worker must be up to answer the retry.
        web.wait_for_ready_workers(2)
        fire(web.port, operation, first_headers={FAULT_HEADER: KILL_AFTER_COMMIT})

    for operation in operations:
        first, *_ = operation.attempts
        assert not first.isdigit(), f"{operation.kind}: the first attempt was answered: {first}"
        assert operation.final.status == 201, operation.final.body
        assert operation.final.headers.get("idempotent-replayed") == "true"
    books = audit(engine, world, operations)
    assert (books.lost, books.duplicates, books.key_rows_wrong) == ([], [], [])
    with engine.connect() as connection:
        balance = connection.scalar(select(Membership.balance).where(Membership.id == member))
    assert balance == 200 + 10 + 7 - 5  # each paid once
    report(
        "Killed after commit",
        {
            "kills_after_commit": len(operations),
            "replayed_on_retry": len(operations),
            "lost_effects": len(books.lost),
            "duplicates": len(books.duplicates),
        },
    )
    assert_doctor_passes(postgres, tmp_path_factory)


def test_the_audit_sees_a_lost_and_a_doubled_effect(web: Gunicorn, engine: Engine) -> None:
    """The books above prove something only if a missing or extra effect would show."""
    world = make_world(engine)
    member = world.membership_ids[0]
    stamp, redemption = world.stamp(member), world.redemption(member)
    for operation in (stamp, redemption):
        fire(web.port, operation)
    assert audit(engine, world, [stamp, redemption]).clean

    # An effect no answer claims (as if a retry had run it a second time) is a duplicate.
    assert audit(engine, world, [stamp]).duplicates
    # An answer whose effect is not in the database is a lost effect.
    ghost = world.stamp(member)
    ghost.record(Answer(201, json.dumps({"stamp": {"id": 2**62}}).encode(), {}, 0, 0))
    assert audit(engine, world, [stamp, redemption, ghost]).lost == [ghost.key]


# --- 2. PostgreSQL stopped and started under load -------------------------------------------


@dataclass
class Attempt:
    operation: Operation
    outcome: Answer | str
    sent_at: float
    seconds: float


def test_a_database_restart_answers_503_quickly_and_recovers_by_itself(
    web: Gunicorn, engine: Engine, postgres: PrivateServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    world = make_world(engine)
    attempts: list[Attempt] = []
    stop_load = threading.Event()
    lock = threading.Lock()

    def client(index: int) -> None:
        own = random.Random(SEED * 1000 + index)
        while not stop_load.is_set():
            operation = random_operation(world, own)
            sent_at = time.monotonic()
            outcome = send(web.port, operation, timeout=DATABASE_TIMEOUT * 4)
            seconds = time.monotonic() - sent_at
            operation.record(outcome)
            with lock:
                attempts.append(Attempt(operation, outcome, sent_at, seconds))
            time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        stopping = time.monotonic()
        postgres.stop()
        down = time.monotonic()
        time.sleep(3)
        starting = time.monotonic()
        postgres.start()
        up = time.monotonic()
        time.sleep(6)
    finally:
        stop_load.set()
        for thread in threads:
            thread.join(timeout=60)
        if not postgres_is_up(engine):
            postgres.start()

    def answered(a: Attempt) -> Answer:
        assert isinstance(a.outcome, Answer), f"no answer: {a.outcome}"
        return a.outcome

    before = [a for a in attempts if a.sent_at + a.seconds < stopping]
    during = [a for a in attempts if down <= a.sent_at and a.sent_at + a.seconds < starting]
    around = [a for a in attempts if a not in before and a not in during]
    after_up = [a for a in attempts if a.sent_at >= up]
    successes_after = [a for a in after_up if answered(a).status < 500]
    recovered_in = successes_after[0].sent_at - up if successes_after else None
    settled = [a for a in after_up if a.sent_at >= up + 3]

    # Whatever was sent while the database was away got an answer, the right one, in time.
    statuses = Counter(str(answered(a).status) for a in attempts)
    figures = {
        "attempts": len(attempts),
        "statuses": dict(statuses),
        "before": len(before),
        "during_outage": len(during),
        "around_stop_and_start": len(around),
        "slowest_during_outage_s": round(max((a.seconds for a in during), default=0), 3),
        "slowest_overall_s": round(max(a.seconds for a in attempts), 3),
        "stop_took_s": round(down - stopping, 2),
        "start_took_s": round(up - starting, 2),
        "recovered_in_s": None if recovered_in is None else round(recovered_in, 2),
    }
    assert during, "no request was sent while the database was down"
    for attempt in during:
        answer = answered(attempt)
        assert answer.status == 503, (answer.status, answer.body)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "service_unavailable"
        assert answer.headers.get("retry-after")
        assert attempt.seconds < DATABASE_TIMEOUT + 2
    assert "500" not in statuses, web.log_tail()
    for attempt in around:
        assert answered(attempt).status in {201, 409, 503}
    assert recovered_in is not None and recovered_in < 5, figures
    assert settled and all(answered(a).status in {201, 409} for a in settled), figures

    # Those answered 503 are sent again, same key and body: each ends with one effect.
    operations = {id(a.operation): a.operation for a in attempts}.values()
    retried = [o for o in operations if not o.answers or o.final.status in RETRY_STATUSES]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda o: fire(web.port, o), retried))
    books = audit(engine, world, list(operations))
    figures |= {
        "retried_after_outage": len(retried),
        "lost_effects": len(books.lost),
        "duplicates": len(books.duplicates),
    }
    report("PostgreSQL restart", figures)
    assert (books.lost, books.duplicates, books.key_rows_wrong) == ([], [], [])
    assert_doctor_passes(postgres, tmp_path_factory)


def postgres_is_up(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError:
        return False
    return True


# --- 3. Serialization failures and deadlocks ------------------------------------------------


@pytest.fixture(scope="module")
def app(postgres: PrivateServer, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_test_app(postgres.url, tmp_path_factory.mktemp("instance"))


@pytest.fixture
def sqlstates(app: Flask) -> Iterator[list[str]]:
    """The SQLSTATE of every error the database raised to the app during the test."""
    seen: list[str] = []

    def record(context: ExceptionContext) -> None:
        seen.append(str(getattr(context.original_exception, "sqlstate", None)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "handle_error", record)
    yield seen
    event.remove(engine, "handle_error", record)


def two_memberships(engine: Engine) -> tuple[int, int]:
    world = make_world(engine, members=2, points=100)
    first, second = world.membership_ids
    return first, second


def in_threads(app: Flask, works: list[Callable[[], Any]]) -> list[Any]:
    """Run each work in its own thread, app context and unit of work; results or errors."""
    results: list[Any] = [None] * len(works)

    def run(index: int) -> None:
        with app.app_context():
            try:
                results[index] = unit_of_work.run(works[index])
            except Exception as error:
                results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def lock_membership(membership_id: int) -> None:
    db.session.execute(
        select(Membership.id).where(Membership.id == membership_id).with_for_update()
    ).one()


def entries_noted(engine: Engine, note: str) -> int:
    with engine.connect() as connection:
        count: int = (
            connection.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.note == note)
            )
            or 0
        )
    return count


def test_a_deadlock_is_retried_and_each_side_has_one_effect(
    app: Flask, engine: Engine, sqlstates: list[str]
) -> None:
    """Two units of work lock two memberships in opposite orders: PostgreSQL kills one."""
    first, second = two_memberships(engine)
    barrier = threading.Barrier(2)
    attempts = Counter[str]()

    def work(mine: int, other: int, note: str) -> Callable[[], int]:
        def locked_both_ways() -> int:
            attempts[note] += 1
            lock_membership(mine)
            if attempts[note] == 1:
                barrier.wait(10)  # both hold their first row: the second lock closes the cycle
            lock_membership(other)
            return ledger.post(
                membership_id=mine, amount=1, kind=EntryKind.ADJUSTMENT, actor_id=None, note=note
            ).id

        return locked_both_ways

    notes = [f"deadlock-{SEED}-a", f"deadlock-{SEED}-b"]
    results = in_threads(app, [work(first, second, notes[0]), work(second, first, notes[1])])

    assert all(isinstance(r, int) for r in results), results
    assert sqlstates.count("40P01") == 1, sqlstates
    assert sum(attempts.values()) == 3  # one side ran twice
    assert [entries_noted(engine, note) for note in notes] == [1, 1]
    with app.app_context():
        assert unit_of_work.run(find_discrepancies, write=False) == []


def test_a_serialization_failure_is_retried_and_each_side_has_one_effect(
    app: Flask, engine: Engine, sqlstates: list[str]
) -> None:
    """Write skew at SERIALIZABLE: each reads both balances and credits its own."""
    first, second = two_memberships(engine)
    barrier = threading.Barrier(2)
    attempts = Counter[str]()

    def work(mine: int, note: str) -> Callable[[], int]:
        def read_both_write_one() -> int:
            attempts[note] += 1
            db.session.connection(execution_options={"isolation_level": "SERIALIZABLE"})
            db.session.execute(
                select(func.sum(Membership.balance)).where(Membership.id.in_([first, second]))
            ).one()
            if attempts[note] == 1:
                barrier.wait(10)  # both have read what the other is about to change
            return ledger.post(
                membership_id=mine, amount=1, kind=EntryKind.ADJUSTMENT, actor_id=None, note=note
            ).id

        return read_both_write_one

    notes = [f"serializable-{SEED}-a", f"serializable-{SEED}-b"]
    results = in_threads(app, [work(first, notes[0]), work(second, notes[1])])

    assert all(isinstance(r, int) for r in results), results
    assert sqlstates.count("40001") == 1, sqlstates
    assert sum(attempts.values()) == 3
    assert [entries_noted(engine, note) for note in notes] == [1, 1]


def test_retries_of_a_deadlock_are_bounded_and_leave_no_effect(
    app: Flask, engine: Engine, sqlstates: list[str]
) -> None:
    """A unit of work that loses every deadlock gives up after MAX_RETRIES and writes nothing.

    Its partner waits 10 s before checking for deadlocks, the victim 50 ms, so PostgreSQL
    always cancels the victim.
    """
    first, second = two_memberships(engine)
    rounds = unit_of_work.MAX_RETRIES + 1
    barrier = threading.Barrier(2)
    attempts = Counter[str]()
    note = f"bounded-{SEED}"

    def partner() -> None:
        with engine.connect() as connection:
            for _ in range(rounds):
                with connection.begin():
                    connection.execute(text("SET LOCAL deadlock_timeout = '10s'"))
                    connection.execute(
                        text("SELECT id FROM memberships WHERE id = :id FOR UPDATE"),
                        {"id": second},
                    )
                    barrier.wait(10)
                    connection.execute(
                        text("SELECT id FROM memberships WHERE id = :id FOR UPDATE"),
                        {"id": first},
                    )

    def victim() -> None:
        attempts[note] += 1
        db.session.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
        lock_membership(first)
        barrier.wait(10)
        deadline = time.monotonic() + 10
        while not db.session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
            assert time.monotonic() < deadline, "the partner never waited for the victim"
            time.sleep(0.01)
        lock_membership(second)
        ledger.post(
            membership_id=first, amount=1, kind=EntryKind.ADJUSTMENT, actor_id=None, note=note
        )

    partner_thread = threading.Thread(target=partner)
    partner_thread.start()
    try:
        (outcome,) = in_threads(app, [victim])
    finally:
        partner_thread.join(timeout=60)

    assert isinstance(outcome, DBAPIError), outcome
    assert getattr(outcome.orig, "sqlstate", None) == "40P01"
    assert attempts[note] == rounds
    assert sqlstates.count("40P01") == rounds
    assert entries_noted(engine, note) == 0
