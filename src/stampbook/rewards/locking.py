"""Locks and the bookkeeping writes on a locked reward, shared by the services that move
points.

Lock order. Every writer that moves points and touches a reward takes its locks in this
order, so concurrent requests never wait on each other in a cycle:

1. the membership row(s) whose points move, in id order (``SELECT ... FOR UPDATE``; the
   ledger's conditional update then runs on a row this transaction already holds);
2. then the reward row (``SELECT ... FOR UPDATE``);
3. then what hangs off the reward (its redemptions and contributions), which only writers
   holding the reward lock change.

On PostgreSQL (READ COMMITTED) every statement after the reward lock sees what the previous
holder committed, so the limits, counted from the receipts themselves (no counter that could
drift), are exact. On SQLite a write transaction begins with ``BEGIN IMMEDIATE``, writers are
serialised and ``FOR UPDATE`` is a no-op. The stock is still decremented by a conditional
update (``quantity >= q``) whose row count is checked, so it can never go negative.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import attributes

from stampbook.core import clock, due
from stampbook.core.db import db, execute_core
from stampbook.core.errors import Conflict
from stampbook.programs.models import Membership
from stampbook.programs.queries import MEMBERSHIP_CLOCKS
from stampbook.rewards import rules
from stampbook.rewards.models import Reward
from stampbook.rewards.rules import ScheduleSettings

# The statements a redemption runs are built once (see ``stampbook.core.db.with_parents``); those
# of plain columns run without the ORM (``stampbook.core.db.execute_core``).
_LOCK_MEMBERSHIPS = (
    select(Membership.id, Membership.balance, Membership.due_at)
    .where(Membership.id.in_(bindparam("ids", expanding=True)))
    .order_by(Membership.id)
    .with_for_update()
)
_LOCK_REWARD = (
    select(Reward)
    .where(Reward.id == bindparam("reward_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_TAKE_STOCK = (
    update(Reward)
    .where(Reward.id == bindparam("reward_id"), Reward.quantity >= bindparam("quantity"))
    .values(quantity=Reward.quantity - bindparam("quantity"), edited_at=Reward.edited_at)
    .returning(Reward.quantity)
)


def lock_memberships(membership_ids: Iterable[int]) -> dict[int, int]:
    """Step 1 of the lock order: lock memberships in id order; their fresh balances, after
    their clocks (points released or expired by now: ``core.due``) have been run."""
    ids = sorted(set(membership_ids))
    if not ids:
        return {}
    rows = execute_core(_LOCK_MEMBERSHIPS, {"ids": ids}).all()
    now = clock.now()
    due_ids = [row[0] for row in rows if row[2] is not None and row[2] <= now]
    if due_ids:
        due.settle(MEMBERSHIP_CLOCKS, due_ids)
        rows = execute_core(_LOCK_MEMBERSHIPS, {"ids": ids}).all()
    return {row[0]: row[1] for row in rows}


def lock_reward(reward_id: int) -> Reward:
    """Step 2 of the lock order: the reward row, reloaded with what was committed before."""
    reward: Reward = db.session.execute(_LOCK_REWARD, {"reward_id": reward_id}).scalar_one()
    return reward


def write_reward(reward: Reward, **values: Any) -> None:
    """Bookkeeping on a locked reward (stock, renewals, pot) that is not an edit: it leaves
    ``edited_at`` alone, which an ORM flush would bump."""
    db.session.execute(
        update(Reward)
        .where(Reward.id == reward.id)
        .values(**values, edited_at=Reward.edited_at)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        attributes.set_committed_value(reward, name, value)


def take_stock(reward: Reward, quantity: int) -> None:
    """Decrement the stock by a conditional update; its row count decides."""
    if reward.quantity is None:
        return
    params = {"reward_id": reward.id, "quantity": quantity}
    left = execute_core(_TAKE_STOCK, params).scalar_one_or_none()
    if left is None:
        raise Conflict(code="out_of_stock")
    attributes.set_committed_value(reward, "quantity", left)


def renew(reward: Reward, settings: ScheduleSettings, tz: ZoneInfo, now: datetime) -> None:
    """Store the renewals due by ``now`` (the reward must be locked)."""
    stock, mark = rules.renewed_stock(
        reward.quantity, reward.last_renewed_at, settings.quantity_renewal, now, tz
    )
    if (stock, mark) != (reward.quantity, reward.last_renewed_at):
        write_reward(reward, quantity=stock, last_renewed_at=mark)
