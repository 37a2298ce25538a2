"""Referrals (DESIGN 8.5, seeds 001 and 002): a program's referral settings, each member's
code, the referrals with their status and reason, and the invitations members sent by email.

A friend is referred once per program: a referral still pending or completed holds its
friend's membership and normalised email (partial unique indexes), so two advocates racing
for one friend cannot both win; a rejected or expired referral holds nothing. Amounts of
money are minor units of the program's currency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow

_LIVE = text("status IN ('pending', 'completed')")


class ReferralSettings(TimestampMixin, Base):
    """How a program's referrals work: completed on the friend's sign-up or first purchase
    (above ``minimum_amount``), what each side earns (points, or a reward of the shop), the
    advocate's escalation (``escalation``: ``[{"from_count", "points", "reward_id"}]``), the
    window a pending referral waits, a cap per advocate and period, sharing by email."""

    __tablename__ = "referral_settings"
    __table_args__ = (
        CheckConstraint("advocate_points >= 0 AND friend_points >= 0", name="points_not_negative"),
        CheckConstraint("minimum_amount >= 0", name="minimum_not_negative"),
        CheckConstraint("expiry_days >= 1", name="expiry_days_positive"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    completes: Mapped[str] = mapped_column(String(20), default="on_signup")
    minimum_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    advocate_points: Mapped[int] = mapped_column(BigInteger, default=0)
    advocate_reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("rewards.id"))
    friend_points: Mapped[int] = mapped_column(BigInteger, default=0)
    friend_reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("rewards.id"))
    escalation: Mapped[list[Any]] = mapped_column(JSON, default=list)
    expiry_days: Mapped[int] = mapped_column(Integer, default=30)
    cap_count: Mapped[int | None] = mapped_column(Integer)
    cap_period: Mapped[str] = mapped_column(String(5), default="month")
    email_sharing: Mapped[bool] = mapped_column(default=True)


class ReferralCode(Base):
    """A member's code, made on first read: unique, random, never reused."""

    __tablename__ = "referral_codes"

    membership_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("memberships.id"), primary_key=True
    )
    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Referral(IdMixin, Base):
    """One friend brought by one advocate: pending until it completes (the friend's sign-up
    or first purchase), rejected with a ``reason``, or expired after the window. A referral
    ``held`` for review (too many from one network address) waits for the team."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index(
            "uq_referrals_friend",
            "program_id",
            "friend_id",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        Index(
            "uq_referrals_friend_email",
            "program_id",
            "friend_email",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        Index("ix_referrals_advocate_id_status", "advocate_id", "status"),
        Index("ix_referrals_program_id_id", "program_id", "id"),
        Index("ix_referrals_program_id_network", "program_id", "network", "created_at"),
        Index(
            "ix_referrals_pending_expires_at",
            "expires_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    advocate_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    friend_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("memberships.id"))
    # ``rules.email_key`` of the friend's address (the account's or the customer's).
    friend_email: Mapped[str | None] = mapped_column(String(254))
    code: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(String(30))
    held: Mapped[bool] = mapped_column(default=False)
    network: Mapped[str | None] = mapped_column(String(45))
    order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))
    # A held referral's friend already did what completes it (their first order qualified).
    qualified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    # The advocate's how-manieth completed referral (escalation), and what was paid.
    ordinal: Mapped[int | None] = mapped_column(Integer)
    conversion_seconds: Mapped[int | None] = mapped_column(BigInteger)
    advocate_points: Mapped[int] = mapped_column(BigInteger, default=0)
    friend_points: Mapped[int] = mapped_column(BigInteger, default=0)
    advocate_reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("rewards.id"))
    friend_reward_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("rewards.id"))
    advocate_entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    friend_entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))


class ReferralInvitation(IdMixin, Base):
    """An email a member asked us to send a friend with their link (sharing by email)."""

    __tablename__ = "referral_invitations"
    __table_args__ = (Index("ix_referral_invitations_advocate_id", "advocate_id", "created_at"),)

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    advocate_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | sent | failed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
