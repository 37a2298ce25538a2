"""Programs of a shop and the memberships that hold points."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core import codes
from stampbook.core.db import Base, IdMixin, IdType, TimestampMixin, create_after

# The longest name a program may give its points.
POINTS_NAME_MAX = 40


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


class ExpiryMode(StrEnum):
    NEVER = "never"
    AFTER_DAYS = "days"  # ``expiry_days`` after being earned
    MONTH_END = "month"  # at the end of the month ``expiry_days`` after being earned
    YEAR_END = "year"  # at the end of the year ``expiry_days`` after being earned
    INACTIVITY = "inactive"  # the whole balance, ``expiry_days`` after the last activity


# The modes that expire points lot by lot (``PointLot``).
LOT_MODES = frozenset({ExpiryMode.AFTER_DAYS, ExpiryMode.MONTH_END, ExpiryMode.YEAR_END})


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
    # ISO 4217: what the program's orders and purchase rule are priced in (``core.money``).
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    # The program's own name for its points (seed 001: "Star" / "Stars"), shown as typed in
    # every text that counts them (``programs.words.points``); NULL: "point" / "points" in
    # the reader's language. Both or neither (``schemas``).
    points_currency_singular: Mapped[str | None] = mapped_column(String(POINTS_NAME_MAX))
    points_currency_plural: Mapped[str | None] = mapped_column(String(POINTS_NAME_MAX))
    # Pending points (DESIGN 8.4): an order's points wait this many days (the return window)
    # before they can be spent; NULL: none. A change holds only orders paid after it.
    pending_days: Mapped[int | None]
    # Expiry (``ExpiryMode``, ``rules.lot_expires_at``): ``expiry_days`` after the points were
    # earned, then to the end of that month or year, or after that many days without activity.
    # ``expiry_since``: when expiry was turned on; every clock starts there at the earliest.
    expiry_mode: Mapped[str] = mapped_column(String(10), default="never", server_default="never")
    expiry_days: Mapped[int | None]
    expiry_since: Mapped[datetime | None]
    # The reminders before points expire: a warning, then a last chance (days before).
    expiry_warning_days: Mapped[int] = mapped_column(default=30, server_default="30")
    expiry_last_chance_days: Mapped[int] = mapped_column(default=3, server_default="3")
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
    # The member's name (without accents, ``core.folding``) and email in lower case, kept by
    # the database's triggers (below) from the user, or from ``email`` for an unclaimed
    # customer: member search filters a shop's memberships on their own row and looks up only
    # the matches' users.
    search_name: Mapped[str | None] = mapped_column(String(254))
    search_email: Mapped[str | None] = mapped_column(String(254))
    # Points held back (pending, not spendable), the sum of the open ``HeldPoints``.
    pending: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The first moment a clock changes this membership's points (held points released, a lot
    # or the whole balance expiring): a write finding it past matures the membership first
    # (``ledger.maturing``), a read has it matured before answering. NULL: nothing ahead.
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    # The member's last earning or spending (inactivity expiry counts from it).
    last_activity_at: Mapped[datetime | None]
    # A store customer: the store's time of the last update applied (later ones only).
    store_updated_at: Mapped[datetime | None]
    # The member's card code (``cards``): what the team scans at the counter to find the
    # membership; random (``core.codes``, 158 bits), replaced by the member if it leaks (the
    # old one goes to ``cards.models.RetiredCardCode``). It grants nothing by itself.
    card_code: Mapped[str] = mapped_column(
        String(32), unique=True, index=True, default=codes.new_code
    )


# The leaderboard reads the top balances of one program in rank order straight off this index.
Index(
    "ix_memberships_leaderboard",
    Membership.program_id,
    Membership.balance.desc(),
    Membership.id,
)

# The search keys follow the user (or the customer's email) whichever code changes them. The
# name's key is the user's folded ``search_name`` (``core.folding``: accents and case ignored,
# computed in Python), or the lower case of a plain ASCII name, which has none.
_FOLLOW_USER = (
    "BEGIN UPDATE memberships SET "
    "search_name = (SELECT coalesce(search_name, lower(name)) FROM users WHERE id = NEW.user_id), "
    "search_email = lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
    "NEW.email)) WHERE id = NEW.id; END"
)
SEARCH_KEYS_SQLITE = [
    DDL(
        "CREATE TRIGGER memberships_search_keys_insert AFTER INSERT ON memberships " + _FOLLOW_USER
    ),
    DDL(
        "CREATE TRIGGER memberships_search_keys_update AFTER UPDATE OF user_id, email "
        "ON memberships " + _FOLLOW_USER
    ),
    DDL(
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, search_name, email ON users "
        "BEGIN UPDATE memberships SET search_name = coalesce(NEW.search_name, lower(NEW.name)), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; END"
    ),
]
SEARCH_KEYS_POSTGRESQL = [
    DDL(
        "CREATE FUNCTION memberships_search_keys() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN NEW.search_name := "
        "(SELECT coalesce(search_name, lower(name)) FROM users WHERE id = NEW.user_id); "
        "NEW.search_email := lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
        "NEW.email)); RETURN NEW; END $$"
    ),
    DDL(
        "CREATE TRIGGER memberships_search_keys BEFORE INSERT OR UPDATE OF user_id, email "
        "ON memberships FOR EACH ROW EXECUTE FUNCTION memberships_search_keys()"
    ),
    DDL(
        "CREATE FUNCTION users_search_keys() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE memberships SET search_name = coalesce(NEW.search_name, lower(NEW.name)), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; "
        "RETURN NULL; END $$"
    ),
    DDL(
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, search_name, email ON users "
        "FOR EACH ROW EXECUTE FUNCTION users_search_keys()"
    ),
]
create_after(
    Membership.__table__,  # type: ignore[arg-type]
    {"sqlite": SEARCH_KEYS_SQLITE, "postgresql": SEARCH_KEYS_POSTGRESQL},
)


class PointLot(IdMixin, Base):
    """Points earned together that expire together, in a program whose points expire lot by
    lot: ``remaining`` is what spending and expiry have left of ``amount``. A membership's
    lots with something remaining sum to at most its balance (points earned while expiry was
    off are in no lot and never expire); debits take from the soonest-expiring first."""

    __tablename__ = "point_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_within"),
        # Spending and the next-expiring answer read a member's live lots in expiry order.
        Index(
            "ix_point_lots_live",
            "membership_id",
            "expires_at",
            "id",
            sqlite_where=text("remaining > 0"),
            postgresql_where=text("remaining > 0"),
        ),
        # The reminder job finds lots expiring soon across a program.
        Index(
            "ix_point_lots_expiring",
            "expires_at",
            sqlite_where=text("remaining > 0"),
            postgresql_where=text("remaining > 0"),
        ),
    )

    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    earned_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    entry_id: Mapped[int | None] = mapped_column(IdType)  # the credit (none: expiry turned on)


class HeldPoints(IdMixin, Base):
    """Points earned but pending until ``release_at`` (an order's return window): not in the
    balance, not spendable. The release posts them as a ledger entry of ``kind`` with the
    cause given, once; a refund before it cancels what it takes back (``amount`` falls)."""

    __tablename__ = "held_points"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_held_points_source", "source_type", "source_id"),
        Index(
            "ix_held_points_open",
            "membership_id",
            "release_at",
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # the entry kind on release
    cause_type: Mapped[str | None] = mapped_column(String(30))
    cause_id: Mapped[str | None] = mapped_column(String(64))
    # What held them (an order), whose refunds cancel them.
    source_type: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[str] = mapped_column(String(64))
    held_at: Mapped[datetime]
    release_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    entry_id: Mapped[int | None] = mapped_column(IdType)


class ExpiryReminder(Base):
    """A reminder sent before points expire: once per membership, expiry date and stage."""

    __tablename__ = "expiry_reminders"

    membership_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("memberships.id"), primary_key=True
    )
    expires_at: Mapped[datetime] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)  # warning | last_chance
    sent_at: Mapped[datetime]
