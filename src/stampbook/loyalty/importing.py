"""Customer imports (DESIGN 8.4): a CSV file (or JSON rows, written as one) stored for a job,
which streams it a batch of rows at a time, each batch committed with the import's progress.

- **Starting** (``start``, ``import_rows``): the file is read once as it is stored, in pieces
  (``customer_import_chunks``), never whole in memory: its header must name the columns
  (``import_rules``), its text must be UTF-8 CSV, and its rows are counted. A refused file
  is 422 ``import_file_invalid`` and nothing is kept. The job is queued after commit.
- **The job** (``run_import``, ``work_through``): claims the import (a conditional update:
  queued, or running with no heartbeat for ``STALE``), reads the stored pieces through a
  CSV reader, skips the rows done before (a job taking over a lost one), and applies
  ``BATCH_ROWS`` rows per transaction; each batch moves the heartbeat and the counts with a
  conditional update on ``rows_done``, so two jobs never apply one batch. Then the file is
  forgotten and the import is done.
- **A row**: checked (``import_rules``: a bad row fails with its reason, the rest go on);
  skipped if its identifier was applied before in the program (``customer_import_rows``,
  unique: a file uploaded twice changes nothing); its customer found by external id, then
  email (``customers``: locked, in id order), or made as an unclaimed customer; its name
  kept (``customer_profiles``); its points credited (``add``) or its balance moved to them
  (``set``), as ledger entries of kind ``adjustment`` whose cause is the applied row
  (``import``, its id).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.core import clock, unit_of_work
from stampbook.core.db import db, execute_core, let_go
from stampbook.core.errors import AppError, Conflict
from stampbook.core.folding import fold
from stampbook.core.jobs import job
from stampbook.core.unit_of_work import RetryTransaction, after_commit
from stampbook.ledger import book
from stampbook.ledger.book import MAX_AMOUNT, MAX_BALANCE
from stampbook.ledger.models import EntryKind
from stampbook.loyalty import customers
from stampbook.loyalty.import_rules import (
    COLUMNS,
    HeaderProblem,
    ImportRow,
    Mode,
    Reason,
    RowFailure,
    change,
    parse_row,
    read_header,
)
from stampbook.loyalty.import_schemas import CustomerImportIn
from stampbook.loyalty.models import (
    CustomerImport,
    CustomerImportChunk,
    CustomerImportFailure,
    CustomerImportRow,
    CustomerProfile,
    ImportFormat,
    ImportStatus,
)
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.queries import load_program

logger = logging.getLogger(__name__)

# A stored piece of a file, and the rows applied per transaction.
CHUNK_BYTES = 256 * 1024
BATCH_ROWS = 500
# A running import whose heartbeat is older than this lost its job: the sweep queues another.
STALE = timedelta(minutes=2)
SWEEP_BATCH = 50
# The ledger's cause of an import's entries: the applied row (``customer_import_rows``).
IMPORT_CAUSE = "import"
ENCODING = "utf-8-sig"  # UTF-8, with or without the byte order mark spreadsheets write


class ImportFileInvalid(AppError):
    """A file an import cannot read: said by ``reason`` (``core.wording``)."""

    status, code, title = 422, "import_file_invalid", "The file cannot be imported"


# --- Starting an import --------------------------------------------------------------------


def import_rows(actor: User, program_id: int, body: CustomerImportIn) -> CustomerImport:
    """An import of the API's body: its CSV text, or its rows written as one."""
    if body.csv is not None:
        data, kind, name = body.csv.encode(), ImportFormat.CSV, "import.csv"
    else:
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(body.cells())
        data, kind, name = text.getvalue().encode(), ImportFormat.JSON, "import.json"
    return start(actor, program_id, io.BytesIO(data), file_name=body.file_name or name, format=kind)


def start(
    actor: User, program_id: int, source: IO[bytes], *, file_name: str, format: ImportFormat
) -> CustomerImport:
    """Store the file (``source``, read once, in pieces) for the import's job, queued after
    commit; 422 ``import_file_invalid`` for a file it cannot read."""
    program = load_program(actor, program_id, LoyaltyAction.CUSTOMERS_IMPORT)
    if program.is_archived:
        raise Conflict(code="archived")
    now = clock.now()
    imported = CustomerImport(
        program_id=program.id,
        created_by=actor.id,
        file_name=file_name.strip()[:255] or "import.csv",
        format=format,
        status=ImportStatus.QUEUED,
        created_at=now,
        heartbeat_at=now,
    )
    db.session.add(imported)
    db.session.flush()
    import_id = imported.id
    if source.seekable():
        source.seek(0)  # a transaction run again reads the file again
    imported.rows_total = _count_rows(
        _stored_while_read(import_id, source), blank_rows=format is ImportFormat.JSON
    )
    after_commit(lambda: run_import.enqueue(import_id))
    return imported


