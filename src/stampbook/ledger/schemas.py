"""API input and output of the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from stampbook.core.pagination import HistoryQuery, Page
from stampbook.core.schemas import Input, Output
from stampbook.ledger.models import EntryKind


class EntryOut(Output):
    id: int
    membership_id: int
    amount: int = Field(description="Signed: credits are positive, debits negative.")
    balance_after: int
    kind: EntryKind
    cause_type: str | None = None
    cause_id: int | None = Field(
        default=None,
        description="The id of the object that caused the entry, of the kind cause_type names "
        "(a stamp, redemption, contribution, review post or merged program).",
    )
    reverses_id: int | None = None
    actor_id: int | None = None
    note: str | None = None
    created_at: datetime


class EntryPage(Page):
    items: list[EntryOut]


class ProgramEntryQuery(HistoryQuery):
    """A program's points activity: every member's entries, newest first."""

    membership_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Only this member's (or customer's) entries."
    )


class AdjustmentIn(Input):
    amount: Annotated[
        int, Field(strict=True, ge=-(10**12), le=10**12, json_schema_extra={"not": {"const": 0}})
    ] = Field(description="Points to add (positive) or remove (negative); not zero.", examples=[50])
    note: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        examples=["Welcome gift"]
    )

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("an adjustment moves at least one point")
        return amount
