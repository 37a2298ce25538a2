"""Merchant loyalty (seed 001): earning rules, what they credited, and a store's orders and
refunds. Points themselves live in the ledger; these rows say why each moved, and hold what
an order earned so that a refund takes back exactly its share (DESIGN 8.4)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow


class RuleKind(StrEnum):
    PURCHASE = "purchase"
    SIGNUP = "signup"
    BIRTHDAY = "birthday"
    REVIEW = "review"
    REFERRAL = "referral"
    ACTIVITY = "activity"  # a custom activity the merchant names (``survey_completed``)


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    EVER = "ever"


class EarningRule(IdMixin, TimestampMixin, Base):
    """How members of a program earn: points for a purchase (per amount of the currency),
    for signing up, a birthday, a review, a referral or a named activity; each with an
    active window and a limit per member per period."""

    __tablename__ = "earning_rules"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_earning_rules_program_id_kind", "program_id", "kind"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    kind: Mapped[str] = mapped_column(String(10))
    # An activity's name, as the store's server sends it (unique among a program's live rules).
    activity: Mapped[str | None] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(BigInteger)
    # The purchase rule: ``points`` per ``per_amount`` (minor units of the program's currency),
    # rounded down, on orders of at least ``minimum_amount``; shipping and taxes count only if
    # switched on.
    per_amount: Mapped[int | None] = mapped_column(BigInteger)
    minimum_amount: Mapped[int | None] = mapped_column(BigInteger)
    include_shipping: Mapped[bool] = mapped_column(default=False)
    include_taxes: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    limit_count: Mapped[int | None]
    limit_period: Mapped[str | None] = mapped_column(String(5))
    deleted_at: Mapped[datetime | None]


class Credit(IdMixin, Base):
    """One crediting of a rule to a membership (an activity, a signup...): what limits count,
    and, with the caller's ``reference``, what makes a retried call credit once."""

    __tablename__ = "earning_credits"
    __table_args__ = (
        UniqueConstraint("rule_id", "reference"),
        Index("ix_earning_credits_membership_rule", "membership_id", "rule_id", "credited_at"),
    )

    rule_id: Mapped[int] = mapped_column(IdType, ForeignKey("earning_rules.id"))
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    reference: Mapped[str | None] = mapped_column(String(100))
    points: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    credited_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderStatus(StrEnum):
    OPEN = "open"  # recorded, not paid yet: earns nothing until it is
    PAID = "paid"  # earned
    CANCELLED = "cancelled"  # what it still held is reversed
    IGNORED = "ignored"  # a test order


class Order(IdMixin, TimestampMixin, Base):
    """A store's order, once per program and order id, with what it earned and at what rate:
    a refund takes back at that rate, whatever the purchase rule has become since."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("program_id", "order_id"),
        CheckConstraint("points_clawed_back <= points_earned", name="clawback_capped"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    # None for a test order (ignored: it makes no customer either).
    membership_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("memberships.id"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(100))  # the store's
    source: Mapped[str] = mapped_column(String(10), default="api")  # api | shopify
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)  # minor units, after discounts
    shipping: Mapped[int] = mapped_column(BigInteger, default=0)
    taxes: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=OrderStatus.OPEN)
    test: Mapped[bool] = mapped_column(default=False)
    # Fixed when the order is paid: the amount that earned, the rule's rate then, and the
    # points it earned (base and campaign), of which refunds and a cancellation took back
    # ``points_clawed_back``; ``shortfall`` is what they could not take (already spent).
    eligible_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    rule_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("earning_rules.id"))
    rate: Mapped[dict[str, int] | None] = mapped_column(JSON)
    points_base: Mapped[int] = mapped_column(BigInteger, default=0)
    points_campaign: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    points_clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)
    shortfall: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class RefundStatus(StrEnum):
    APPLIED = "applied"
    PARKED = "parked"  # its order has not arrived yet: applied when it does


class Refund(IdMixin, Base):
    """A store's refund of (part of) an order, once per program and refund id."""

    __tablename__ = "order_refunds"
    __table_args__ = (
        UniqueConstraint("program_id", "refund_id"),
        Index("ix_order_refunds_program_order", "program_id", "order_id"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    refund_id: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[str] = mapped_column(String(100))  # the store's order id
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # the refunded subtotal, minor units
    status: Mapped[str] = mapped_column(String(10), default=RefundStatus.PARKED)
    points_clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)
    shortfall: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