_STORE_CHUNK = insert(CustomerImportChunk).values(
    import_id=bindparam("import_id"), seq=bindparam("seq"), data=bindparam("data")
)


def _stored_while_read(import_id: int, source: IO[bytes]) -> Iterator[bytes]:
    """The file's pieces, each stored as it is read."""
    for seq in itertools.count():
        piece = source.read(CHUNK_BYTES)
        if not piece:
            return
        execute_core(_STORE_CHUNK, {"import_id": import_id, "seq": seq, "data": piece})
        yield piece


def _count_rows(pieces: Iterable[bytes], *, blank_rows: bool = False) -> int:
    """The file's rows after its header, once the header is checked; a file's blank rows
    aside, a JSON body's rows all (an empty one is a row that fails)."""
    reader = csv.reader(_text(pieces))
    try:
        header = next((cells for cells in reader if _filled(cells)), None)
        if header is None:
            raise ImportFileInvalid(reason="empty")
        try:
            read_header(header)
        except HeaderProblem as problem:
            if problem.unknown:
                raise ImportFileInvalid(
                    reason="header_unknown",
                    columns=", ".join(problem.unknown),
                    known=", ".join(COLUMNS),
                ) from None
            raise ImportFileInvalid(
                reason="header_missing", columns=", ".join(problem.missing)
            ) from None
        total = sum(1 for cells in reader if blank_rows or _filled(cells))
    except UnicodeDecodeError:
        raise ImportFileInvalid(reason="encoding") from None
    except csv.Error:
        raise ImportFileInvalid(reason="format", line=reader.line_num) from None
    if total == 0:
        raise ImportFileInvalid(reason="empty")
    return total


def _filled(cells: Sequence[str]) -> bool:
    """A row with something in it (a blank line, or one of commas only, is no row)."""
    return any(cell.strip() for cell in cells)


class _Pieces(io.RawIOBase):
    """A stream of the pieces an iterator gives, read without joining them."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = iter(pieces)
        self._piece = memoryview(b"")
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._offset >= len(self._piece):
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._piece, self._offset = memoryview(piece), 0
        size = min(len(buffer), len(self._piece) - self._offset)
        buffer[:size] = self._piece[self._offset : self._offset + size]
        self._offset += size
        return size


def _text(pieces: Iterable[bytes]) -> io.TextIOWrapper:
    """The pieces as CSV text (``newline=""``, as the csv module reads a file)."""
    return io.TextIOWrapper(
        io.BufferedReader(_Pieces(pieces), CHUNK_BYTES), encoding=ENCODING, newline=""
    )


# --- The job --------------------------------------------------------------------------------


@job
def run_import(import_id: int) -> int:
    """Work through a customer import (queued after the upload commits; again by the sweep
    for one whose job was lost); answers how many rows this run worked through."""
    return work_through(import_id)


class _Lost(Exception):
    """Another job has this import now (or it stopped): leave it."""


def work_through(
    import_id: int,
    *,
    batch: int = BATCH_ROWS,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Apply the import's rows, one committed batch at a time (``on_batch`` is told the rows
    done after each), then forget its file; answers how many rows this run worked through."""
    claimed = unit_of_work.run(lambda: _claim(import_id, clock.now()))
    if claimed is None:
        return 0
    done = first = claimed[0]
    try:
        columns, records = stored_rows(import_id, blank_rows=claimed[1] == ImportFormat.JSON)
        for _ in itertools.islice(records, done):
            pass  # worked through by a job before this one
        while taken := list(itertools.islice(records, batch)):
            done = unit_of_work.run(
                functools.partial(_apply_batch, import_id, columns, taken, done)
            )
            let_go(db.session)  # the batch's customers: memory stays flat however long the file
            if on_batch is not None:
                on_batch(done)
        unit_of_work.run(lambda: _end(import_id, ImportStatus.DONE, None, clock.now()))
    except _Lost:
        pass
    except Exception:
        logger.exception("customer import %s stopped", import_id)
        unit_of_work.run(
            lambda: _end(import_id, ImportStatus.FAILED, "internal_error", clock.now())
        )
    return done - first


