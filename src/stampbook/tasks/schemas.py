"""API input and output of tasks, stamps, overrides and program stats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from stampbook.core.pagination import HistoryQuery, Page
from stampbook.core.schemas import (
    Color,
    Description,
    Icon,
    Input,
    Keep,
    Moment,
    Name,
    Output,
    Summary,
    only_if,
    sent,
)
from stampbook.ledger.schemas import EntryOut
from stampbook.tasks.models import TaskPrivacy
from stampbook.tasks.rules import (
    MAX_MULTIPLE,
    AvailabilitySettings,
    AwardKind,
    BonusValues,
    Count,
    FrequencySettings,
    GroupCount,
    Multiple,
    TaskPoints,
    TaskSettings,
)

Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
Note = Annotated[str, StringConstraints(max_length=500)]
# Query strings arrive as text: ids there are parsed, not strict.
QueryId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class TaskIn(Input, TaskSettings):
    """A new task: its details and every option (see the option models for their rules).

    Besides what the schema says: ``point_value_partial`` is at most ``point_value``, and two
    bonuses of one list never share a threshold (422 otherwise).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                only_if(sent("allows_partial", {"const": True}), sent("point_value_partial")),
                only_if(sent("max_multiple"), sent("allows_multiple", {"const": True})),
                only_if(
                    sent(
                        "bonus_values",
                        {
                            "type": "object",
                            **sent("reach_total", {"type": "integer", "minimum": 1}),
                        },
                    ),
                    sent("target"),
                ),
                only_if(
                    sent("bonus_values", {"type": "object", **sent("group_success")}),
                    sent("group_target"),
                ),
            ]
        }
    )

    name: Name = Field(examples=["Morning run"])
    summary: Summary | None = Field(None, examples=["Run before breakfast."])
    description: Description | None = None
    color: Color | None = Field(None, examples=["#2a9d8f"])
    icon: Icon | None = Field(None, examples=["run"])
    privacy_mode: TaskPrivacy = Field(
        TaskPrivacy.PUBLIC,
        description="public: whoever sees the program; members: its members; private: the team.",
    )
    point_value: TaskPoints = Field(examples=[10])


class TaskPatch(Input):
    """Only the fields sent change; null clears an optional option. Options that would break
    the rules of ``TaskIn`` together with the task's other options are refused with 409
    ``invalid_settings``."""

    name: Keep[Name] = None
    summary: Summary | None = None
    description: Description | None = None
    color: Color | None = None
    icon: Icon | None = None
    privacy_mode: Keep[TaskPrivacy] = None
    point_value: Keep[TaskPoints] = None
    allows_partial: Keep[bool] = None
    point_value_partial: TaskPoints | None = None
    allows_multiple: Keep[bool] = None
    max_multiple: Multiple | None = None
    target: Count | None = None
    group_target: GroupCount | None = None
    deadline: Moment | None = None
    availability_settings: Keep[AvailabilitySettings] = None
    frequency_settings: FrequencySettings | None = None
    bonus_values: Keep[BonusValues] = None


class TaskOut(Output):
    id: int
    program_id: int
    created_by: int
    name: str
    summary: str | None = None
    description: str | None = None
    color: str | None = None
    icon: str | None = None
    privacy_mode: TaskPrivacy
    point_value: int
    allows_partial: bool
    point_value_partial: int | None = None
    allows_multiple: bool
    max_multiple: int | None = None
    target: int | None = None
    group_target: int | None = None
    deadline: datetime | None = None
    availability_settings: AvailabilitySettings
    frequency_settings: FrequencySettings | None = None
    bonus_values: BonusValues
    created_at: datetime
    edited_at: datetime | None = None


class TaskPage(Page):
    items: list[TaskOut]


class OverrideIn(Input):
    """One member's own settings; a field left out or null keeps the task's."""

    target: Count | None = Field(None, examples=[20])
    deadline: Moment | None = Field(None, examples=["2030-01-31T23:00:00Z"])
    availability_settings: AvailabilitySettings | None = None
    frequency_settings: FrequencySettings | None = None


class OverrideOut(Output):
    id: int
    task_id: int
    membership_id: int
    target: int | None = None
    deadline: datetime | None = None
    availability_settings: AvailabilitySettings | None = None
    frequency_settings: FrequencySettings | None = None
    created_at: datetime
    edited_at: datetime | None = None


class StampIn(Input):
    membership_id: Id = Field(description="The membership credited.", examples=[7])
    quantity: Annotated[int, Field(ge=1, le=MAX_MULTIPLE, strict=True)] = Field(
        1, description="More than 1 needs allows_multiple (at most max_multiple).", examples=[1]
    )
    partial: bool = Field(False, description="Partial credit (needs allows_partial).")
    note: Note | None = Field(None, examples=["Great effort"])


class StampOut(Output):
    id: int
    task_id: int
    membership_id: int
    stamped_by: int | None = None
    quantity: int
    partial: bool
    points: int = Field(description="What the stamp credited to its membership.")
    note: str | None = None
    local_date: date = Field(description="The member's calendar date when stamped.")
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: int | None = None


class StampPage(Page):
    items: list[StampOut]


class AwardOut(Output):
    kind: AwardKind = Field(examples=["streak"])
    name: str | None = Field(None, examples=["3-day streak"])
    points: int = Field(examples=[2])


class StampResultOut(Output):
    stamp: StampOut
    points: int = Field(description="Points credited to the stamped membership.", examples=[12])
    breakdown: list[AwardOut]


class RevocationOut(Output):
    stamp: StampOut
    points: int = Field(description="Points taken back from the stamped membership.")
    reversals: list[EntryOut] = Field(description="Every reversal entry written.")


class StampNotePatch(Input):
    note: Note | None = Field(description="The member's personal note; null clears it.")


class StampQuery(HistoryQuery):
    membership_id: QueryId | None = Field(None, description="Only this membership's stamps.")
    user_id: QueryId | None = Field(None, description="Only this user's stamps.")


class StatsQuery(Input):
    since: Moment | None = Field(None, description="Only activity at or after this time.")
    until: Moment | None = Field(None, description="Only activity before this time.")


class TaskStatsOut(Output):
    task_id: int
    name: str
    stamps: int = Field(description="Stamps made in the period (revoked ones excluded).")
    quantity: int = Field(description="Their total quantity.")


class StatsOut(Output):
    program_id: int
    members: int = Field(description="Active memberships now.")
    points_issued: int = Field(
        description="Points earned in the period: the sum of credits, refunds left out."
    )
    points_spent: int = Field(
        description="Points spent in the period, as a positive number: the sum of debits, "
        "less what refunds gave back."
    )
    tasks: list[TaskStatsOut]
