"""Outgoing webhooks: a shop's endpoints, the messages each is sent, and every attempt."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin


class DisabledReason(StrEnum):
    MANUAL = "manual"  # the shop's team turned it off
    GONE = "gone"  # it answered 410 Gone
    FAILING = "failing"  # no success for days


class MessageStatus(StrEnum):
    PENDING = "pending"  # an attempt is due at ``next_attempt_at``
    DELIVERED = "delivered"
    FAILED = "failed"  # the schedule ran out, or the endpoint was disabled


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(280))
    # Occurrence types (``core.occurrences``) it wants; empty means all of them.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too, until ``previous_secret_until``.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(20))
    # The first failure since the last success (None while it succeeds).
    failing_since: Mapped[datetime | None]


class WebhookMessage(IdMixin, Base):
    """One occurrence (or a test) for one endpoint: its body is fixed, and its ``msg_id`` is
    the ``webhook-id`` of every attempt, replays included."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "occurrence_id"),
        # What is due: pending messages by when.
        Index("ix_webhook_messages_due", "status", "next_attempt_at"),
        Index("ix_webhook_messages_endpoint", "endpoint_id", "id"),
    )

    endpoint_id: Mapped[int] = mapped_column(IdType, ForeignKey("webhook_endpoints.id"))
    occurrence_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("occurrences.id"))
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, byte for byte the same each time
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.PENDING)
    # Attempts of the current series (a replay starts a new one): the schedule's position.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class WebhookAttempt(IdMixin, Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),)

    message_id: Mapped[int] = mapped_column(IdType, ForeignKey("webhook_messages.id"), index=True)
    endpoint_id: Mapped[int] = mapped_column(IdType, ForeignKey("webhook_endpoints.id"))
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)  # the start of the reply's body
    # Why it failed without a status: timeout, connection, url_not_allowed (see ``words``).
    error: Mapped[str | None] = mapped_column(String(40))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]  # the retry it planned; None: none
