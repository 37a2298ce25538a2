"""Merchant loyalty (seed 001): earning rules, what they credited, and a store's orders and
refunds. Points themselves live in the ledger; these rows say why each moved, and hold what
an order earned so that a refund takes back exactly its share (DESIGN 8.4)."""

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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
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
    # The extra points of the member's VIP tier's multiplier (``loyalty.tiering``).
    points_tier: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    points_clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)
    shortfall: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None]
    # Its points are pending until then (the program's return window when it was paid).
    pending_until: Mapped[datetime | None]
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


class CampaignKind(StrEnum):
    MULTIPLIER = "multiplier"  # the rules' points times ``multiplier_percent`` / 100
    BONUS = "bonus"  # ``bonus_points`` more on each credit


class Campaign(IdMixin, TimestampMixin, Base):
    """A time-boxed boost of some rule kinds (all when ``rule_kinds`` is empty). Its points
    are ledger entries of their own (kind ``campaign``, the campaign their cause), so what a
    campaign cost is the sum of its entries. Multipliers do not stack: the highest of those
    running applies; each running bonus campaign adds its points."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window_ordered"),
        Index("ix_campaigns_program_window", "program_id", "starts_at", "ends_at"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    multiplier_percent: Mapped[int | None]  # 200: double points
    bonus_points: Mapped[int | None] = mapped_column(BigInteger)
    rule_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class IntegrationKind(StrEnum):
    SHOPIFY = "shopify"


class Integration(IdMixin, Base):
    """A shop's connection to its online store (seed 001): the store's webhooks earn and
    take back points in ``program_id``, the store's points program. ``secret`` is the store
    app's API secret key, which signs the store's webhooks: it must be read as it is to check
    them, so it is stored as it is, and no API answer or page ever shows it. Disconnected
    (``disabled_at``: the app uninstalled, or the team's choice) it is kept for its log; a
    store's domain belongs to one live connection at a time."""

    __tablename__ = "integrations"
    __table_args__ = (
        Index(
            "uq_integrations_live_shop_domain",
            "shop_domain",
            unique=True,
            sqlite_where=text("disabled_at IS NULL"),
            postgresql_where=text("disabled_at IS NULL"),
        ),
    )

    shop_id: Mapped[int] = mapped_column(IdType, ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=IntegrationKind.SHOPIFY)
    shop_domain: Mapped[str] = mapped_column(String(255))  # lower case: name.myshopify.com
    secret: Mapped[str] = mapped_column(String(255))
    # The store's Admin API access token, with which discount codes are made in the store
    # (``shopify_admin``); optional, write-only like the secret.
    access_token: Mapped[str | None] = mapped_column(String(255))
    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    @property
    def is_live(self) -> bool:
        return self.disabled_at is None


class DeliveryOutcome(StrEnum):
    PENDING = "pending"  # received, its job not done yet
    PROCESSED = "processed"  # the topic's work is done
    IGNORED = "ignored"  # nothing to do (an unknown topic, orders/create, a test order...)
    REFUSED = "refused"  # the services refused it (a currency mismatch...): not retried
    FAILED = "failed"  # its job failed again and again; given up


class IntegrationDelivery(IdMixin, Base):
    """One webhook delivery a store made, once per connection, topic and the signed body's
    id (``resource_key``; ``customers/update`` adds the body's ``updated_at``, as a customer
    changes many times): a redelivery, or a captured body sent again under a new
    ``X-Shopify-Webhook-Id`` (which the signature does not cover), finds the row and does
    nothing. ``payload`` (the signed body) is kept only until the job has done its work."""

    __tablename__ = "integration_deliveries"
    __table_args__ = (
        UniqueConstraint("integration_id", "topic", "resource_key"),
        Index("ix_integration_deliveries_pending", "processed_at", "received_at"),
    )

    integration_id: Mapped[int] = mapped_column(IdType, ForeignKey("integrations.id"))
    topic: Mapped[str] = mapped_column(String(64))
    resource_key: Mapped[str] = mapped_column(String(100))
    webhook_id: Mapped[str | None] = mapped_column(String(100))  # the header, for the log
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(10), default=DeliveryOutcome.PENDING)
    # Why it was ignored, refused or failed: an error code (``core.wording``) or a reason
    # (``integration_words``), with the code's parameters.
    code: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Tries the sweep has made after the first (``webhooks_in.MAX_TRIES`` then failed).
    tries: Mapped[int] = mapped_column(default=0)
    payload: Mapped[str | None] = mapped_column(Text)


class ImportStatus(StrEnum):
    QUEUED = "queued"  # stored, its job not started yet
    RUNNING = "running"  # its job is working through the rows, a batch at a time
    DONE = "done"  # every row is applied, skipped or failed
    FAILED = "failed"  # the job gave up (``error_code`` says why); rows done so far stay


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class CustomerImport(IdMixin, Base):
    """One import of a program's customers (a CSV file, or rows sent as JSON): the import log.
    The file waits in ``customer_import_chunks`` until its job has read it; the job counts its
    rows as it goes (``rows_done`` of ``rows_total``), one committed batch at a time."""

    __tablename__ = "customer_imports"
    __table_args__ = (
        Index("ix_customer_imports_program_id_id", "program_id", "id"),
        # The sweep: imports whose job was lost (queued or running, no heartbeat for a while).
        Index("ix_customer_imports_status_heartbeat", "status", "heartbeat_at"),
    )

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    created_by: Mapped[int] = mapped_column(IdType, ForeignKey("users.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(4), default=ImportFormat.CSV)
    status: Mapped[str] = mapped_column(String(10), default=ImportStatus.QUEUED)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_applied: Mapped[int] = mapped_column(default=0)
    # Rows whose identifier was applied before (by this import or an earlier one): nothing done.
    rows_skipped: Mapped[int] = mapped_column(default=0)
    rows_failed: Mapped[int] = mapped_column(default=0)
    customers_added: Mapped[int] = mapped_column(default=0)
    points_credited: Mapped[int] = mapped_column(BigInteger, default=0)
    points_debited: Mapped[int] = mapped_column(BigInteger, default=0)
    # Why a failed import stopped (``import_words``).
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    # Moved by every batch: a running import without a recent one lost its job.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CustomerImportChunk(Base):
    """A piece of an import's file, in order (``seq``), kept until its job is done: the job
    streams the file from these, never holding more than a piece of it."""

    __tablename__ = "customer_import_chunks"

    import_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("customer_imports.id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CustomerImportFailure(IdMixin, Base):
    """A row an import could not apply: its number (1 is the first row after the header)
    and the reason's code (``import_rules.Reason``)."""

    __tablename__ = "customer_import_failures"
    __table_args__ = (UniqueConstraint("import_id", "row"),)

    import_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer_imports.id"))
    row: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    identifier: Mapped[str | None] = mapped_column(String(100))


class CustomerImportRow(IdMixin, Base):
    """A row identifier applied in a program, once ever (unique): a row whose identifier is
    here is skipped, so uploading a file again pays nothing twice. The points it moved are
    ledger entries whose cause is this row (``import``, its id)."""

    __tablename__ = "customer_import_rows"
    __table_args__ = (UniqueConstraint("program_id", "identifier"),)

    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("programs.id"))
    identifier: Mapped[str] = mapped_column(String(100))
    import_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer_imports.id"), index=True)
    row: Mapped[int]
    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerProfile(Base):
    """What the shop knows of a customer beyond the membership: the name an import (or the
    store) gave. ``search_name`` is the name folded (``core.folding``) for member search."""

    __tablename__ = "customer_profiles"

    membership_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("memberships.id"), primary_key=True
    )
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    search_name: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
