"""Reading a customer import without a database: the header's columns, each row's cells
checked into what the import job applies (or the reason it fails), and what a row's points
do to a balance.

A file's header names its columns, in any order and case: ``identifier`` (required, the
row's own id: a row whose identifier was applied before is skipped, so a file uploaded again
pays nothing twice), ``email`` and ``external_id`` (one at least: how the customer is found),
``first_name``, ``last_name``, ``points`` and ``mode`` (``add``, the default, credits the
points; ``set`` moves the balance to them). Row 1 is the first row after the header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import TypeAdapter, ValidationError

from stampbook.core.schemas import Email
from stampbook.ledger.book import MAX_AMOUNT

COLUMNS = ("identifier", "email", "external_id", "first_name", "last_name", "points", "mode")
REQUIRED = ("identifier",)
# A customer is found by either of these: a file needs one of the two columns.
FINDERS = ("email", "external_id")
HEADER = ",".join(COLUMNS)

MAX_IDENTIFIER = 100
MAX_EXTERNAL_ID = 100
MAX_NAME = 100
MAX_EMAIL = 254
_DIGITS = re.compile(r"^\+?[0-9]{1,13}$")
# Control characters have no place in an id or a name (a stray NUL, a line feed in a cell).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


class Mode(StrEnum):
    ADD = "add"  # credit the row's points
    SET = "set"  # move the balance to the row's points (a credit or a debit of the difference)


class Reason(StrEnum):
    """Why a row was not applied (``import_words`` says each in words)."""

    COLUMNS_INVALID = "columns_invalid"  # more cells than the header has columns
    IDENTIFIER_MISSING = "identifier_missing"
    IDENTIFIER_INVALID = "identifier_invalid"
    EMAIL_INVALID = "email_invalid"
    EXTERNAL_ID_INVALID = "external_id_invalid"
    NAME_INVALID = "name_invalid"
    POINTS_INVALID = "points_invalid"
    MODE_INVALID = "mode_invalid"
    CUSTOMER_MISSING = "customer_missing"  # neither an email nor an external id
    # Found, but refused: the email is another store id's customer, another customer has the
    # email, the membership is not active, the balance would pass its maximum.
    CUSTOMER_CONFLICT = "customer_conflict"
    EMAIL_TAKEN = "email_taken"
    MEMBERSHIP_NOT_ACTIVE = "membership_not_active"
    BALANCE_LIMIT = "balance_limit"


class HeaderProblem(Exception):
    """The header is not one an import reads: columns unknown or twice, or missing."""

    def __init__(self, *, unknown: tuple[str, ...] = (), missing: tuple[str, ...] = ()) -> None:
        super().__init__(unknown, missing)
        self.unknown = unknown
        self.missing = missing


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A row whose cells are all valid: what the job applies."""

    row: int
    identifier: str
    email: str | None
    external_id: str | None
    first_name: str | None
    last_name: str | None
    points: int | None
    mode: Mode


@dataclass(frozen=True, slots=True)
class RowFailure:
    row: int
    code: Reason
    identifier: str | None


def read_header(cells: Sequence[str]) -> tuple[str, ...]:
    """The columns a header names, in its order; ``HeaderProblem`` for one not read."""
    names = tuple(cell.strip().lower() for cell in cells)
    unknown = tuple(
        dict.fromkeys(
            name for place, name in enumerate(names) if name not in COLUMNS or name in names[:place]
        )
    )
    missing = tuple(name for name in REQUIRED if name not in names)
    if not any(name in names for name in FINDERS):
        missing += (" | ".join(FINDERS),)
    if unknown or missing:
        raise HeaderProblem(unknown=unknown, missing=missing)
    return names


def parse_row(row: int, cells: Sequence[str], columns: Sequence[str]) -> ImportRow | RowFailure:
    """One row's cells (fewer than the columns: the rest are empty) checked in the columns'
    documented order: the first reason found is the row's."""
    if len(cells) > len(columns):
        return RowFailure(row, Reason.COLUMNS_INVALID, _identifier_of(cells, columns))
    values = {name: cells[place].strip() for place, name in enumerate(columns[: len(cells)])}
    identifier = values.get("identifier", "")
    if not identifier:
        return RowFailure(row, Reason.IDENTIFIER_MISSING, None)
    if len(identifier) > MAX_IDENTIFIER or _CONTROL.search(identifier):
        return RowFailure(row, Reason.IDENTIFIER_INVALID, identifier[:MAX_IDENTIFIER])
    try:
        email = _email(values.get("email", ""))
        external_id = _text(
            values.get("external_id", ""), MAX_EXTERNAL_ID, Reason.EXTERNAL_ID_INVALID
        )
        first_name = _text(values.get("first_name", ""), MAX_NAME, Reason.NAME_INVALID)
        last_name = _text(values.get("last_name", ""), MAX_NAME, Reason.NAME_INVALID)
        points = _points(values.get("points", ""))
        mode = _mode(values.get("mode", ""))
    except _Refused as refused:
        return RowFailure(row, refused.reason, identifier)
    if email is None and external_id is None:
        return RowFailure(row, Reason.CUSTOMER_MISSING, identifier)
    return ImportRow(row, identifier, email, external_id, first_name, last_name, points, mode)


class _Refused(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason


def _identifier_of(cells: Sequence[str], columns: Sequence[str]) -> str | None:
    place = columns.index("identifier")
    found = cells[place].strip()[:MAX_IDENTIFIER] if place < len(cells) else ""
    return found or None


def _email(text: str) -> str | None:
    """The address in lower case (as customers are found by it), None for none."""
    if not text:
        return None
    if len(text) > MAX_EMAIL:
        raise _Refused(Reason.EMAIL_INVALID)
    try:
        return _EMAIL.validate_python(text).lower()
    except ValidationError:
        raise _Refused(Reason.EMAIL_INVALID) from None


def _text(text: str, longest: int, reason: Reason) -> str | None:
    if not text:
        return None
    if len(text) > longest or _CONTROL.search(text):
        raise _Refused(reason)
    return text


def _points(text: str) -> int | None:
    """A whole number of points from 0 up; None for an empty cell."""
    if not text:
        return None
    if not _DIGITS.fullmatch(text) or int(text) > MAX_AMOUNT:
        raise _Refused(Reason.POINTS_INVALID)
    return int(text)


def _mode(text: str) -> Mode:
    if not text:
        return Mode.ADD
    try:
        return Mode(text.lower())
    except ValueError:
        raise _Refused(Reason.MODE_INVALID) from None


def change(mode: Mode, points: int, balance: int) -> int:
    """What a row's points move a balance by: ``add`` credits them; ``set`` moves the balance
    to them (a credit or a debit of the difference; a balance never goes below zero, since
    the points are never negative)."""
    return points if mode is Mode.ADD else points - balance