_CLAIM = (
    update(CustomerImport)
    .where(
        CustomerImport.id == bindparam("import_id"),
        or_(
            CustomerImport.status == ImportStatus.QUEUED,
            and_(
                CustomerImport.status == ImportStatus.RUNNING,
                CustomerImport.heartbeat_at < bindparam("stale"),
            ),
        ),
    )
    .values(
        status=ImportStatus.RUNNING,
        started_at=func.coalesce(CustomerImport.started_at, bindparam("now")),
        heartbeat_at=bindparam("now"),
    )
    .returning(CustomerImport.rows_done, CustomerImport.format)
)


def _claim(import_id: int, now: datetime) -> tuple[int, str] | None:
    """The import is this job's now: the rows done before it and its format, or None
    (another job has it, or it is over)."""
    claimed = execute_core(
        _CLAIM, {"import_id": import_id, "now": now, "stale": now - STALE}
    ).one_or_none()
    return None if claimed is None else (claimed[0], claimed[1])


_CHUNK = select(CustomerImportChunk.data).where(
    CustomerImportChunk.import_id == bindparam("import_id"),
    CustomerImportChunk.seq == bindparam("seq"),
)


def _stored(import_id: int) -> Iterator[bytes]:
    """The import's file, a piece at a time (each read when the reader needs it)."""
    for seq in itertools.count():
        piece = execute_core(_CHUNK, {"import_id": import_id, "seq": seq}).scalar_one_or_none()
        if piece is None:
            return
        yield piece


def stored_rows(
    import_id: int, *, blank_rows: bool = False
) -> tuple[tuple[str, ...], Iterator[tuple[int, list[str]]]]:
    """The stored file's columns, and its rows numbered from 1 (a file's blank ones left
    out; a JSON body's kept, as ``_count_rows`` counts them)."""
    reader = csv.reader(_text(_stored(import_id)))
    columns = read_header(next(cells for cells in reader if _filled(cells)))
    rows = (cells for cells in reader if blank_rows or _filled(cells))
    return columns, zip(itertools.count(1), rows, strict=False)


_BEAT = (
    update(CustomerImport)
    .where(
        CustomerImport.id == bindparam("import_id"),
        CustomerImport.status == ImportStatus.RUNNING,
        CustomerImport.rows_done == bindparam("done"),
    )
    .values(heartbeat_at=bindparam("now"))
    .returning(CustomerImport.program_id, CustomerImport.created_by)
)
_PROGRESS = (
    update(CustomerImport)
    .where(CustomerImport.id == bindparam("import_id"))
    .values(
        rows_done=CustomerImport.rows_done + bindparam("rows"),
        rows_applied=CustomerImport.rows_applied + bindparam("applied"),
        rows_skipped=CustomerImport.rows_skipped + bindparam("skipped"),
        rows_failed=CustomerImport.rows_failed + bindparam("failed"),
        customers_added=CustomerImport.customers_added + bindparam("added"),
        points_credited=CustomerImport.points_credited + bindparam("credited"),
        points_debited=CustomerImport.points_debited + bindparam("debited"),
    )
)
_FAILURE = insert(CustomerImportFailure)


def _apply_batch(
    import_id: int, columns: Sequence[str], taken: Sequence[tuple[int, list[str]]], done: int
) -> int:
    """One batch of rows and the import's progress, in one transaction (the unit of work's:
    run again whole after a serialization failure or a race on a new customer)."""
    now = clock.now()
    mine = execute_core(_BEAT, {"import_id": import_id, "done": done, "now": now}).one_or_none()
    if mine is None:
        raise _Lost()
    program_id, actor_id = mine
    program = db.session.get(Program, program_id)
    assert program is not None  # a foreign key guarantees it
    parsed = [parse_row(row, cells, columns) for row, cells in taken]
    outcome = apply_rows(
        program,
        [row for row in parsed if isinstance(row, ImportRow)],
        import_id=import_id,
        actor_id=actor_id,
        now=now,
    )
    failures = [row for row in parsed if isinstance(row, RowFailure)] + outcome.failures
    if failures:
        execute_core(
            _FAILURE,
            [
                {"import_id": import_id, "row": f.row, "code": f.code, "identifier": f.identifier}
                for f in sorted(failures, key=lambda failure: failure.row)
            ],
        )
    execute_core(
        _PROGRESS,
        {
            "import_id": import_id,
            "rows": len(taken),
            "applied": outcome.applied,
            "skipped": outcome.skipped,
            "failed": len(failures),
            "added": outcome.customers_added,
            "credited": outcome.credited,
            "debited": outcome.debited,
        },
    )
    return done + len(taken)


def _end(import_id: int, status: ImportStatus, code: str | None, now: datetime) -> None:
    """The import is over (done, or stopped with ``code``): its file is forgotten."""
    execute_core(
        update(CustomerImport)
        .where(CustomerImport.id == import_id)
        .values(status=status, error_code=code, finished_at=now, heartbeat_at=now)
    )
    execute_core(delete(CustomerImportChunk).where(CustomerImportChunk.import_id == import_id))


