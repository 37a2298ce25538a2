"""Granting a reward for free: a receipt with ``points_paid`` 0 for a cause another domain
names (a tier's entry reward, a referral's reward), at most once per cause.

:func:`grant` takes the locks of a redemption in their order (the membership, then the
reward: :mod:`stampbook.rewards.locking`), then looks up the cause's row
(``reward_grants``, unique per cause) under them, so a repeated call (a consumer run twice,
two at once) gives one receipt. The stock moves as a redemption's does (renewals first, then
a conditional decrement). What can stop it is an outcome recorded on the row and logged,
never an exception that a consumer would retry forever:

- ``out_of_stock``: none left; ``unavailable``: the reward is deleted, expired, a group
  reward or another shop's; ``member_gone``: the membership left, was removed or archived.
  These are final: a later call answers None again.
- ``waiting``: an unclaimed store customer (no account, and a receipt needs its holder). The
  row waits; once an account claims the membership (``member.joined``), the caller's flow
  calls :func:`grant` again (:func:`waiting` lists them) and the receipt is made then, by the
  reward as it is then.

A granted receipt is a receipt like a bought one (``redemption.created``: discount rewards
get their code, the holder is told), with no ledger entry; cancelling it gives no points
back and puts its stock back. It counts toward the reward's limits like any receipt, which
it does not check (nor the availability windows): a grant is not a purchase.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.rewards.discount_rules import is_discount
from stampbook.rewards.loading import zone_of
from stampbook.rewards.locking import lock_memberships, lock_reward, renew, take_stock
from stampbook.rewards.models import (
    DiscountStatus,
    GrantOutcome,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardGrant,
)
from stampbook.rewards.policy import shop_of
from stampbook.rewards.redeeming import announce_created, snapshot
from stampbook.rewards.rules import load_settings

logger = logging.getLogger(__name__)

_LIVE = frozenset({MembershipStatus.ACTIVE, MembershipStatus.INVITED})


def _row(cause_type: str, cause_id: int) -> RewardGrant | None:
    return db.session.scalars(
        select(RewardGrant)
        .where(RewardGrant.cause_type == cause_type, RewardGrant.cause_id == cause_id)
        .execution_options(populate_existing=True)
    ).first()


def _refusal(membership: Membership, reward: Reward, now: datetime) -> GrantOutcome | None:
    if membership.status not in _LIVE:
        return GrantOutcome.MEMBER_GONE
    program = db.session.get(Program, membership.program_id)
    if (
        program is None
        or program.shop_id != reward.shop_id
        or reward.is_deleted
        or reward.is_group_reward
        or (reward.expiry_date is not None and reward.expiry_date <= now)
    ):
        return GrantOutcome.UNAVAILABLE
    if membership.user_id is None:
        return GrantOutcome.WAITING
    return None


def _receipt(membership: Membership, reward: Reward, now: datetime) -> Redemption | None:
    """The free receipt, once the stock allows it (the reward is locked)."""
    renew(reward, load_settings(reward.schedule_settings), zone_of(shop_of(reward.shop_id)), now)
    try:
        take_stock(reward, 1)
    except Conflict:
        return None
    assert membership.user_id is not None
    redemption = Redemption(
        shop_id=reward.shop_id,
        reward_id=reward.id,
        user_id=membership.user_id,
        paid_by_membership_id=membership.id,
        paid_by_user_id=membership.user_id,
        status=RedemptionStatus.ISSUED,
        quantity=1,
        points_paid=0,
        reward_content=snapshot(reward),
        created_at=now,
        discount_status=DiscountStatus.PENDING if is_discount(reward.kind) else None,
    )
    db.session.add(redemption)
    db.session.flush()
    announce_created(redemption)
    return redemption


def grant(
    *,
    membership_id: int,
    reward_id: int,
    cause_type: str,
    cause_id: int,
    now: datetime | None = None,
) -> Redemption | None:
    """Give ``membership_id`` a free receipt of ``reward_id`` for the cause, once: the
    receipt (the one given before, on a repeated call), or None when none is given (the
    outcome is on the cause's row: :func:`outcome`). Never commits; raises nothing for a
    reward or member that cannot have it."""
    now = now or clock.now()
    if not lock_memberships([membership_id]):
        logger.warning("reward grant %s:%s: no membership %s", cause_type, cause_id, membership_id)
        return None
    if db.session.get(Reward, reward_id) is None:
        logger.warning("reward grant %s:%s: no reward %s", cause_type, cause_id, reward_id)
        return None
    membership = db.session.scalars(
        select(Membership)
        .where(Membership.id == membership_id)
        .execution_options(populate_existing=True)
    ).one()
    reward = lock_reward(reward_id)
    row = _row(cause_type, cause_id)
    if row is not None and row.outcome != GrantOutcome.WAITING:
        return db.session.get(Redemption, row.redemption_id) if row.redemption_id else None
    if row is None:
        row = RewardGrant(
            cause_type=cause_type,
            cause_id=cause_id,
            membership_id=membership.id,
            reward_id=reward.id,
            outcome=GrantOutcome.WAITING,
            created_at=now,
        )
        db.session.add(row)
    outcome = _refusal(membership, reward, now)
    redemption = None
    if outcome is None:
        redemption = _receipt(membership, reward, now)
        outcome = GrantOutcome.GRANTED if redemption else GrantOutcome.OUT_OF_STOCK
    row.outcome = outcome
    row.redemption_id = redemption.id if redemption else None
    row.settled_at = None if outcome == GrantOutcome.WAITING else now
    db.session.flush()
    log = logger.info if outcome == GrantOutcome.GRANTED else logger.warning
    log(
        "reward grant %s:%s of reward %s to membership %s: %s",
        cause_type, cause_id, reward.id, membership.id, outcome,
    )  # fmt: skip
    return redemption


def outcome(cause_type: str, cause_id: int) -> RewardGrant | None:
    """The cause's grant row (its outcome and receipt), if :func:`grant` was called."""
    return _row(cause_type, cause_id)


def waiting(membership_id: int) -> Sequence[RewardGrant]:
    """The grants of a membership still waiting for an account, oldest first."""
    return db.session.scalars(
        select(RewardGrant)
        .where(
            RewardGrant.membership_id == membership_id,
            RewardGrant.outcome == GrantOutcome.WAITING,
        )
        .order_by(RewardGrant.id)
    ).all()
