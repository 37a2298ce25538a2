"""API input and output of customer imports: rows sent as JSON or a CSV text, the import
with its progress and counts, and the rows it could not apply."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from stampbook.core.pagination import Page, PageQuery
from stampbook.core.schemas import Input, Output, Points, exactly_one
from stampbook.loyalty.import_rules import COLUMNS, HEADER, Reason
from stampbook.loyalty.models import ImportFormat, ImportStatus

# What one request may carry: the API's body is at most 1 MB (MAX_CONTENT_LENGTH); bigger
# files go through the import page's upload.
MAX_ROWS = 5000
MAX_CSV = 1_000_000
# A cell as sent: checked row by row by the import (a bad value fails its row, with a reason,
# never the whole request), so these bounds only keep a body sane.
Cell = Annotated[str, StringConstraints(max_length=1000)]


class ImportRowIn(Input):
    """One customer, as a CSV row: found by ``external_id``, then ``email`` (made as an
    unclaimed customer if new), named, and given ``points`` (``mode`` ``add``, the default,
    credits them; ``set`` moves the balance to them). ``identifier`` is the row's own id: a
    row whose identifier was applied before is skipped, so sending it again pays nothing."""

    identifier: Cell | None = Field(None, examples=["row-1"])
    email: Cell | None = Field(None, examples=["ana@example.com"])
    external_id: Cell | None = Field(None, examples=["shopify-customer-1234"])
    first_name: Cell | None = Field(None, examples=["Ana"])
    last_name: Cell | None = Field(None, examples=["Ruiz"])
    points: Points | None = Field(
        None,
        examples=[120],
        description="Whole points from 0 up; none: the row moves no points.",
    )
    mode: Cell | None = Field(None, examples=["add"], description="add (the default) or set.")


class CustomerImportIn(Input):
    """The customers to import: ``rows``, or ``csv``, a file's text whose header names the
    columns (``identifier,email,external_id,first_name,last_name,points,mode``; identifier
    and email or external_id are required, the rest optional)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [exactly_one("rows", "csv")]})

    rows: Annotated[list[ImportRowIn], Field(min_length=1, max_length=MAX_ROWS)] | None = None
    csv: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=MAX_CSV),
            Field(examples=[f"{HEADER}\nrow-1,ana@example.com,,Ana,Ruiz,120,add\n"]),
        ]
        | None
    ) = None
    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = Field(
        None, description="What the import log calls it.", examples=["customers.csv"]
    )

    @model_validator(mode="after")
    def _one(self) -> CustomerImportIn:
        if (self.rows is None) == (self.csv is None):
            raise ValueError("send rows or csv, one of them")
        return self

    def cells(self) -> list[list[str]]:
        """The rows as a CSV file's cells, in the documented columns' order."""
        rows = self.rows or []
        return [[_cell(getattr(row, name)) for name in COLUMNS] for row in rows]


def _cell(value: int | str | None) -> str:
    return "" if value is None else str(value)


class CustomerImportOut(Output):
    id: int
    program_id: int
    created_by: int
    file_name: str
    format: ImportFormat
    status: ImportStatus = Field(
        description="queued, then running (a batch of rows at a time), then done; failed if "
        "the job gave up (error_code)."
    )
    rows_total: int
    rows_done: int = Field(description="Rows worked through so far.")
    progress: int = Field(description="Percent of the rows worked through.", ge=0, le=100)
    rows_applied: int
    rows_skipped: int = Field(description="Rows whose identifier was applied before.")
    rows_failed: int = Field(description="Rows not applied: GET .../rows says why.")
    customers_added: int
    points_credited: int
    points_debited: int
    error_code: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class CustomerImportPage(Page):
    items: list[CustomerImportOut]


class ImportFailureOut(Output):
    row: int = Field(
        description="1 is the first row after the header, or the first of rows (a CSV text's "
        "blank rows are not counted)."
    )
    code: Reason
    detail: str = Field(description="The reason in words, in the request's language.")
    identifier: str | None = None


class ImportFailurePage(Page):
    items: list[ImportFailureOut]


class ImportFailureQuery(PageQuery):
    """Failed rows in row order; ``cursor`` is the last page's ``next_cursor``."""