def sweep(*, now: datetime | None = None) -> int:
    """Queue, after commit, a job for each import whose job was lost (queued or running with
    no heartbeat for ``STALE``); answers how many."""
    stale = (now or clock.now()) - STALE
    ids = list(
        db.session.scalars(
            select(CustomerImport.id)
            .where(
                CustomerImport.status.in_([ImportStatus.QUEUED, ImportStatus.RUNNING]),
                CustomerImport.heartbeat_at < stale,
            )
            .order_by(CustomerImport.id)
            .limit(SWEEP_BATCH)
        )
    )

    def queue() -> None:
        for import_id in ids:
            run_import.enqueue(import_id)

    after_commit(queue)
    return len(ids)


# --- Applying rows --------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a batch of valid rows did."""

    failures: list[RowFailure] = field(default_factory=list)
    applied: int = 0
    skipped: int = 0
    customers_added: int = 0
    credited: int = 0
    debited: int = 0


_APPLIED = select(CustomerImportRow.identifier).where(
    CustomerImportRow.program_id == bindparam("program_id"),
    CustomerImportRow.identifier.in_(bindparam("identifiers", expanding=True)),
)
_APPLY = insert(CustomerImportRow).returning(CustomerImportRow.id, sort_by_parameter_order=True)


def apply_rows(
    program: Program,
    rows: Sequence[ImportRow],
    *,
    import_id: int,
    actor_id: int | None,
    now: datetime,
) -> Outcome:
    """Apply checked rows, in order, in the caller's transaction."""
    outcome = Outcome()
    todo = _not_applied_before(program, rows, outcome)
    batch = _Customers(
        program,
        customers.locked_all(
            program,
            external_ids={row.external_id for row in todo if row.external_id},
            emails={row.email for row in todo if row.email},
        ),
    )
    found: list[tuple[ImportRow, Customer]] = []
    for row in todo:
        member = batch.take(row)
        if isinstance(member, Reason):
            outcome.failures.append(RowFailure(row.row, member, row.identifier))
        else:
            found.append((row, member))
    customers.add_all(program, batch.made)
    outcome.customers_added = len(batch.made)
    _name(found, batch.made, now)
    if not found:
        return outcome
    try:
        applied = execute_core(
            _APPLY,
            [
                {
                    "program_id": program.id,
                    "identifier": row.identifier,
                    "import_id": import_id,
                    "row": row.row,
                    "membership_id": member.id,
                    "applied_at": now,
                }
                for row, member in found
            ],
        ).scalars()
        applied_ids = list(applied)
    except IntegrityError as error:
        # Another import applied one of these identifiers a moment ago: run the batch again.
        raise RetryTransaction() from error
    for (row, member), applied_id in zip(found, applied_ids, strict=True):
        _move_points(row, member, applied_id, actor_id, outcome)
    outcome.applied = len(found)
    return outcome


def _not_applied_before(
    program: Program, rows: Sequence[ImportRow], outcome: Outcome
) -> list[ImportRow]:
    """The rows whose identifier no earlier row applied (in the program, or in this batch)."""
    if not rows:
        return []
    seen = set(
        execute_core(
            _APPLIED,
            {"program_id": program.id, "identifiers": sorted({row.identifier for row in rows})},
        ).scalars()
    )
    todo = []
    for row in rows:
        if row.identifier in seen:
            outcome.skipped += 1
            continue
        seen.add(row.identifier)
        todo.append(row)
    return todo


Customer = Membership | customers.NewCustomer


