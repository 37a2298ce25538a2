"""VIP tiers (DESIGN 8.5, seed 001): a program's tier settings and tiers, each member's
standing, the qualifying totals kept per period bucket, the history of changes, and the entry
rewards granted (once per membership, tier and period: the unique row makes it once).

Thresholds are in the settings' basis: points, or minor units of the program's currency.
Multipliers are stored as percents (``150`` is 1.5x). Buckets and periods: ``rules``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow


class TierSettings(TimestampMixin, Base):
    """How a program's members qualify: the basis, the period, whether a refund may demote
    mid-period, and the retention margin (percent of a threshold that keeps a tier)."""

    __tablename__ = "tier_settings"
    __table_args__ = (
        CheckConstraint(
            "retention_percent >= 1 AND retention_percent <= 100", name="retention_range"
        ),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"), primary_key=True)
    basis: Mapped[str] = mapped_column(String(6), default="points")
    period: Mapped[str] = mapped_column(String(20), default="lifetime")
    demote_on_refund: Mapped[bool] = mapped_column(default=False)
    retention_percent: Mapped[int] = mapped_column(Integer, default=90)


class Tier(IdMixin, TimestampMixin, Base):
    """One tier of a program: from ``threshold`` of the qualifying total, earning
    ``multiplier_percent`` of the points, with its perks and an entry reward (a free
    redemption of ``reward_id``, or ``entry_points``)."""

    __tablename__ = "tiers"
    __table_args__ = (
        CheckConstraint("threshold > 0", name="threshold_positive"),
        CheckConstraint(
            "multiplier_percent > 0 AND multiplier_percent <= 10000", name="multiplier_range"
        ),
        CheckConstraint("entry_points >= 0", name="entry_points_not_negative"),
        Index("ix_tiers_program_id_threshold", "program_id", "threshold"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    name: Mapped[str] = mapped_column(String(60))
    threshold: Mapped[int] = mapped_column(BigInteger)
    multiplier_percent: Mapped[int] = mapped_column(Integer, default=100)
    perks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("rewards.id"))
    entry_points: Mapped[int] = mapped_column(BigInteger, default=0)
    deleted_at: Mapped[datetime | None]


class MemberTier(TimestampMixin, Base):
    """A membership's standing: its tier (None: none yet), since when, the first local day
    of the period it is held for and when that period ends, and a floor set by staff (never
    fallen below)."""

    __tablename__ = "member_tiers"

    membership_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("memberships.id"), primary_key=True
    )
    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"), index=True)
    tier_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("tiers.id"))
    since: Mapped[datetime | None]
    held_from: Mapped[date | None] = mapped_column(Date)
    floor_tier_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("tiers.id"))
    # When the held period ends (UTC; None: no tier, or held for life): ``standing`` keeps it.
    review_at: Mapped[datetime | None] = mapped_column(index=True)
    floor_reason: Mapped[str | None] = mapped_column(String(200))
    floor_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))


class TierTotal(Base):
    """What qualified for a membership in one bucket (``rules.bucket``): kept incrementally
    by the outbox's consumer, so a total is one row (lifetime, a year) or at most 366."""

    __tablename__ = "tier_totals"

    membership_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("memberships.id"), primary_key=True
    )
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class TierChange(IdMixin, Base):
    """One change of a member's tier: rose, kept... fell at a period's end, raised by staff,
    lowered by a refund (where the program allows it)."""

    __tablename__ = "tier_changes"
    __table_args__ = (Index("ix_tier_changes_membership_id_id", "membership_id", "id"),)

    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    from_tier_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("tiers.id"))
    to_tier_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("tiers.id"))
    cause: Mapped[str] = mapped_column(String(10))  # rose | fell | raised | refund
    reason: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TierEntryGrant(IdMixin, Base):
    """An entry reward given: once per membership, tier and period (``period_key``: the held
    period's first local day as an ordinal, 0 for lifetime)."""

    __tablename__ = "tier_entry_grants"
    __table_args__ = (UniqueConstraint("membership_id", "tier_id", "period_key"),)

    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    tier_id: Mapped[int] = mapped_column(IdType, ForeignKey("tiers.id"))
    period_key: Mapped[int] = mapped_column(Integer)
    entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    # The free receipt of the tier's reward, once the flow made it (``flows.granting``).
    redemption_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("redemptions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
