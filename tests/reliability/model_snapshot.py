"""What the model-based test reads back from the database after every step, and the same
shape computed from the model, so the two compare with one ``==`` per table.

A snapshot holds only the rows of one example's world (its shops, programs, memberships,
tasks and rewards, and what hangs off them), so examples that share the database never see
each other. Ledger entries are kept whole: an entry, once seen, must never change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select

from stampbook.core.db import db
from stampbook.ledger.models import LedgerEntry
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Contribution, Redemption, RedemptionStatus, Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Stamp, Task, TaskBonusAward
from tests.reliability.model_world import Model

Rows = dict[Any, tuple[Any, ...]]


@dataclass(frozen=True)
class Snapshot:
    shops: Rows
    programs: Rows
    memberships: Rows
    tasks: Rows
    stamps: Rows
    awards: Rows
    rewards: Rows
    redemptions: Rows
    contributions: Rows
    entries: Rows

    def differences(self, other: Snapshot, *, entries: bool = True) -> dict[str, Any]:
        """Per table, the rows that differ: ``{table: {key: (mine, theirs)}}``."""
        found: dict[str, Any] = {}
        for table in (f.name for f in fields(self)):
            if table == "entries" and not entries:
                continue
            mine, theirs = getattr(self, table), getattr(other, table)
            diff = {
                key: (mine.get(key), theirs.get(key))
                for key in mine.keys() | theirs.keys()
                if mine.get(key) != theirs.get(key)
            }
            if diff:
                found[table] = diff
        return found


def read(model: Model) -> Snapshot:
    """The example's world as the database holds it now."""
    connection = db.session.connection()
    shop_ids, program_ids = list(model.shops), list(model.programs)
    task_ids, reward_ids = list(model.tasks), list(model.rewards)

    def rows(query: Any) -> Rows:
        return {row[0]: tuple(row[1:]) for row in connection.execute(query)}

    memberships = rows(
        select(
            Membership.id,
            Membership.user_id,
            Membership.program_id,
            Membership.status,
            Membership.balance,
        ).where(Membership.program_id.in_(program_ids))
    )
    return Snapshot(
        shops=rows(
            select(Shop.id, Shop.deleted_at.is_not(None), Shop.merged_into_id).where(
                Shop.id.in_(shop_ids)
            )
        ),
        programs=rows(
            select(
                Program.id,
                Program.shop_id,
                Program.archived_at.is_not(None),
                Program.merged_into_id,
            ).where(Program.id.in_(program_ids))
        ),
        memberships=memberships,
        tasks=rows(select(Task.id, Task.program_id).where(Task.id.in_(task_ids))),
        stamps=rows(
            select(
                Stamp.id,
                Stamp.task_id,
                Stamp.membership_id,
                Stamp.quantity,
                Stamp.points,
                Stamp.revoked_at.is_(None),
            ).where(Stamp.task_id.in_(task_ids))
        ),
        awards={
            (row[0], row[1], row[2]): (row[3], row[4])
            for row in connection.execute(
                select(
                    TaskBonusAward.task_id,
                    TaskBonusAward.membership_id,
                    TaskBonusAward.bonus_key,
                    TaskBonusAward.stamp_id,
                    TaskBonusAward.points,
                ).where(TaskBonusAward.task_id.in_(task_ids))
            )
        },
        rewards=rows(
            select(
                Reward.id,
                Reward.shop_id,
                Reward.quantity,
                Reward.group_progress,
                Reward.group_round,
                Reward.deleted_at.is_not(None),
            ).where(Reward.id.in_(reward_ids))
        ),
        redemptions=rows(
            select(
                Redemption.id,
                Redemption.reward_id,
                Redemption.paid_by_membership_id,
                Redemption.paid_by_user_id,
                Redemption.user_id,
                Redemption.quantity,
                Redemption.points_paid,
                Redemption.group_round,
                Redemption.status == RedemptionStatus.CANCELLED,
            ).where(Redemption.reward_id.in_(reward_ids))
        ),
        contributions=rows(
            select(
                Contribution.id,
                Contribution.reward_id,
                Contribution.membership_id,
                Contribution.user_id,
                Contribution.points,
                Contribution.group_round,
                Contribution.status,
                Contribution.redemption_id,
            ).where(Contribution.reward_id.in_(reward_ids))
        ),
        entries=rows(
            select(
                LedgerEntry.id,
                LedgerEntry.membership_id,
                LedgerEntry.amount,
                LedgerEntry.balance_after,
                LedgerEntry.kind,
                LedgerEntry.cause_type,
                LedgerEntry.cause_id,
                LedgerEntry.actor_id,
                LedgerEntry.note,
                LedgerEntry.reverses_id,
                LedgerEntry.created_at,
            ).where(LedgerEntry.membership_id.in_(list(memberships)))
        ),
    )


def expected(model: Model, entries: Rows) -> Snapshot:
    """The snapshot the database must match (entries are not modelled: they are taken as
    read and checked by the ledger's own invariants)."""
    return Snapshot(
        shops={s.id: (s.deleted, s.merged_into) for s in model.shops.values()},
        programs={p.id: (p.shop, p.archived, p.merged_into) for p in model.programs.values()},
        memberships={
            m.id: (m.user, m.program, m.status, m.balance) for m in model.memberships.values()
        },
        tasks={t.id: (t.program,) for t in model.tasks.values()},
        stamps={
            s.id: (s.task, s.membership, s.quantity, s.points, s.live)
            for s in model.stamps.values()
        },
        awards={
            (task, membership, key): (award.stamp, award.points)
            for (task, membership), paid in model.awards.items()
            for key, award in paid.items()
        },
        rewards={
            r.id: (r.shop, r.stock, r.progress, r.round, r.deleted) for r in model.rewards.values()
        },
        redemptions={
            r.id: (
                r.reward,
                r.membership,
                r.payer,
                r.owner,
                r.quantity,
                r.points,
                r.round,
                r.cancelled,
            )
            for r in model.redemptions.values()
        },
        contributions={
            c.id: (c.reward, c.membership, c.user, c.points, c.round, c.status, c.receipt)
            for c in model.contributions.values()
        },
        entries=entries,
    )
