"""Rewards, their change history, receipts (redemptions), group contributions, favourites.

A reward is deleted softly (``deleted_at``) so that receipts and history keep pointing at it;
receipts also keep a snapshot of it (``reward_content``), so later edits never rewrite them.
"""

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
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core import money
from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow


class RewardKind(StrEnum):
    """What a reward gives: something the team hands over (``custom``), or a discount in the
    shop's online store, issued as a single-use code on the receipt."""

    CUSTOM = "custom"
    DISCOUNT_AMOUNT = "discount_amount"  # an amount off (``discount_minor`` in its currency)
    DISCOUNT_PERCENT = "discount_percent"  # a percentage off (``discount_percent``, 1..100)
    FREE_SHIPPING = "free_shipping"


DISCOUNT_KINDS = frozenset(
    {RewardKind.DISCOUNT_AMOUNT, RewardKind.DISCOUNT_PERCENT, RewardKind.FREE_SHIPPING}
)


class Reward(IdMixin, TimestampMixin, Base):
    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("group_progress >= 0", name="group_progress_not_negative"),
        Index("ix_rewards_shop_id_deleted_at", "shop_id", "deleted_at"),
    )

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"))
    created_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(7))
    icon: Mapped[str | None] = mapped_column(String(64))
    cost: Mapped[int] = mapped_column(BigInteger)
    # Stock left; None means unlimited. Moved only by conditional updates (see services).
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    group_limit: Mapped[int | None] = mapped_column(BigInteger)
    user_limit: Mapped[int | None] = mapped_column(BigInteger)
    # stampbook.rewards.rules.ScheduleSettings as JSON.
    schedule_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expiry_date: Mapped[datetime | None]
    is_group_reward: Mapped[bool] = mapped_column(default=False)
    can_contribute: Mapped[bool] = mapped_column(default=True)
    is_giftable: Mapped[bool] = mapped_column(default=False)
    # Renewals are counted from here up to the moment of the next redemption.
    last_renewed_at: Mapped[datetime | None]
    # A group reward's pot: the round being filled and the points already in it.
    group_round: Mapped[int] = mapped_column(Integer, default=1)
    group_progress: Mapped[int] = mapped_column(BigInteger, default=0)
    deleted_at: Mapped[datetime | None]
    # What it gives (``RewardKind``); a discount's value: an amount in minor units of
    # ``discount_currency``, or a percentage.
    kind: Mapped[str] = mapped_column(
        String(20), default=RewardKind.CUSTOM, server_default=RewardKind.CUSTOM.value
    )
    discount_minor: Mapped[int | None] = mapped_column(BigInteger)
    discount_currency: Mapped[str | None] = mapped_column(String(3))
    discount_percent: Mapped[int | None] = mapped_column(Integer)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def discount_amount(self) -> str | None:
        """The amount off as the API says it (``"5.00"``), for a discount of an amount."""
        if self.discount_minor is None or self.discount_currency is None:
            return None
        return money.from_minor(self.discount_minor, self.discount_currency)


class RewardChange(IdMixin, Base):
    """One field of one edit of a reward: who, when, before and after."""

    __tablename__ = "reward_changes"
    __table_args__ = (Index("ix_reward_changes_reward_id_id", "reward_id", "id"),)

    reward_id: Mapped[int] = mapped_column(IdType, ForeignKey("rewards.id"))
    changed_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)


class RedemptionStatus(StrEnum):
    ISSUED = "issued"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


class DiscountStatus(StrEnum):
    """Where a discount receipt's code stands (``stampbook.flows.discount_codes``)."""

    PENDING = "pending"  # paid for; the code is being made (in the store, if one is connected)
    ISSUED = "issued"  # the code works: the store has it, or the team honours it
    REFUSED = "refused"  # no code: the store refused it (the points came back), or cancelled


