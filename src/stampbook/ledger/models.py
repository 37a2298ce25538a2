"""The ledger: one signed, immutable entry per change of one membership's points."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DDL, BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from stampbook.core.db import Base, IdMixin, IdType, create_after, utcnow


class EntryKind(StrEnum):
    STAMP = "stamp"
    BONUS = "bonus"
    PURCHASE = "purchase"
    SIGNUP = "signup"
    BIRTHDAY = "birthday"
    REVIEW = "review"
    REFERRAL = "referral"
    ATTENDANCE = "attendance"
    CAMPAIGN = "campaign"
    REDEMPTION = "redemption"
    CONTRIBUTION = "contribution"
    REFUND = "refund"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"
    EXPIRY = "expiry"
    TRANSFER = "transfer"
    MERGE = "merge"


class LedgerEntry(IdMixin, Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        # History pages read a membership's newest entries first.
        Index("ix_ledger_entries_membership_id_id", "membership_id", "id"),
        Index("ix_ledger_entries_cause", "cause_type", "cause_id"),
    )

    membership_id: Mapped[int] = mapped_column(IdType, ForeignKey("memberships.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    # What caused the entry (a stamp, a redemption, an order...), so a reversal can be exact.
    cause_type: Mapped[str | None] = mapped_column(String(30))
    cause_id: Mapped[str | None] = mapped_column(String(64))
    # A reversal names the entry it reverses; unique, so an entry is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("ledger_entries.id"), unique=True
    )
    actor_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Entries are never updated or deleted, whatever code or person tries: the database refuses.
IMMUTABLE_SQLITE = [
    DDL(
        f"CREATE TRIGGER ledger_entries_no_{verb.lower()} BEFORE {verb} ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END"
    )
    for verb in ("UPDATE", "DELETE")
]
IMMUTABLE_POSTGRESQL = [
    DDL(
        "CREATE FUNCTION ledger_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'ledger entries are immutable'; END $$"
    ),
    DDL(
        "CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_immutable()"
    ),
]
create_after(
    LedgerEntry.__table__,  # type: ignore[arg-type]
    {"sqlite": IMMUTABLE_SQLITE, "postgresql": IMMUTABLE_POSTGRESQL},
)
