"""Refunding the pots of group rewards that will not be completed.

A group reward deleted before completion refunds its open contributions in the same
transaction; one that expires refunds them when it is next touched (a request that reads or
writes it settles it right after answering) or when a job calls
:func:`refund_expired_group_rewards`, whichever comes first; settling twice refunds once.

Settling an expired pot reads its contributors first, locks them, then the reward, and starts
over (``RetryTransaction``) if a contributor it had not locked appeared in between (see
:mod:`stampbook.rewards.locking` for the lock order).
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime

from flask import Response, after_this_request, g, has_request_context
from sqlalchemy import select

from stampbook.core import clock, unit_of_work
from stampbook.core.db import db
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.rewards.locking import lock_memberships, lock_reward, write_reward
from stampbook.rewards.models import Contribution, ContributionStatus, Reward

logger = logging.getLogger(__name__)


def _open_contributions(reward_id: int) -> list[Contribution]:
    return list(
        db.session.scalars(
            select(Contribution)
            .where(
                Contribution.reward_id == reward_id,
                Contribution.status == ContributionStatus.OPEN,
            )
            .order_by(Contribution.membership_id, Contribution.id)
            .execution_options(populate_existing=True)
        )
    )


def refund_open_contributions(
    reward_id: int, *, actor_id: int | None, note: str, expired_by: datetime | None = None
) -> int:
    """Give back every open contribution of a group reward, keeping the lock order.

    With ``expired_by``, only if the reward (re-read under its lock) has expired by then.
    Returns how many contributions were refunded; a second call finds none.
    """
    locked = lock_memberships(c.membership_id for c in _open_contributions(reward_id))
    reward = lock_reward(reward_id)
    if expired_by is not None and (
        reward.is_deleted or reward.expiry_date is None or reward.expiry_date > expired_by
    ):
        return 0
    pot = _open_contributions(reward_id)
    if {c.membership_id for c in pot} - locked.keys():
        # Someone contributed between the two reads: start again, locking them first too.
        raise RetryTransaction()
    for contribution in pot:
        assert contribution.ledger_entry_id is not None
        refund = ledger.reverse(
            contribution.ledger_entry_id,
            actor_id=actor_id,
            kind=EntryKind.REFUND,
            note=note,
            membership_id=contribution.membership_id,
        )
        contribution.status = ContributionStatus.REFUNDED
        contribution.refund_entry_id = refund.id
    if reward.group_progress:
        write_reward(reward, group_progress=0)
    db.session.flush()
    return len(pot)


def needs_settling(reward: Reward, now: datetime) -> bool:
    """An expired group reward whose pot still holds points."""
    return (
        reward.is_group_reward
        and reward.group_progress > 0
        and not reward.is_deleted
        and reward.expiry_date is not None
        and reward.expiry_date <= now
    )


def touch(reward: Reward, now: datetime) -> None:
    """A request noticed the reward: settle its pot soon if it expired unfilled."""
    if needs_settling(reward, now):
        settle_soon(reward.id, now)


def settle_if_expired(reward: Reward, now: datetime) -> None:
    if needs_settling(reward, now):
        refund_open_contributions(reward.id, actor_id=None, note="Reward expired", expired_by=now)


def refund_expired_group_rewards(now: datetime | None = None) -> int:
    """Refund the open contributions of every group reward expired by ``now``.

    For a periodic job; idempotent, and safe to run concurrently with itself and with
    requests. Returns how many contributions were refunded.
    """
    now = now or clock.now()
    reward_ids = db.session.scalars(
        select(Reward.id)
        .where(
            Reward.is_group_reward.is_(True),
            Reward.group_progress > 0,
            Reward.deleted_at.is_(None),
            Reward.expiry_date <= now,
        )
        .order_by(Reward.id)
    ).all()
    return sum(
        refund_open_contributions(reward_id, actor_id=None, note="Reward expired", expired_by=now)
        for reward_id in reward_ids
    )


_PENDING = "rewards_to_settle"


def settle_soon(reward_id: int, now: datetime) -> None:
    """Refund an expired group reward's pot right after the current request is answered.

    The request that noticed may be a read (which never commits) or a refused write (which
    rolls back), so the refund runs in a unit of work of its own once the answer is ready.
    Outside a request (a command, a job), the job's own pass settles it.
    """
    if not has_request_context():
        return
    pending: dict[int, datetime] | None = g.get(_PENDING)
    if pending is None:
        pending = g.setdefault(_PENDING, {})

        @after_this_request
        def settle(response: Response) -> Response:
            for pending_id, at in g.pop(_PENDING, {}).items():
                try:
                    unit_of_work.run(
                        functools.partial(
                            refund_open_contributions,
                            pending_id,
                            actor_id=None,
                            note="Reward expired",
                            expired_by=at,
                        )
                    )
                except Exception:
                    logger.exception("settling expired group reward %s failed", pending_id)
            return response

    pending[reward_id] = now
