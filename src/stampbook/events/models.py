"""Events (DESIGN 8.8, seeds 003 and 004): a shop's events, the series a recurring one
belongs to, registrations with their tickets, and payments recorded against them.

A recurring event is a series (``event_series``: the rrule, the local start time and the
zone) whose occurrences are rows of ``events`` generated ahead for a window (``rules``); each
occurrence is an event of its own, edited or cancelled alone, and registrations attach to one
dated occurrence. ``events.registered`` counts the seats taken (registered or attended): the
guarded update that raises it is what keeps capacity under concurrency. Money is minor units
of the event's currency.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, utcnow


class EventSeries(IdMixin, TimestampMixin, Base):
    """A recurring event: an RFC 5545 RRULE over local dates, each occurrence starting at
    ``local_start`` (wall time, ``HH:MM``) in ``time_zone`` and lasting ``duration_minutes``;
    ``generated_until`` is the last local date occurrences were made for."""

    __tablename__ = "event_series"

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    rrule: Mapped[str] = mapped_column(String(500))
    local_start: Mapped[str] = mapped_column(String(5))
    first_day: Mapped[date] = mapped_column(Date)
    time_zone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    generated_until: Mapped[date | None] = mapped_column(Date)
    ended_at: Mapped[datetime | None]


class Event(IdMixin, TimestampMixin, Base):
    """One dated event (alone, or an occurrence of a series)."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("registered >= 0", name="registered_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        UniqueConstraint("series_id", "series_key"),
        Index("ix_events_shop_id_starts_at", "shop_id", "starts_at"),
    )

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"))
    series_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("event_series.id"))
    # The occurrence's local date in its series (``YYYY-MM-DD``): made once per series.
    series_key: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    event_type: Mapped[str] = mapped_column(String(50), default="", index=True)
    location: Mapped[str] = mapped_column(String(255), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int | None] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    cancellation_deadline: Mapped[datetime | None]
    price: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    hold_hours: Mapped[int] = mapped_column(Integer, default=48)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    program_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("programs.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Members may check themselves in with the door screen's rotating code (events.door).
    self_check_in: Mapped[bool] = mapped_column(default=False, server_default=false())
    cancelled_at: Mapped[datetime | None]
    # When the no-show job closed the event (registered -> no_show).
    closed_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None]


class Registration(IdMixin, TimestampMixin, Base):
    """A person's place at one event: registered (a seat), waitlisted (in join order),
    cancelled, attended or no_show; its ticket code; for a paid event the payment status and
    how long an unpaid seat is held."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_registrations_event_id_status_joined_at", "event_id", "status", "joined_at"),
        Index("ix_registrations_hold_expires_at", "hold_expires_at"),
    )

    event_id: Mapped[int] = mapped_column(IdType, ForeignKey("events.id"))
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    ticket_code: Mapped[str] = mapped_column(String(40), unique=True)
    # When they (last) joined: the waiting list's order.
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    payment_status: Mapped[str] = mapped_column(String(8), default="free")  # free|unpaid|paid
    hold_expires_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(20))
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    checked_in_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    # The scanning client's nonce: the same scan replayed answers as the first did.
    check_in_nonce: Mapped[str | None] = mapped_column(String(64))
    # The attendance points' ledger entry (once: the guarded check-in writes it).
    points_entry_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("ledger_entries.id"))


class Payment(IdMixin, Base):
    """A payment for a registration (seed 003's ``payment``): recorded by the team (cash,
    card) now; an online provider's checkout later fills ``provider`` and
    ``provider_reference`` (unique: a confirmation applies once). A refund is a row with a
    negative amount."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_reference"),
        Index("ix_payments_event_id_paid_at", "event_id", "paid_at"),
    )

    registration_id: Mapped[int] = mapped_column(IdType, ForeignKey("registrations.id"), index=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    event_id: Mapped[int] = mapped_column(IdType, ForeignKey("events.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(20))  # cash | card | online
    status: Mapped[str] = mapped_column(String(12), default="succeeded")
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_reference: Mapped[str | None] = mapped_column(String(120))
    paid_at: Mapped[datetime]
    recorded_by: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentDelivery(IdMixin, Base):
    """One webhook event from the online payments provider (Stripe's ``evt_...``), kept once
    per provider and event id: a delivery sent again finds the row and changes nothing.
    ``outcome`` says what it did (``events.paying``); the body itself is not kept."""

    __tablename__ = "payment_deliveries"
    __table_args__ = (UniqueConstraint("provider", "delivery_id"),)

    provider: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(100))
    registration_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("registrations.id"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckoutSession(IdMixin, Base):
    """A Checkout Session the online payments provider made (``events.paying``), for a seat
    (``kind`` ``registration``) or a consultation (``booking``), kept under the
    ``Idempotency-Key`` it was asked with: the same key asked again answers the same session,
    and the API says it is not new (200, not 201)."""

    __tablename__ = "checkout_sessions"
    __table_args__ = (UniqueConstraint("provider", "idempotency_key"),)

    provider: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    session_id: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(IdType)
    expires_at: Mapped[datetime]  # when the provider ends it: asked for again after
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
