"""The outbox: recorded in the caller's transaction, dispatched after commit to each consumer
once, failures isolated and swept up later (tests run jobs inline, JOBS_IMMEDIATE=1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook import consumers as registry
from stampbook.core import clock, outbox, unit_of_work
from stampbook.core.db import db
from stampbook.core.occurrences import CATALOGUE, OccurrenceType
from stampbook.core.outbox import Consumer, Occurrence, OccurrenceHandling
from tests.concurrency import run_parallel

EARNED = OccurrenceType.POINTS_EARNED
JOINED = OccurrenceType.MEMBER_JOINED
PAYLOAD = {"message_id": 1, "sender_id": 2, "recipient_id": 3}

calls: list[tuple[str, int]] = []
_lock = threading.Lock()


def _note(name: str) -> Consumer:
    def handle(occurrence: Occurrence) -> None:
        with _lock:
            calls.append((name, occurrence.id))

    return Consumer(name, {OccurrenceType.MESSAGE_RECEIVED}, handle)


class Flaky:
    """A consumer that fails until told to work."""

    def __init__(self) -> None:
        self.broken = True

    def __call__(self, occurrence: Occurrence) -> None:
        if self.broken:
            raise RuntimeError("consumer down")
        calls.append(("flaky", occurrence.id))


@pytest.fixture
def use_consumers() -> Iterator[list[Consumer]]:
    """Register test consumers (append to the list); the app's own come back afterwards."""
    chosen: list[Consumer] = []
    calls.clear()
    before = outbox.registered()

    class Live(list[Consumer]):
        def append(self, consumer: Consumer) -> None:
            super().append(consumer)
            outbox.use(self)

    live = Live(chosen)
    outbox.use(live)
    yield live
    outbox.use(before)


def _record(**payload: int) -> int:
    return unit_of_work.run(
        lambda: outbox.record(OccurrenceType.MESSAGE_RECEIVED, shop_id=None, **(payload or PAYLOAD))
    )


def _row(session: Session, occurrence_id: int) -> Occurrence:
    row = session.get(Occurrence, occurrence_id, populate_existing=True)
    assert row is not None
    return row


def _handlings(session: Session, occurrence_id: int) -> int:
    return session.scalar(
        select(func.count()).where(OccurrenceHandling.occurrence_id == occurrence_id)
    )


# --- Pure parts -----------------------------------------------------------------------------


def test_every_type_has_a_payload_schema() -> None:
    assert set(CATALOGUE) == set(OccurrenceType)


def test_which_consumers_want_a_type() -> None:
    earned = Consumer("a", {EARNED}, lambda o: None)
    both = Consumer("b", {EARNED, JOINED}, lambda o: None)
    assert outbox.interested([earned, both], EARNED) == [earned, both]
    assert outbox.interested([earned, both], JOINED) == [both]
    assert outbox.interested([earned, both], OccurrenceType.BUDDY_ACCEPTED) == []


def test_consumer_names_are_unique_and_types_from_the_catalogue() -> None:
    before = outbox.registered()
    with pytest.raises(ValueError, match="unique"):
        outbox.use([Consumer("a", {EARNED}, print), Consumer("a", {JOINED}, print)])
    assert outbox.registered() == before
    with pytest.raises(ValueError, match="stolen"):
        Consumer("a", {"points.stolen"}, print)  # type: ignore[arg-type]


def test_the_app_hands_over_the_one_list(app: Flask) -> None:
    assert outbox.registered() == registry.CONSUMERS


# --- Recording ------------------------------------------------------------------------------


def test_a_payload_that_does_not_match_its_schema_is_refused(app_context: None) -> None:
    with pytest.raises(ValidationError):
        outbox.record(OccurrenceType.MESSAGE_RECEIVED, shop_id=None, message_id=1)
    with pytest.raises(ValidationError):
        outbox.record(OccurrenceType.MESSAGE_RECEIVED, shop_id=None, **PAYLOAD, extra=1)
    with pytest.raises(ValidationError):
        outbox.record(
            OccurrenceType.MESSAGE_RECEIVED, shop_id=None, **{**PAYLOAD, "sender_id": "x"}
        )


def test_dispatch_after_commit_reaches_a_consumer_once(
    app_context: None, session: Session, use_consumers: list[Consumer]
) -> None:
    use_consumers.append(_note("one"))
    occurrence_id = _record()

    assert calls == [("one", occurrence_id)]
    row = _row(session, occurrence_id)
    assert row.type == "message.received"
    assert row.payload == PAYLOAD
    assert row.dispatched_at is not None
    assert _handlings(session, occurrence_id) == 1


def test_a_rolled_back_transaction_records_and_dispatches_nothing(
    app_context: None, session: Session, use_consumers: list[Consumer]
) -> None:
    use_consumers.append(_note("one"))
    before = session.scalar(select(func.count()).select_from(Occurrence))

    def fail() -> None:
        outbox.record(OccurrenceType.MESSAGE_RECEIVED, shop_id=None, **PAYLOAD)
        raise LookupError("the request fails")

    with pytest.raises(LookupError):
        unit_of_work.run(fail)
    assert session.scalar(select(func.count()).select_from(Occurrence)) == before
    assert calls == []


def test_an_occurrence_nobody_wants_is_recorded_dispatched_without_a_job(
    app_context: None, session: Session, use_consumers: list[Consumer], monkeypatch
) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr(outbox.dispatch, "enqueue", enqueued.append)
    occurrence_id = _record()
    assert enqueued == []
    assert _row(session, occurrence_id).dispatched_at is not None


