"""Group rewards: members pool points with contributions.

Each contribution is one ledger debit (kind ``contribution``) and takes only what the pot
still misses. The contribution that fills the pot completes the round: one unit of stock
goes, every contributing membership gets its own receipt (a ``Redemption`` with the points it
put in; the receipts of one completion share ``group_round``), and a new round starts empty.
Group and user limits count completions. Cancelling any receipt of a round cancels the whole
completion and refunds every contribution of it
(:func:`stampbook.rewards.redeeming.cancel_redemption`); a pot that will not be completed is
refunded by :mod:`stampbook.rewards.settling`.

Like every service, these never commit (see :mod:`stampbook.rewards.services`), and they
take their locks in the order :mod:`stampbook.rewards.locking` describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict, NotFound
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.rewards.loading import (
    load_reward,
    raise_if_refused,
    standing_of,
    usage_of,
    zone_of,
)
from stampbook.rewards.locking import (
    lock_memberships,
    lock_reward,
    renew,
    take_stock,
    write_reward,
)
from stampbook.rewards.models import (
    Contribution,
    ContributionStatus,
    Redemption,
    RedemptionStatus,
    Reward,
)
from stampbook.rewards.policy import RewardAction, shop_of
from stampbook.rewards.redeeming import announce_created, payer, snapshot
from stampbook.rewards.rules import load_settings
from stampbook.rewards.settling import touch


@dataclass
class ContributionResult:
    """A contribution, the pot after it, and the caller's receipt if it completed the round."""

    contribution: Contribution
    reward: Reward
    completed: bool
    receipts: list[Redemption] = field(default_factory=list)

    @property
    def redemption(self) -> Redemption | None:
        """The caller's own receipt, when this contribution completed the round."""
        paid_by = self.contribution.membership_id
        return next((r for r in self.receipts if r.paid_by_membership_id == paid_by), None)

    @property
    def group_progress(self) -> int:
        return self.reward.group_progress

    @property
    def cost(self) -> int:
        return self.reward.cost


def contribute(
    actor: User | None,
    *,
    reward_id: int,
    membership_id: int,
    points: int,
    now: datetime | None = None,
) -> ContributionResult:
    """Put points toward a group reward; only what the pot still misses is taken."""
    now = now or clock.now()
    reward = load_reward(reward_id)
    membership = payer(actor, reward, membership_id, RewardAction.REWARD_CONTRIBUTE)
    assert actor is not None

    balances = lock_memberships([membership.id])
    reward = lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound(thing="reward")
    if not (reward.is_group_reward and reward.can_contribute):
        raise Conflict(code="not_contributable")
    tz = zone_of(shop_of(reward.shop_id))
    settings = load_settings(reward.schedule_settings)
    usage = usage_of([reward], {reward.id: settings}, tz, now, actor.id)[reward.id]
    take = min(points, reward.cost - reward.group_progress)
    standing = standing_of(
        reward,
        settings=settings,
        tz=tz,
        now=now,
        balance=balances[membership.id],
        usage=usage,
        price=take,
    )
    touch(reward, now)
    raise_if_refused(standing)

    renew(reward, settings, tz, now)
    contribution = Contribution(
        reward_id=reward.id,
        group_round=reward.group_round,
        membership_id=membership.id,
        user_id=actor.id,
        points=take,
        status=ContributionStatus.OPEN,
        created_at=now,
    )
    db.session.add(contribution)
    db.session.flush()
    entry = ledger.post(
        membership_id=membership.id,
        amount=-take,
        kind=EntryKind.CONTRIBUTION,
        actor_id=actor.id,
        cause_type="contribution",
        cause_id=contribution.id,
        note=reward.name,
    )
    contribution.ledger_entry_id = entry.id
    progress = reward.group_progress + take
    if progress < reward.cost:
        write_reward(reward, group_progress=progress)
        db.session.flush()
        return ContributionResult(contribution, reward, completed=False)
    receipts = _complete_round(reward, now)
    return ContributionResult(contribution, reward, completed=True, receipts=receipts)


def _complete_round(reward: Reward, now: datetime) -> list[Redemption]:
    """The pot is full: one unit of stock, a receipt per contributing membership."""
    take_stock(reward, 1)
    db.session.flush()
    pot = db.session.scalars(
        select(Contribution)
        .where(
            Contribution.reward_id == reward.id,
            Contribution.group_round == reward.group_round,
            Contribution.status == ContributionStatus.OPEN,
        )
        .order_by(Contribution.membership_id, Contribution.id)
    ).all()
    by_membership: dict[int, list[Contribution]] = {}
    for contribution in pot:
        by_membership.setdefault(contribution.membership_id, []).append(contribution)
    receipts = []
    for membership_id, parts in by_membership.items():
        receipt = Redemption(
            shop_id=reward.shop_id,
            reward_id=reward.id,
            user_id=parts[0].user_id,
            paid_by_membership_id=membership_id,
            paid_by_user_id=parts[0].user_id,
            status=RedemptionStatus.ISSUED,
            quantity=1,
            points_paid=sum(part.points for part in parts),
            reward_content=snapshot(reward),
            group_round=reward.group_round,
            created_at=now,
        )
        db.session.add(receipt)
        receipts.append(receipt)
    db.session.flush()
    for receipt, parts in zip(receipts, by_membership.values(), strict=True):
        for part in parts:
            part.status = ContributionStatus.COMPLETED
            part.redemption_id = receipt.id
    write_reward(reward, group_progress=0, group_round=reward.group_round + 1)
    db.session.flush()
    for receipt in receipts:
        announce_created(receipt)
    return receipts
