"""The tiers' API shapes (DESIGN 9: ``/programs/{id}/tiers``, ``/tiers/{id}``,
``/programs/{id}/tier-settings``, ``/memberships/{id}/tier``, ``.../tier-changes``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stampbook.core.schemas import NOT_BLANK, Id, Strip
from stampbook.tiers.rules import Basis, PeriodKind

Name = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=NOT_BLANK), Strip]
Perk = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=NOT_BLANK), Strip]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Strip]
# Any whole number within bounds: zero and below reach the service, which answers with the
# clear problem (tier_threshold_invalid) rather than a field error.
Threshold = Annotated[int, Field(ge=-(10**12), le=10**12, strict=True)]


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    # Points, or minor units of the program's currency for the money basis; checked by the
    # service (tier_threshold_invalid, tier_threshold_unordered) for a clear problem.
    threshold: Threshold
    multiplier: str = Field(default="1", max_length=12, examples=["1.5"])
    perks: list[Perk] = Field(default_factory=list, max_length=20)
    reward_id: Id | None = None
    entry_points: int = Field(default=0, ge=0, le=1_000_000)


class TierPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    threshold: Threshold | None = None
    multiplier: str | None = Field(default=None, max_length=12)
    perks: list[Perk] | None = Field(default=None, max_length=20)
    reward_id: Id | None = None
    entry_points: int | None = Field(default=None, ge=0, le=1_000_000)


class TierOut(BaseModel):
    id: int
    program_id: int
    name: str
    threshold: int
    multiplier: str
    perks: list[str]
    reward_id: int | None
    entry_points: int
    members: int  # how many members sit in it now


class TierList(BaseModel):
    items: list[TierOut]


class TierSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basis: Basis = Basis.POINTS
    period: PeriodKind = PeriodKind.LIFETIME
    demote_on_refund: bool = False
    retention_percent: int = Field(default=90, ge=1, le=100)


class TierSettingsOut(TierSettingsIn):
    program_id: int


class MemberTierOut(BaseModel):
    membership_id: int
    tier: TierOut | None
    since: datetime | None
    held_from: date | None
    qualifying_total: int
    next_tier: TierOut | None
    missing: int  # what the total lacks for the next tier
    perks: list[str]
    floor_tier_id: int | None
    history: str  # the link to the tier changes


class RaiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_id: Id
    reason: Reason


class TierChangeOut(BaseModel):
    id: int
    from_tier_id: int | None
    to_tier_id: int | None
    cause: str
    reason: str | None
    actor_id: int | None
    created_at: datetime


class TierChangeList(BaseModel):
    items: list[TierChangeOut]
