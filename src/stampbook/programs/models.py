"""Programs of a shop and the memberships that hold points."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.db import Base, IdMixin, IdType, TimestampMixin


class ProgramPrivacy(StrEnum):
    PUBLIC = "public"  # whoever sees the shop sees the program and its member list
    MEMBERS = "members"  # only its team and members see it; members see each other
    PRIVATE = "private"  # only its team and members see it; members see only themselves


class MembershipMode(StrEnum):
    PERSONAL = "personal"  # a private tracker for its creator
    INVITE = "invite"
    PUBLIC = "public"


class StampSystem(StrEnum):
    SELF = "self"  # members stamp themselves
    MEMBERS = "members"  # members may stamp each other
    STAMPERS = "stampers"  # only stampers, assistants and managers stamp


class MembershipRole(StrEnum):
    MANAGER = "manager"
    ASSISTANT = "assistant"
    STAMPER = "stamper"
    MEMBER = "member"


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    INVITED = "invited"  # a pending program invitation (see shops.models.ShopInvitation)
    LEFT = "left"
    REMOVED = "removed"
    ARCHIVED = "archived"  # its program was deleted or merged away; the balance stays readable


class Program(IdMixin, TimestampMixin, Base):
    __tablename__ = "programs"

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(7))
    icon: Mapped[str | None] = mapped_column(String(64))
    privacy_mode: Mapped[str] = mapped_column(String(10), default=ProgramPrivacy.PUBLIC)
    membership_mode: Mapped[str] = mapped_column(String(10), default=MembershipMode.PUBLIC)
    stamp_system_type: Mapped[str] = mapped_column(String(10), default=StampSystem.SELF)
    archived_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("programs.id"))

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Membership(IdMixin, TimestampMixin, Base):
    """A user (or an unclaimed customer known by email or external id) in a program.

    ``balance`` is a cache of the sum of the membership's ledger entries; only the ledger
    service moves it, with a conditional update, and ``stampbook doctor`` checks it. In the
    same update it moves ``points_earned`` and ``points_spent``, the sums of the positive and
    of the negative entries, so a program's totals cost a row per member, not per entry.

    One row per user and program, whatever happens: leaving, being removed or rejoining
    changes ``status``, so the balance and its entries are never lost. An unclaimed customer
    (``user_id`` null, ``email`` or ``external_id`` set) is created by the team to hold a
    customer's points before they have an account (seed 001).
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("program_id", "user_id"),
        UniqueConstraint("program_id", "email"),
        UniqueConstraint("program_id", "external_id"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    role_type: Mapped[str] = mapped_column(String(10), default=MembershipRole.MEMBER)
    permission_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=MembershipStatus.ACTIVE)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_spent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # An unclaimed customer (seed 001) is found by these until a user claims the membership.
    email: Mapped[str | None] = mapped_column(String(254))
    external_id: Mapped[str | None] = mapped_column(String(100))


# The leaderboard reads the top balances of one program in rank order straight off this index.
Index(
    "ix_memberships_leaderboard",
    Membership.program_id,
    Membership.balance.desc(),
    Membership.id,
)
