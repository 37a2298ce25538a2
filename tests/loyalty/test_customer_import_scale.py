"""A 100,000-row CSV imports through its job a batch at a time, each batch's progress
committed, in memory that stays flat: tracemalloc watches the job read the whole stored file
(in a fraction of its size: a piece at a time), then the job's first batches (a job that
read the whole file, or held every row, would show it there) and its last ones (what the job
kept from batch to batch would show as growth), and neither comes near what the file takes
as Python rows.

tracemalloc slows every allocation some five times, so it watches those two stretches,
not the whole run, to keep the test near 30 s on SQLite. The outbox's consumers are left
out (occurrences are still recorded): dispatching 100,000 ``customer.added`` inline, as
``JOBS_IMMEDIATE`` would, is the outbox's test, not this one's."""

from __future__ import annotations

import io
import sys
import tracemalloc
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core import outbox
from stampbook.core.outbox import Occurrence
from stampbook.loyalty import importing
from stampbook.loyalty.import_rules import HEADER
from stampbook.loyalty.models import (
    CustomerImport,
    CustomerImportChunk,
    CustomerProfile,
    ImportFormat,
)
from tests.factories.shops import make_team

ROWS = 100_000
# The file's last rows name earlier rows' customers again (their last name): found, loaded
# and let go, batch after batch.
AGAIN = 5_000
NEW = ROWS - AGAIN
POINTS_EVERY = 20
WATCHED_BATCHES = 3

pytestmark = pytest.mark.big


def _lines() -> Iterator[str]:
    yield HEADER
    for n in range(1, NEW + 1):
        points = str(n % 100) if n % POINTS_EVERY == 0 else ""
        yield f"row-{n},customer{n}@example.com,ext-{n},First{n},Last{n},{points},add"
    for n in range(1, AGAIN + 1):
        yield f"again-{n},,ext-{n},,Again,,"


def _as_python_rows(lines: list[str]) -> int:
    """What these rows take in memory as lists of cells (the lists and their strings)."""
    rows = [line.split(",") for line in lines]
    return sum(sys.getsizeof(row) + sum(sys.getsizeof(cell) for cell in row) for row in rows)


@pytest.fixture
def no_consumers() -> Iterator[None]:
    before = outbox.use([])
    yield
    outbox.use(before)


def test_a_100000_row_csv_imports_batch_by_batch_in_flat_memory(
    session: Session, app_context: None, no_consumers: None
) -> None:
    team = make_team(session)
    lines = list(_lines())
    as_rows = _as_python_rows(lines[1:1001]) * (ROWS // 1000)
    data = io.BytesIO(("\n".join(lines) + "\n").encode())
    file_size = len(data.getvalue())
    del lines
    started = importing.start(
        team.manager, team.program.id, data, file_name="big.csv", format=ImportFormat.CSV
    )
    import_id, program_id = started.id, team.program.id
    session.info.pop("after_commit", None)  # the test runs the job itself
    session.commit()
    del data
    assert started.rows_total == ROWS

    # The job reads the stored file a piece at a time: all of it, in a fraction of its size.
    tracemalloc.start()
    try:
        columns, records = importing.stored_rows(import_id)
        assert sum(1 for _ in records) == ROWS and "identifier" in columns
        _current, reading = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reading < file_size / 5, (reading, file_size)
    session.rollback()

    progress: list[int] = []
    watched: dict[str, tuple[int, int]] = {}
    last_watch = ROWS - WATCHED_BATCHES * importing.BATCH_ROWS

    def after_batch(done: int) -> None:
        progress.append(done)
        if len(progress) == WATCHED_BATCHES:
            watched["first"] = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        elif done == last_watch:
            tracemalloc.start()

    tracemalloc.start()
    try:
        worked = importing.work_through(import_id, on_batch=after_batch)
        watched["last"] = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert worked == ROWS
    assert progress == list(range(importing.BATCH_ROWS, ROWS + 1, importing.BATCH_ROWS))
    done = session.get(CustomerImport, import_id, populate_existing=True)
    assert done is not None
    assert (done.status, done.rows_done, done.rows_applied, done.rows_failed) == (
        "done",
        ROWS,
        ROWS,
        0,
    )
    assert done.customers_added == NEW
    assert done.points_credited == sum(n % 100 for n in range(POINTS_EVERY, NEW + 1, POINTS_EVERY))
    chunks = select(func.count()).where(CustomerImportChunk.import_id == import_id)
    assert session.scalar(chunks) == 0
    again = select(func.count()).where(CustomerProfile.last_name == "Again")
    assert session.scalar(again) == AGAIN
    added = select(func.count()).where(Occurrence.type == "customer.added")
    assert session.scalar(added) == NEW
    assert program_id == team.program.id

    _first_current, first_peak = watched["first"]
    last_current, last_peak = watched["last"]
    # Flat: a few batches' worth at most, whatever the file's length...
    assert first_peak < as_rows / 5, (first_peak, as_rows)
    assert last_peak < as_rows / 5, (last_peak, as_rows)
    assert last_peak < 2 * first_peak + 1_000_000, (first_peak, last_peak)
    # ...and nothing kept from the batches watched last once the job is over.
    assert last_current < 1_000_000, last_current
