"""Notifications: in-app notices, preferences, marketing consent, shops' templates, and the
deliveries of messages on other channels with each attempt."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, utcnow


class Notification(IdMixin, Base):
    """One notice in a user's notification centre, in the user's language."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        # The header's unread count, and pruning.
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        Index("ix_notifications_read_at", "read_at"),
    )

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    # Not a foreign key: a notice outlives the shop it speaks of.
    shop_id: Mapped[int | None] = mapped_column(IdType)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # A points batch: "user:program:window" (rules.batch_key), unique so that two concurrent
    # dispatches cannot both open one; ``values`` keeps its running totals.
    batch_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    opened_at: Mapped[datetime | None]
    points: Mapped[int] = mapped_column(Integer, default=0)
    # The template's values (plain strings and numbers), kept to say the notice again.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Preference(IdMixin, Base):
    """A user's choice for one kind on one channel; without a row, the kind's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool]


class MarketingConsent(IdMixin, Base):
    """A user agrees to a shop's marketing messages (a row) until they withdraw (no row)."""

    __tablename__ = "marketing_consents"
    __table_args__ = (UniqueConstraint("user_id", "shop_id"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class TemplateOverride(IdMixin, Base):
    """A shop's own words for one kind, channel and language (checked when saved)."""

    __tablename__ = "notification_templates"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "channel", "language"),)

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # not sent: consent withdrawn, opted out, address gone


class Delivery(IdMixin, Base):
    """One message on one channel to one address; rendered when sent, from ``values``."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        # What the periodic job sends: pending, due first.
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_user_id", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    shop_id: Mapped[int | None] = mapped_column(IdType)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    to: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    # A points batch's one email: unique like a notice's batch, sent when its minute is over.
    batch_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    opened_at: Mapped[datetime | None]
    points: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(300))
    provider_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class AttemptOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed; may pass: tried again later
    FAILED = "failed"  # failed for good
    SUPPRESSED = "suppressed"


class DeliveryAttempt(IdMixin, Base):
    """Each attempt to send a delivery, with its outcome: the log of what happened."""

    __tablename__ = "notification_delivery_attempts"

    delivery_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("notification_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str | None] = mapped_column(Text)
