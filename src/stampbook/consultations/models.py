"""Consultations (DESIGN 8.8, seed 002's ``health_professionals`` and
``consultation_sessions``): a shop's hosts (a user of its team or a listed professional),
their weekly schedule in their own time zone, and members' bookings of their slots.

A slot is never booked twice: a partial unique index on (host, start) over the bookings
that hold their slot (every status but cancelled), on SQLite and PostgreSQL alike, and the
host's row locked while a booking is made (``services.book``). Money is in minor units of
``currency`` (``core.money``).
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow


class HostVerification(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class ConsultationStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class ConsultationPayment(StrEnum):
    NOT_REQUIRED = "not_required"
    UNPAID = "unpaid"
    PAID = "paid"
    REFUNDED = "refunded"


class ConsultationType(StrEnum):
    VIDEO = "video"
    PHONE = "phone"
    CHAT = "chat"
    IN_PERSON = "in_person"


class Host(IdMixin, TimestampMixin, Base):
    """Someone members book consultations with: a user of the shop's team (``user_id``) or a
    professional listed by the shop; verified by the shop's managers. The weekly schedule is
    ``weekly_hours`` (``[{"day": 0-6 from Monday, "start": "09:00", "end": "12:30"}]``) in
    ``time_zone``, cut into slots of ``slot_minutes`` with ``buffer_minutes`` between them,
    less the ``days_off`` (local dates, ``"2026-12-24"``)."""

    __tablename__ = "consultation_hosts"
    __table_args__ = (
        CheckConstraint("slot_minutes >= 5 AND slot_minutes <= 480", name="slot_range"),
        CheckConstraint("buffer_minutes >= 0 AND buffer_minutes <= 240", name="buffer_range"),
        CheckConstraint("rate_minor IS NULL OR rate_minor >= 0", name="rate_not_negative"),
        Index("ix_consultation_hosts_shop_id_id", "shop_id", "id"),
    )

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"))
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    professional_name: Mapped[str] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    credentials: Mapped[list[Any]] = mapped_column(JSON, default=list)
    specializations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    years_experience: Mapped[int | None] = mapped_column(Integer)
    # The rate of one session in minor units of ``currency``; None: free of charge.
    rate_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    verification_status: Mapped[str] = mapped_column(String(10), default=HostVerification.PENDING)
    verified_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    weekly_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)
    days_off: Mapped[list[Any]] = mapped_column(JSON, default=list)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # A member may cancel until this many hours before the start (the host and team anytime).
    cancel_hours: Mapped[int] = mapped_column(Integer, default=24)
    is_available: Mapped[bool] = mapped_column(default=True)
    deleted_at: Mapped[datetime | None]

    @property
    def bookable(self) -> bool:
        return (
            self.deleted_at is None
            and self.is_available
            and self.verification_status == HostVerification.VERIFIED
        )


# The bookings that hold their slot: all but the cancelled ones.
_HOLDS_SLOT = text("status <> 'cancelled'")


class Booking(IdMixin, TimestampMixin, Base):
    """A member's consultation with a host at ``starts_at`` (one of the host's slots), with
    the host's private notes (seen by the host and the member only), the member's rating and
    feedback after it was completed (once), and its payment status, recorded by the team."""

    __tablename__ = "consultation_bookings"
    __table_args__ = (
        Index(
            "uq_consultation_bookings_slot",
            "host_id",
            "starts_at",
            unique=True,
            sqlite_where=_HOLDS_SLOT,
            postgresql_where=_HOLDS_SLOT,
        ),
        Index("ix_consultation_bookings_host_id_starts_at", "host_id", "starts_at"),
        Index("ix_consultation_bookings_user_id_starts_at", "user_id", "starts_at"),
        CheckConstraint(
            "user_feedback_rating IS NULL OR "
            "(user_feedback_rating >= 1 AND user_feedback_rating <= 5)",
            name="rating_range",
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    host_id: Mapped[int] = mapped_column(IdType, ForeignKey("consultation_hosts.id"))
    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    session_type: Mapped[str] = mapped_column(String(10), default=ConsultationType.VIDEO)
    status: Mapped[str] = mapped_column(String(10), default=ConsultationStatus.BOOKED)
    topic: Mapped[str | None] = mapped_column(String(500))
    session_notes: Mapped[str | None] = mapped_column(Text)
    user_feedback_rating: Mapped[int | None] = mapped_column(Integer)
    user_feedback_text: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    session_cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payment_status: Mapped[str] = mapped_column(
        String(12), default=ConsultationPayment.NOT_REQUIRED
    )
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None]  # when it was marked completed or a no-show
    closed_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))


class BookingPayment(IdMixin, Base):
    """Money for a booking through the online payments provider (``consultations.paying``):
    a payment (positive) or a refund (negative), each once: ``provider_reference`` is the
    payment intent, or ``{intent}:refund:{cumulative amount}`` for a refund, unique per
    provider, so a second confirmation of the same payment finds its row and does nothing.
    ``status``: ``succeeded``; ``refund_due`` (it came after the booking was cancelled or
    paid otherwise: refunded in full through the provider), ``refunded``."""

    __tablename__ = "consultation_payments"
    __table_args__ = (UniqueConstraint("provider", "provider_reference"),)

    booking_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("consultation_bookings.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(20), default="online")
    status: Mapped[str] = mapped_column(String(12), default="succeeded")
    provider: Mapped[str] = mapped_column(String(20))
    provider_reference: Mapped[str] = mapped_column(String(120))
    paid_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
