"""The sweeps of the points' clocks: memberships whose clocks are due are matured even if
nobody reads them (``maturing``), and members are reminded before their points expire.

A reminder is sent once per membership, expiry date and stage (``ExpiryReminder``'s key,
inserted with ON CONFLICT DO NOTHING), so sweeps that overlap or run again remind once.
A member whose points come within the last-chance window before any warning went out gets
the last chance only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stampbook.core import clock, outbox
from stampbook.core.db import db
from stampbook.core.occurrences import OccurrenceType
from stampbook.ledger.maturing import mature_all
from stampbook.programs.models import (
    LOT_MODES,
    ExpiryMode,
    ExpiryReminder,
    Membership,
    PointLot,
    Program,
)

# At most this many memberships per sweep: a backlog is worked through by the next runs.
BATCH = 500
WARNING, LAST_CHANCE = "warning", "last_chance"


def mature_due(now: datetime | None = None) -> int:
    """Mature memberships whose clocks are due; how many."""
    now = now or clock.now()
    ids = db.session.scalars(
        select(Membership.id)
        .where(Membership.due_at <= now)
        .order_by(Membership.due_at)
        .limit(BATCH)
    ).all()
    mature_all(ids)
    return len(ids)


def remind(now: datetime | None = None) -> int:
    """Remind members whose points expire within their program's warning window; how many
    reminders were sent."""
    now = now or clock.now()
    # A reminder speaks of the points as they are: what the clocks made due (a release, an
    # expiry) is done first; a membership still due after this batch waits for a later run.
    mature_due(now)
    programs = db.session.scalars(
        select(Program).where(
            Program.expiry_mode != ExpiryMode.NEVER, Program.archived_at.is_(None)
        )
    ).all()
    sent = 0
    for program in programs:
        for membership_id, user_id, expires_at, amount, balance in _coming(program, now):
            left = expires_at - now
            stage = (
                LAST_CHANCE if left <= timedelta(days=program.expiry_last_chance_days) else WARNING
            )
            if _first(membership_id, expires_at, stage, now):
                sent += 1
                outbox.record(
                    OccurrenceType.POINTS_EXPIRING,
                    shop_id=program.shop_id,
                    membership_id=membership_id,
                    program_id=program.id,
                    user_id=user_id,
                    stage=stage,
                    amount=amount,
                    expires_at=expires_at.isoformat(),
                    balance=balance,
                )
    return sent


def _coming(program: Program, now: datetime) -> list[tuple[int, int | None, datetime, int, int]]:
    """(membership, user, when, points, balance) of what expires within the warning window."""
    horizon = now + timedelta(days=program.expiry_warning_days)
    last_chance = now + timedelta(days=program.expiry_last_chance_days)
    # Matured (``remind`` matured what was due): its balance, lots and activity are current.
    matured = or_(Membership.due_at.is_(None), Membership.due_at > now)
    if program.expiry_mode in LOT_MODES:
        rows = db.session.execute(
            select(
                Membership.id,
                Membership.user_id,
                PointLot.expires_at,
                func.sum(PointLot.remaining),
                Membership.balance,
            )
            .join(PointLot, PointLot.membership_id == Membership.id)
            .where(
                Membership.program_id == program.id,
                matured,
                PointLot.remaining > 0,
                PointLot.expires_at > now,
                PointLot.expires_at <= horizon,
                # Not reminded yet at this stage: the batch moves on to those who were not.
                ~select(ExpiryReminder.stage)
                .where(
                    ExpiryReminder.membership_id == Membership.id,
                    ExpiryReminder.expires_at == PointLot.expires_at,
                    or_(ExpiryReminder.stage == LAST_CHANCE, PointLot.expires_at > last_chance),
                )
                .exists(),
            )
            .group_by(Membership.id, Membership.user_id, PointLot.expires_at, Membership.balance)
            .order_by(Membership.id, PointLot.expires_at)
            .limit(BATCH)
        ).all()
        return [(m, u, at, int(points), balance) for m, u, at, points, balance in rows]
    assert program.expiry_days is not None  # a mode that expires has its days
    assert program.expiry_since is not None
    span = timedelta(days=program.expiry_days)
    since = program.expiry_since
    # The deadline is the last activity (or the day expiry began) plus the days.
    start = case((Membership.last_activity_at > since, Membership.last_activity_at), else_=since)
    members = db.session.execute(
        select(Membership.id, Membership.user_id, start, Membership.balance)
        .where(
            Membership.program_id == program.id,
            matured,
            Membership.balance > 0,
            start > now - span,
            start <= horizon - span,
        )
        .order_by(Membership.id)
    ).all()
    return [(m, u, at + span, balance, balance) for m, u, at, balance in members]


def _first(membership_id: int, expires_at: datetime, stage: str, now: datetime) -> bool:
    """Record the reminder; False if it was sent before."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    done = db.session.execute(
        insert(ExpiryReminder)
        .values(membership_id=membership_id, expires_at=expires_at, stage=stage, sent_at=now)
        .on_conflict_do_nothing()
        # The row it inserted, if any (psycopg's rowcount is -1 here, whatever happened).
        .returning(ExpiryReminder.stage)
    )
    return done.first() is not None