class _Customers:
    """A batch's customers, found by external id then email, or made; what each row found
    (a new email, a store id) is kept for the rows after it."""

    def __init__(self, program: Program, found: Iterable[Membership]) -> None:
        self.program = program
        self.by_external_id: dict[str, Customer] = {}
        self.by_email: dict[str, Customer] = {}
        for member in found:
            self._know(member)
        self.made: list[customers.NewCustomer] = []
        # What each customer's balance will be once the rows before have moved it (``set``
        # rows read it again from the ledger): to refuse a credit past the maximum.
        self.balance: dict[Customer, int] = {}

    def _know(self, member: Customer) -> None:
        if member.external_id is not None:
            self.by_external_id[member.external_id] = member
        if member.email is not None:
            self.by_email[member.email] = member

    def take(self, row: ImportRow) -> Customer | Reason:
        member = self._find(row)
        if isinstance(member, Reason):
            return member
        if member is None:
            member = customers.NewCustomer(email=row.email, external_id=row.external_id)
            self.made.append(member)
            self._know(member)
        elif member.status != MembershipStatus.ACTIVE:
            return Reason.MEMBERSHIP_NOT_ACTIVE
        balance = self.balance.get(member, member.balance or 0)
        if row.points is not None:
            balance = balance + row.points if row.mode is Mode.ADD else row.points
            if balance > MAX_BALANCE:
                return Reason.BALANCE_LIMIT
        self.balance[member] = balance
        self._update(member, row)
        return member

    def _find(self, row: ImportRow) -> Customer | Reason | None:
        member = self.by_external_id.get(row.external_id) if row.external_id else None
        if member is None and row.email:
            member = self.by_email.get(row.email)
            if (
                member is not None
                and row.external_id
                and member.external_id not in (None, row.external_id)
            ):
                return Reason.CUSTOMER_CONFLICT
        elif member is not None and row.email and self._follows_email(member, row.email):
            holder = self.by_email.get(row.email)
            if holder is not None and holder is not member:
                return Reason.EMAIL_TAKEN
        return member

    @staticmethod
    def _follows_email(member: Customer, email: str) -> bool:
        """An unclaimed customer's address is the store's to change; an account's is its
        owner's (``flows.claims``)."""
        return member.user_id is None and member.email != email

    def _update(self, member: Customer, row: ImportRow) -> None:
        if row.external_id and member.external_id is None:
            member.external_id = row.external_id
            self.by_external_id[row.external_id] = member
        if row.email and self._follows_email(member, row.email):
            if member.email is not None:
                self.by_email.pop(member.email, None)
            member.email = row.email
            self.by_email[row.email] = member


_PROFILES = select(
    CustomerProfile.membership_id, CustomerProfile.first_name, CustomerProfile.last_name
).where(CustomerProfile.membership_id.in_(bindparam("ids", expanding=True)))
_NEW_PROFILE = insert(CustomerProfile)
_RENAME = (
    update(CustomerProfile)
    .where(CustomerProfile.membership_id == bindparam("member"))
    .values(
        first_name=bindparam("first"),
        last_name=bindparam("last"),
        search_name=bindparam("key"),
        updated_at=bindparam("now"),
    )
)


def _name(
    found: Sequence[tuple[ImportRow, Customer]], made: Sequence[Customer], now: datetime
) -> None:
    """Keep the names the rows give (an empty cell keeps the name known)."""
    named = [(row, member) for row, member in found if row.first_name or row.last_name]
    if not named:
        return
    fresh = {member.id for member in made}
    known_before = sorted({member.id for _row, member in named} - fresh)
    names: dict[int, tuple[str | None, str | None]] = {
        row[0]: (row[1], row[2])
        for row in (execute_core(_PROFILES, {"ids": known_before}).all() if known_before else [])
    }
    stored = dict(names)
    for row, member in named:
        first, last = names.get(member.id, (None, None))
        names[member.id] = (row.first_name or first, row.last_name or last)
    new, renamed = [], []
    for member_id, (first, last) in names.items():
        if stored.get(member_id) == (first, last):
            continue
        values = {
            "first": first,
            "last": last,
            "key": fold(" ".join(n for n in (first, last) if n)),
            "now": now,
        }
        if member_id in stored:
            renamed.append({"member": member_id, **values})
        else:
            new.append(
                {
                    "membership_id": member_id,
                    "first_name": first,
                    "last_name": last,
                    "search_name": values["key"],
                    "updated_at": now,
                }
            )
    if new:
        execute_core(_NEW_PROFILE, new)
    if renamed:
        execute_core(_RENAME, renamed)


def _move_points(
    row: ImportRow, member: Customer, applied_id: int, actor_id: int | None, outcome: Outcome
) -> None:
    if row.points is None:
        return
    balance = book.current(member.id).balance if row.mode is Mode.SET else 0
    amount = change(row.mode, row.points, balance)
    for part in _parts(amount):
        book.post(
            membership_id=member.id,
            amount=part,
            kind=EntryKind.ADJUSTMENT,
            actor_id=actor_id,
            cause_type=IMPORT_CAUSE,
            cause_id=applied_id,
        )
    if amount > 0:
        outcome.credited += amount
    else:
        outcome.debited -= amount


def _parts(amount: int) -> Iterator[int]:
    """``amount`` in entries the ledger takes (at most ``MAX_AMOUNT`` each; none for 0)."""
    sign = 1 if amount > 0 else -1
    left = abs(amount)
    while left:
        part = min(left, MAX_AMOUNT)
        yield sign * part
        left -= part
