"""A program's pending and expiry settings, and what changing them does to the clocks of its
members' points (``ledger.maturing`` runs the clocks)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, insert, literal, null, select, update

from stampbook.core import due
from stampbook.core.db import UTCDateTime, db
from stampbook.core.errors import Conflict
from stampbook.core.zones import zone
from stampbook.programs.models import LOT_MODES, ExpiryMode, Membership, PointLot, Program
from stampbook.programs.queries import MEMBERSHIP_CLOCKS
from stampbook.programs.rules import lot_expires_at
from stampbook.shops.models import Shop

SETTINGS = frozenset(
    {
        "pending_days",
        "expiry_mode",
        "expiry_days",
        "expiry_warning_days",
        "expiry_last_chance_days",
    }
)


def apply(program: Program, changes: dict[str, Any], now: datetime) -> None:
    """Set the program's pending and expiry settings from ``changes``. Turning expiry on, or
    choosing another mode, starts every clock at ``now``: what members hold becomes one lot
    earned now, so nothing expires before one full period. Changing only the days of an
    expiry by lots applies to points earned after; turning expiry off restores nothing."""
    if program.id is not None:
        _settle(program, now)
    before = (program.expiry_mode, program.expiry_days)
    for field in SETTINGS & changes.keys():
        setattr(program, field, changes[field])
    _check(program)
    mode = program.expiry_mode
    if mode == ExpiryMode.NEVER:
        program.expiry_since = None
        return
    restart = before[0] != mode or (
        mode == ExpiryMode.INACTIVITY and before[1] != program.expiry_days
    )
    if restart or program.expiry_since is None:
        program.expiry_since = now
        db.session.flush()
        if program.id is not None:
            _restart_clocks(program, now)


def _settle(program: Program, now: datetime) -> None:
    """What the clocks did by ``now`` under the settings being replaced (points released,
    expired) is done first, so that the change never depends on whether the sweeping job
    had run: points already expired are not kept by turning expiry off or restarting it."""
    due.settle(
        MEMBERSHIP_CLOCKS,
        db.session.scalars(
            select(Membership.id).where(
                Membership.program_id == program.id, Membership.due_at <= now
            )
        ).all(),
    )


def _check(program: Program) -> None:
    mode, days = program.expiry_mode, program.expiry_days
    if mode != ExpiryMode.NEVER:
        if days is None:
            raise Conflict(code="expiry_days_required")
        if days == 0 and mode in (ExpiryMode.AFTER_DAYS, ExpiryMode.INACTIVITY):
            raise Conflict(code="expiry_days_required")
    if program.expiry_last_chance_days >= program.expiry_warning_days:
        raise Conflict(code="expiry_reminders_unordered")


def _restart_clocks(program: Program, now: datetime) -> None:
    members = select(Membership.id).where(Membership.program_id == program.id)
    db.session.execute(delete(PointLot).where(PointLot.membership_id.in_(members)))
    assert program.expiry_days is not None  # _check
    if program.expiry_mode in LOT_MODES:
        shop = db.session.get(Shop, program.shop_id)
        assert shop is not None  # a foreign key guarantees it
        deadline = lot_expires_at(
            now, program.expiry_mode, program.expiry_days, zone(shop.time_zone)
        )
        db.session.execute(
            insert(PointLot).from_select(
                ["membership_id", "amount", "remaining", "earned_at", "expires_at", "entry_id"],
                select(
                    Membership.id,
                    Membership.balance,
                    Membership.balance,
                    literal(now, UTCDateTime()),
                    literal(deadline, UTCDateTime()),
                    null(),
                ).where(Membership.program_id == program.id, Membership.balance > 0),
            )
        )
    else:
        deadline = now + timedelta(days=program.expiry_days)
    db.session.execute(
        update(Membership)
        .where(Membership.program_id == program.id, Membership.balance > 0)
        .values(
            due_at=case(
                (Membership.due_at.is_(None), literal(deadline, UTCDateTime())),
                (Membership.due_at > deadline, literal(deadline, UTCDateTime())),
                else_=Membership.due_at,
            )
        )
        .execution_options(synchronize_session=False)
    )