def test_the_benchmarks_app_without_the_outbox_records_nothing(
    app: Flask, app_context: None, session: Session, use_consumers: list[Consumer], monkeypatch
) -> None:
    """``stampbook.bench.without_outbox`` sets OUTBOX_RECORDING false: no row, no job."""
    use_consumers.append(_note("one"))
    monkeypatch.setitem(app.config, "OUTBOX_RECORDING", False)
    before = session.scalar(select(func.count()).select_from(Occurrence))
    assert _record() is None
    assert session.scalar(select(func.count()).select_from(Occurrence)) == before
    assert calls == []


def test_dispatching_twice_has_one_effect_per_consumer(
    app_context: None, session: Session, use_consumers: list[Consumer]
) -> None:
    use_consumers.append(_note("one"))
    use_consumers.append(_note("two"))
    occurrence_id = _record()
    # A retried job, the sweep racing it: even with dispatched_at cleared, nothing repeats.
    session.execute(
        Occurrence.__table__.update()  # type: ignore[attr-defined]
        .where(Occurrence.id == occurrence_id)
        .values(dispatched_at=None)
    )
    unit_of_work.run(lambda: outbox.dispatch_now(occurrence_id))
    unit_of_work.run(lambda: outbox.dispatch_now(occurrence_id))

    assert sorted(calls) == [("one", occurrence_id), ("two", occurrence_id)]
    assert _handlings(session, occurrence_id) == 2
    assert _row(session, occurrence_id).dispatched_at is not None


def test_a_failing_consumer_blocks_no_other_and_the_sweep_retries_it(
    app_context: None, session: Session, use_consumers: list[Consumer]
) -> None:
    flaky = Flaky()
    use_consumers.append(Consumer("flaky", {OccurrenceType.MESSAGE_RECEIVED}, flaky))
    use_consumers.append(_note("steady"))

    occurrence_id = _record()  # the inline dispatch fails for one consumer: no error here

    assert calls == [("steady", occurrence_id)]
    assert _row(session, occurrence_id).dispatched_at is None
    assert _handlings(session, occurrence_id) == 1

    later = clock.now() + outbox.SWEEP_AFTER + timedelta(seconds=1)
    assert unit_of_work.run(lambda: outbox.sweep(now=later)) == 0  # still down
    flaky.broken = False
    assert unit_of_work.run(lambda: outbox.sweep(now=later)) == 1

    assert calls == [("steady", occurrence_id), ("flaky", occurrence_id)]
    assert _row(session, occurrence_id).dispatched_at is not None
    assert _handlings(session, occurrence_id) == 2


def test_a_failing_consumer_leaves_none_of_its_writes(
    app_context: None, session: Session, use_consumers: list[Consumer]
) -> None:
    """The handling row and the consumer's work share a savepoint: all or nothing."""

    def write_then_fail(occurrence: Occurrence) -> None:
        outbox.record(JOINED, shop_id=None, membership_id=1, program_id=2, user_id=3, role="x")
        raise RuntimeError("halfway")

    use_consumers.append(Consumer("halfway", {OccurrenceType.MESSAGE_RECEIVED}, write_then_fail))
    occurrence_id = _record()

    assert session.scalar(select(func.max(Occurrence.id))) == occurrence_id
    assert _handlings(session, occurrence_id) == 0


def test_the_sweep_picks_up_an_occurrence_whose_enqueue_was_lost(
    app_context: None, session: Session, use_consumers: list[Consumer], monkeypatch
) -> None:
    use_consumers.append(_note("one"))
    monkeypatch.setattr(outbox.dispatch, "enqueue", lambda *_: None)  # a crash after commit
    first, second, third = _record(), _record(), _record()
    assert calls == []

    soon = clock.now() + timedelta(seconds=30)
    assert unit_of_work.run(lambda: outbox.sweep(now=soon)) == 0  # its job may still come

    later = clock.now() + outbox.SWEEP_AFTER + timedelta(seconds=1)
    assert unit_of_work.run(lambda: outbox.sweep(now=later, batch=2)) == 2  # bounded
    assert unit_of_work.run(lambda: outbox.sweep(now=later, batch=2)) == 1
    assert unit_of_work.run(lambda: outbox.sweep(now=later, batch=2)) == 0
    assert calls == [("one", first), ("one", second), ("one", third)]


def test_the_periodic_sweep_runs_in_a_unit_of_work(
    app_context: None, session: Session, use_consumers: list[Consumer]
) -> None:
    assert outbox.sweep_undispatched_occurrences() >= 0


# --- Real parallel dispatchers --------------------------------------------------------------


@pytest.mark.concurrency
def test_parallel_dispatches_have_one_effect_per_consumer(
    committed: Flask, use_consumers: list[Consumer], monkeypatch
) -> None:
    """Eight dispatchers at once (truly parallel on PostgreSQL; SQLite serialises writers):
    each consumer's handling row is claimed once, so each consumer runs once."""
    use_consumers.append(_note("one"))
    use_consumers.append(_note("two"))
    monkeypatch.setattr(outbox.dispatch, "enqueue", lambda *_: None)
    with committed.app_context():
        occurrence_id = _record()

    def dispatch(_: int) -> bool:
        with committed.app_context():
            return unit_of_work.run(lambda: outbox.dispatch_now(occurrence_id))

    outcomes = run_parallel(8, dispatch)

    assert all(outcomes)
    assert sorted(calls) == [("one", occurrence_id), ("two", occurrence_id)]
    with committed.app_context():
        assert _handlings(db.session, occurrence_id) == 2
