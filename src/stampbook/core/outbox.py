"""The outbox: occurrences recorded in the transaction that caused them, handed to their
consumers after commit, each consumer's handling recorded once.

- ``record(type, shop_id=..., **payload)`` checks the payload against the type's schema
  (``core.occurrences.CATALOGUE``; a mismatch is a programming error, raised at once), inserts
  the row in the caller's transaction (services never commit) and, after commit, enqueues
  ``dispatch`` for it. A rolled-back request records nothing and enqueues nothing.
- ``dispatch(occurrence_id)`` hands the occurrence to every consumer that wants its type,
  each in a savepoint that inserts the consumer's handling row (unique per occurrence and
  consumer, ``INSERT ... ON CONFLICT DO NOTHING``) and does its work together: a repeated or
  concurrent dispatch finds the row and skips, so each consumer has one effect. A consumer
  that fails is logged and rolled back alone; the others go on, and ``dispatched_at`` stays
  empty so the sweep tries it again.
- ``sweep`` (every minute) dispatches, in bounded batches, what was left undispatched for
  more than a minute: a crash between commit and enqueue, a consumer that failed.

Consumers are registered in one place, ``stampbook.consumers.CONSUMERS``, which the app and
the worker hand over with ``use``. An occurrence no consumer wants is recorded already
dispatched, and no job runs for it.

One app config value turns recording off, for the benchmark only: ``OUTBOX_RECORDING`` false
(the bench's ``stampbook.bench.without_outbox`` app sets it; no setting, environment variable
or request reaches it) makes ``record`` do nothing, so ``make bench`` can measure what the
outbox costs a stamp.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from huey import crontab
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Insert,
    String,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core import clock
from stampbook.core.db import Base, IdMixin, IdType, db, execute_core
from stampbook.core.jobs import job, periodic
from stampbook.core.occurrences import CATALOGUE, OccurrenceType
from stampbook.core.unit_of_work import after_commit

logger = logging.getLogger(__name__)

# An occurrence still undispatched this long after it happened lost its job (or a consumer
# failed on it): the sweep takes it up, at most SWEEP_BATCH at a time.
SWEEP_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 200


class Occurrence(IdMixin, Base):
    __tablename__ = "occurrences"
    __table_args__ = (
        # The sweep: undispatched occurrences, oldest first.
        Index("ix_occurrences_sweep", "dispatched_at", "occurred_at"),
    )

    type: Mapped[str] = mapped_column(String(40))
    # Not a foreign key: the log outlives what it speaks of (a deleted shop).
    shop_id: Mapped[int | None] = mapped_column(IdType)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]


class OccurrenceHandling(IdMixin, Base):
    """One consumer has handled one occurrence; unique, so a repeated dispatch skips it."""

    __tablename__ = "occurrence_handlings"
    __table_args__ = (UniqueConstraint("occurrence_id", "consumer"),)

    occurrence_id: Mapped[int] = mapped_column(IdType, ForeignKey("occurrences.id"))
    consumer: Mapped[str] = mapped_column(String(60))
    handled_at: Mapped[datetime]


@dataclass(frozen=True)
class Consumer:
    """What wants occurrences: a unique, stable ``name`` (its handling rows carry it), the
    ``types`` it wants, and ``handle``, called once per occurrence inside the dispatch's
    transaction (it writes through the session and never commits)."""

    name: str
    types: frozenset[OccurrenceType]
    handle: Callable[[Occurrence], None]

    def __init__(
        self, name: str, types: Iterable[OccurrenceType], handle: Callable[[Occurrence], None]
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "types", frozenset(OccurrenceType(t) for t in types))
        object.__setattr__(self, "handle", handle)


_consumers: list[Consumer] = []


def use(consumers: Iterable[Consumer]) -> tuple[Consumer, ...]:
    """Register the consumers (``stampbook.consumers.CONSUMERS``); returns those before."""
    chosen = list(consumers)
    names = [c.name for c in chosen]
    if len(set(names)) != len(names):
        raise ValueError(f"consumer names must be unique: {names}")
    before = tuple(_consumers)
    _consumers[:] = chosen
    return before


def registered() -> tuple[Consumer, ...]:
    return tuple(_consumers)


def interested(consumers: Iterable[Consumer], type: str) -> list[Consumer]:
    """The consumers that want an occurrence of ``type``, in their registered order."""
    return [c for c in consumers if type in c.types]


# --- Recording ----------------------------------------------------------------------------

_INSERT = (
    insert(Occurrence)
    .values(
        type=bindparam("type"),
        shop_id=bindparam("shop_id"),
        payload=bindparam("payload"),
        occurred_at=bindparam("occurred_at"),
        dispatched_at=bindparam("dispatched_at"),
    )
    .returning(Occurrence.id)
)


def record(
    type: OccurrenceType, *, shop_id: int | None, now: datetime | None = None, **payload: Any
) -> int | None:
    """Record an occurrence in the current transaction; it is dispatched after commit.
    Returns its id (None on the benchmark's app without the outbox). A payload its schema
    refuses raises ``pydantic.ValidationError``."""
    if not current_app.config.get("OUTBOX_RECORDING", True):
        return None
    data = CATALOGUE[type].model_validate(payload).model_dump(mode="json")
    now = now or clock.now()
    wanted = bool(interested(_consumers, type))
    occurrence_id: int = execute_core(
        _INSERT,
        {
            "type": str(type),
            "shop_id": shop_id,
            "payload": data,
            "occurred_at": now,
            "dispatched_at": None if wanted else now,
        },
    ).scalar_one()
    if wanted:
        after_commit(lambda: dispatch.enqueue(occurrence_id))
    return occurrence_id


_INSERT_MANY = insert(Occurrence).returning(Occurrence.id, sort_by_parameter_order=True)


def record_many(
    type: OccurrenceType,
    *,
    shop_id: int | None,
    payloads: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> list[int]:
    """Record several occurrences of one type at once (one statement), each as ``record``
    would (a batch of rows of a customer import: every new customer announced). Returns
    their ids, in order (none on the benchmark's app without the outbox)."""
    if not payloads or not current_app.config.get("OUTBOX_RECORDING", True):
        return []
    schema = CATALOGUE[type]
    now = now or clock.now()
    wanted = bool(interested(_consumers, type))
    rows = [
        {
            "type": str(type),
            "shop_id": shop_id,
            "payload": schema.model_validate(payload).model_dump(mode="json"),
            "occurred_at": now,
            "dispatched_at": None if wanted else now,
        }
        for payload in payloads
    ]
    ids: list[int] = list(execute_core(_INSERT_MANY, rows).scalars())
    if wanted:

        def queue() -> None:
            for occurrence_id in ids:
                dispatch.enqueue(occurrence_id)

        after_commit(queue)
    return ids


# --- Dispatching --------------------------------------------------------------------------


def _claim_statement(dialect: Any) -> Insert:
    claim: Insert = (
        dialect.insert(OccurrenceHandling)
        .values(
            occurrence_id=bindparam("occurrence_id"),
            consumer=bindparam("consumer"),
            handled_at=bindparam("handled_at"),
        )
        .on_conflict_do_nothing(index_elements=["occurrence_id", "consumer"])
        .returning(OccurrenceHandling.id)
    )
    return claim


_CLAIM = {"postgresql": _claim_statement(postgresql), "sqlite": _claim_statement(sqlite)}
_DONE = (
    update(Occurrence)
    .where(Occurrence.id == bindparam("occurrence_id"), Occurrence.dispatched_at.is_(None))
    .values(dispatched_at=bindparam("now"))
)


def _hand_over(occurrence: Occurrence, consumer: Consumer, now: datetime) -> bool:
    """One consumer's handling of one occurrence in a savepoint: the handling row and the
    consumer's work are kept together or not at all. True when it is (or was) handled."""
    session = db.session
    claim = _CLAIM[session.get_bind().dialect.name]
    try:
        with session.begin_nested():
            params = {"occurrence_id": occurrence.id, "consumer": consumer.name, "handled_at": now}
            claimed = execute_core(claim, params).first()
            if claimed is None:
                return True  # handled before (a repeated dispatch, the sweep racing the job)
            consumer.handle(occurrence)
            session.flush()
    except Exception:
        logger.exception(
            "consumer %s failed on occurrence %s (%s); the sweep will try again",
            consumer.name,
            occurrence.id,
            occurrence.type,
        )
        return False
    return True


def dispatch_now(occurrence_id: int, *, now: datetime | None = None) -> bool:
    """Hand one occurrence to each interested consumer, in the current transaction. True when
    every one of them has handled it (then ``dispatched_at`` is set)."""
    now = now or clock.now()
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.dispatched_at is not None:
        return occurrence is not None
    results = [
        _hand_over(occurrence, consumer, now)
        for consumer in interested(_consumers, occurrence.type)
    ]
    if all(results):
        execute_core(_DONE, {"occurrence_id": occurrence_id, "now": now})
        db.session.expire(occurrence, ["dispatched_at"])
        return True
    return False


@job
def dispatch(occurrence_id: int) -> bool:
    """The job enqueued after commit for each occurrence some consumer wants."""
    return dispatch_now(occurrence_id)


_LEFT_OVER = (
    select(Occurrence.id)
    .where(Occurrence.dispatched_at.is_(None), Occurrence.occurred_at < bindparam("cutoff"))
    .order_by(Occurrence.occurred_at, Occurrence.id)
    .limit(bindparam("batch"))
)


def sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Dispatch up to ``batch`` occurrences left undispatched for more than SWEEP_AFTER;
    returns how many are now dispatched."""
    now = now or clock.now()
    ids = execute_core(_LEFT_OVER, {"cutoff": now - SWEEP_AFTER, "batch": batch}).scalars().all()
    return sum(dispatch_now(occurrence_id, now=now) for occurrence_id in ids)


@periodic(crontab())
def sweep_undispatched_occurrences() -> int:
    """Every minute: what lost its job after commit, or a consumer that failed, goes again."""
    return sweep()