class Redemption(IdMixin, Base):
    """A receipt. ``user_id`` owns it (the recipient of a gift); the points came from
    ``paid_by_membership_id`` (whose user is ``paid_by_user_id``, the giver of a gift).

    A completed group reward gives every contributing membership its own receipt; the
    receipts of one completion share ``group_round``.
    """

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("points_paid >= 0", name="points_paid_not_negative"),
        Index("ix_redemptions_reward_id_created_at", "reward_id", "created_at"),
        Index("ix_redemptions_reward_id_payer", "reward_id", "paid_by_user_id", "created_at"),
        Index("ix_redemptions_user_id_id", "user_id", "id"),
        Index("ix_redemptions_shop_id_id", "shop_id", "id"),
        Index("uq_redemptions_discount_code", "discount_code", unique=True),
        # The sweep of discount codes still to make: pending ones, by when they are due.
        Index("ix_redemptions_discount_due", "discount_status", "discount_due_at"),
    )

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"))
    reward_id: Mapped[int] = mapped_column(IdType, ForeignKey("rewards.id"))
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    paid_by_membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    paid_by_user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    gifted_by_user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default=RedemptionStatus.ISSUED)
    quantity: Mapped[int] = mapped_column(BigInteger, default=1)
    points_paid: Mapped[int] = mapped_column(BigInteger)
    # {id, name, summary, description, color, icon, cost} as the reward was when redeemed.
    reward_content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The debit of a plain redemption; a group receipt's points are its contributions.
    ledger_entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    group_round: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fulfilled_at: Mapped[datetime | None]
    fulfilled_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # A discount reward's code (``DiscountStatus``): made after the debit commits, unique,
    # sent to the store as it is on every try; the tries made, when the next is due (or
    # until when the one under way holds it), and the store's id for it once it has it.
    discount_code: Mapped[str | None] = mapped_column(String(20))
    discount_status: Mapped[str | None] = mapped_column(String(10))
    discount_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    discount_due_at: Mapped[datetime | None]
    discount_store_id: Mapped[str | None] = mapped_column(String(100))


class GrantOutcome(StrEnum):
    """What became of a reward granted for free (``stampbook.rewards.granting``)."""

    GRANTED = "granted"  # a receipt with ``points_paid`` 0
    OUT_OF_STOCK = "out_of_stock"  # none left: no receipt, never tried again
    UNAVAILABLE = "unavailable"  # deleted, expired, a group reward, or another shop's
    MEMBER_GONE = "member_gone"  # the membership left, was removed or archived
    WAITING = "waiting"  # an unclaimed customer (no account to hold a receipt): tried again
    # when an account claims the membership (``member.joined``)


class RewardGrant(IdMixin, Base):
    """A reward given for free for a cause (a tier's entry, a referral...): at most one per
    (``cause_type``, ``cause_id``), with its outcome and the receipt when there is one."""

    __tablename__ = "reward_grants"
    __table_args__ = (
        UniqueConstraint("cause_type", "cause_id"),
        Index("ix_reward_grants_membership_id_outcome", "membership_id", "outcome"),
    )

    cause_type: Mapped[str] = mapped_column(String(30))
    cause_id: Mapped[int] = mapped_column(BigInteger)
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    reward_id: Mapped[int] = mapped_column(IdType, ForeignKey("rewards.id"))
    outcome: Mapped[str] = mapped_column(String(12))
    redemption_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("redemptions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]


class ContributionStatus(StrEnum):
    OPEN = "open"  # in the pot of the round being filled
    COMPLETED = "completed"  # its round completed: the contributor has a receipt
    REFUNDED = "refunded"  # given back (reward expired, deleted, or completion cancelled)


class Contribution(IdMixin, Base):
    """Points one membership put toward a group reward, as one ledger debit."""

    __tablename__ = "reward_contributions"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_reward_contributions_reward_id_status", "reward_id", "status"),
    )

    reward_id: Mapped[int] = mapped_column(IdType, ForeignKey("rewards.id"))
    group_round: Mapped[int] = mapped_column(Integer)
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=ContributionStatus.OPEN)
    # Set right after the row: the debit names the contribution as its cause.
    ledger_entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    refund_entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))
    redemption_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("redemptions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Favorite(IdMixin, Base):
    """A user's starred reward."""

    __tablename__ = "reward_favorites"
    __table_args__ = (UniqueConstraint("user_id", "reward_id"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    reward_id: Mapped[int] = mapped_column(IdType, ForeignKey("rewards.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
