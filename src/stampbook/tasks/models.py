"""Tasks of a program, the stamps that complete them, per-member overrides, bonus awards.

Scalar options are typed columns; structured ones (availability, frequency, bonuses) are JSON
validated by the Pydantic models of ``stampbook.tasks.rules`` on the way in and out.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow
from stampbook.tasks.rules import OverrideSettings, TaskSettings


class TaskPrivacy(StrEnum):
    PUBLIC = "public"  # whoever may see the program
    MEMBERS = "members"  # the program's members and team
    PRIVATE = "private"  # the team only


class Task(IdMixin, TimestampMixin, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("point_value >= 0", name="point_value_not_negative"),
        CheckConstraint("point_value_partial >= 0", name="point_value_partial_not_negative"),
        CheckConstraint("max_multiple >= 1", name="max_multiple_positive"),
        CheckConstraint("target >= 1", name="target_positive"),
        CheckConstraint("group_target >= 1", name="group_target_positive"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"), index=True)
    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(7))
    icon: Mapped[str | None] = mapped_column(String(64))
    privacy_mode: Mapped[str] = mapped_column(String(10), default=TaskPrivacy.PUBLIC)
    point_value: Mapped[int] = mapped_column(BigInteger, default=0)
    allows_partial: Mapped[bool] = mapped_column(default=False)
    point_value_partial: Mapped[int | None] = mapped_column(BigInteger)
    allows_multiple: Mapped[bool] = mapped_column(default=False)
    max_multiple: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[int | None] = mapped_column(Integer)
    group_target: Mapped[int | None] = mapped_column(BigInteger)
    deadline: Mapped[datetime | None]
    availability_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    frequency_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    bonus_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[datetime | None]

    def settings(self) -> TaskSettings:
        return TaskSettings.model_validate(
            {name: getattr(self, name) for name in TaskSettings.model_fields}
        )

    def apply_settings(self, settings: TaskSettings) -> None:
        data = settings.model_dump(mode="json")
        for name in TaskSettings.model_fields:
            setattr(self, name, data[name])
        self.deadline = settings.deadline  # an aware datetime, not its JSON string


class Stamp(IdMixin, Base):
    """One completion of a task credited to a membership."""

    __tablename__ = "stamps"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        Index("ix_stamps_task_id_membership_id", "task_id", "membership_id"),
        Index("ix_stamps_task_id_id", "task_id", "id"),
    )

    task_id: Mapped[int] = mapped_column(IdType, ForeignKey("tasks.id"))
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"), index=True)
    stamped_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    partial: Mapped[bool] = mapped_column(default=False)
    # What the stamp credited to its membership: base value plus the member's bonuses.
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str | None] = mapped_column(String(500))
    # The member's calendar date and zone when stamped: streaks and frequency count these.
    local_date: Mapped[date]
    time_zone: Mapped[str] = mapped_column(String(64))
    # The ledger entry of the base value (None when the task is worth no points).
    entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))


class TaskOverride(IdMixin, TimestampMixin, Base):
    """One member's own target, deadline, availability or frequency for a task."""

    __tablename__ = "task_overrides"
    __table_args__ = (UniqueConstraint("task_id", "membership_id"),)

    task_id: Mapped[int] = mapped_column(IdType, ForeignKey("tasks.id"))
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    target: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[datetime | None]
    availability_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    frequency_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def settings(self) -> OverrideSettings:
        return OverrideSettings.model_validate(
            {name: getattr(self, name) for name in OverrideSettings.model_fields}
        )


class TaskBonusAward(IdMixin, Base):
    """A bonus paid to one membership; unique, so the database refuses paying it twice."""

    __tablename__ = "task_bonus_awards"
    __table_args__ = (UniqueConstraint("task_id", "membership_id", "bonus_key"),)

    task_id: Mapped[int] = mapped_column(IdType, ForeignKey("tasks.id"))
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"), index=True)
    bonus_key: Mapped[str] = mapped_column(String(80))
    stamp_id: Mapped[int] = mapped_column(IdType, ForeignKey("stamps.id"), index=True)
    entry_id: Mapped[int] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskGroupAward(IdMixin, Base):
    """A group bonus reached once per task (its payments are TaskBonusAward rows)."""

    __tablename__ = "task_group_awards"
    __table_args__ = (UniqueConstraint("task_id", "bonus_key"),)

    task_id: Mapped[int] = mapped_column(IdType, ForeignKey("tasks.id"))
    bonus_key: Mapped[str] = mapped_column(String(80))
    stamp_id: Mapped[int] = mapped_column(IdType, ForeignKey("stamps.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
