"""Redeeming a reward (for oneself, or as a gift), and the receipts: cancelling (which refunds
them) and fulfilling them.

Like every service, these never commit (see :mod:`stampbook.rewards.services`), and they
take their locks in the order :mod:`stampbook.rewards.locking` describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.util import identity_key

from stampbook.accounts.models import User
from stampbook.accounts.policy import AccountAction
from stampbook.core import clock, outbox
from stampbook.core.db import db, load_with, with_parents
from stampbook.core.errors import Conflict, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.policy import can, require
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.programs.models import Membership, Program
from stampbook.rewards import rules
from stampbook.rewards.discount_rules import is_discount
from stampbook.rewards.loading import (
    MAX_ID,
    get_by_id,
    load_redemption,
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
    DiscountStatus,
    Redemption,
    RedemptionStatus,
    Reward,
)
from stampbook.rewards.policy import Payment, RewardAction, shop_of
from stampbook.rewards.rules import load_settings
from stampbook.rewards.settling import touch

SNAPSHOT_FIELDS = ("id", "name", "summary", "description", "color", "icon", "cost")
# What a discount reward's receipt also keeps: the code is made from these.
DISCOUNT_FIELDS = ("kind", "discount_amount", "discount_currency", "discount_percent")


def snapshot(reward: Reward) -> dict[str, Any]:
    """What a receipt keeps of the reward, whatever happens to the reward later."""
    names = SNAPSHOT_FIELDS + (DISCOUNT_FIELDS if is_discount(reward.kind) else ())
    return {name: getattr(reward, name) for name in names}


_MEMBERSHIP = with_parents(Membership, (Program, Program.id == Membership.program_id))


def _membership(membership_id: int) -> Membership | None:
    """The paying membership, with its program (the ``reward.redeem`` rule reads it next) in
    the same query, unless this request has loaded the membership already."""
    if not 1 <= membership_id <= MAX_ID:
        return None
    found: Membership | None = db.session.identity_map.get(identity_key(Membership, membership_id))
    if found is None:
        row = load_with(_MEMBERSHIP, membership_id)
        found = None if row is None else row[0]
    return found


def payer(actor: User | None, reward: Reward, membership_id: int, action: str) -> Membership:
    """The caller's own membership that pays; admins too pay only with their own."""
    membership = _membership(membership_id)
    require(actor, action, Payment(reward, membership))
    if actor is None or membership is None or membership.user_id != actor.id:
        raise NotFound(thing="membership")
    return membership


def _gift_recipient(actor: User, reward: Reward, gift_to_user_id: int | None) -> int | None:
    if gift_to_user_id is None:
        return None
    if not reward.is_giftable:
        raise Conflict(code="not_giftable")
    if gift_to_user_id == actor.id:
        raise Conflict(code="gift_to_self")
    recipient: User | None = get_by_id(User, gift_to_user_id)
    if (
        recipient is None
        or recipient.is_deleted
        or not can(actor, AccountAction.USER_VIEW, recipient)
    ):
        raise NotFound(thing="user")
    return recipient.id


def redeem(
    actor: User | None,
    *,
    reward_id: int,
    membership_id: int,
    quantity: int = 1,
    gift_to_user_id: int | None = None,
    now: datetime | None = None,
) -> Redemption:
    """Spend a membership's points on a reward; the receipt goes to the caller or, for a
    gift, to the recipient. Checks, in order: visible (404), available (``reward_unavailable``),
    not expired, points, stock, group and user limits (``limit_reached``)."""
    now = now or clock.now()
    reward = load_reward(reward_id)
    membership = payer(actor, reward, membership_id, RewardAction.REWARD_REDEEM)
    assert actor is not None
    recipient_id = _gift_recipient(actor, reward, gift_to_user_id)
    return _spend(
        reward,
        membership,
        quantity=quantity,
        owner_id=recipient_id or actor.id,
        payer_id=actor.id,
        gifted_by=actor.id if recipient_id is not None else None,
        actor_id=actor.id,
        now=now,
    )


def redeem_for_member(
    actor: User | None,
    *,
    reward_id: int,
    membership_id: int,
    quantity: int = 1,
    now: datetime | None = None,
) -> Redemption:
    """The shop's team redeems a reward for a member at the counter (their card scanned):
    the member's points pay, the receipt is the member's. The same checks as :func:`redeem`,
    the member's own limits counted; a customer without an account has no receipt to hold
    (``membership_without_account``)."""
    now = now or clock.now()
    reward = load_reward(reward_id)
    membership = _membership(membership_id)
    require(actor, RewardAction.REWARD_REDEEM_FOR_MEMBER, Payment(reward, membership))
    assert actor is not None  # the rule lets no anonymous caller through
    assert membership is not None
    if membership.user_id is None:
        raise Conflict(code="membership_without_account")
    return _spend(
        reward,
        membership,
        quantity=quantity,
        owner_id=membership.user_id,
        payer_id=membership.user_id,
        gifted_by=None,
        actor_id=actor.id,
        now=now,
    )


def _spend(
    reward: Reward,
    membership: Membership,
    *,
    quantity: int,
    owner_id: int,
    payer_id: int,
    gifted_by: int | None,
    actor_id: int,
    now: datetime,
) -> Redemption:
    """Lock, check the reward's state and limits for ``payer_id``, take the points, issue
    the receipt to ``owner_id``."""
    balances = lock_memberships([membership.id])
    reward = lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound(thing="reward")
    if reward.is_group_reward:
        touch(reward, now)
        raise Conflict(code="group_reward")
    discount = is_discount(reward.kind)
    if discount and quantity != 1:
        raise Conflict(code="discount_quantity")
    tz = zone_of(shop_of(reward.shop_id))
    settings = load_settings(reward.schedule_settings)
    usage = usage_of([reward], {reward.id: settings}, tz, now, payer_id)[reward.id]
    standing = standing_of(
        reward,
        settings=settings,
        tz=tz,
        now=now,
        balance=balances[membership.id],
        usage=usage,
        quantity=quantity,
    )
    raise_if_refused(standing)

    renew(reward, settings, tz, now)
    take_stock(reward, quantity)
    redemption = Redemption(
        shop_id=reward.shop_id,
        reward_id=reward.id,
        user_id=owner_id,
        paid_by_membership_id=membership.id,
        paid_by_user_id=payer_id,
        gifted_by_user_id=gifted_by,
        status=RedemptionStatus.ISSUED,
        quantity=quantity,
        points_paid=standing.price,
        reward_content=snapshot(reward),
        created_at=now,
        # Its code is made once this commits (``stampbook.flows.discount_codes``).
        discount_status=DiscountStatus.PENDING if discount else None,
    )
    db.session.add(redemption)
    db.session.flush()
    entry = ledger.post(
        membership_id=membership.id,
        amount=-standing.price,
        kind=EntryKind.REDEMPTION,
        actor_id=actor_id,
        cause_type="redemption",
        cause_id=redemption.id,
        note=reward.name,
    )
    redemption.ledger_entry_id = entry.id
    db.session.flush()
    announce_created(redemption)
    return redemption


def announce_created(redemption: Redemption) -> None:
    """``redemption.created`` for a receipt just issued (a redemption, a completed pot's)."""
    outbox.record(
        OccurrenceType.REDEMPTION_CREATED,
        shop_id=redemption.shop_id,
        redemption_id=redemption.id,
        reward_id=redemption.reward_id,
        user_id=redemption.user_id,
        paid_by_user_id=redemption.paid_by_user_id,
        membership_id=redemption.paid_by_membership_id,
        quantity=redemption.quantity,
        points=redemption.points_paid,
    )


# --- Receipts -------------------------------------------------------------------------------


def _round_receipts(redemption: Redemption) -> list[Redemption]:
    if redemption.group_round is None:
        return [redemption]
    return list(
        db.session.scalars(
            select(Redemption)
            .where(
                Redemption.reward_id == redemption.reward_id,
                Redemption.group_round == redemption.group_round,
            )
            .order_by(Redemption.id)
            .execution_options(populate_existing=True)
        )
    )


def cancel_redemption(
    actor: User | None, *, redemption_id: int, reason: str, now: datetime | None = None
) -> Redemption:
    """Refund a receipt's points, put its stock back, mark it cancelled; at most once.

    A group receipt cancels its whole completion: every contribution of it is refunded.
    """
    now = now or clock.now()
    redemption = load_redemption(redemption_id)
    require(actor, RewardAction.REDEMPTION_CANCEL, redemption)
    assert actor is not None
    return cancel(redemption, actor_id=actor.id, reason=reason, now=now)


def cancel(
    redemption: Redemption, *, actor_id: int | None, reason: str, now: datetime
) -> Redemption:
    """The work of cancelling, once the caller may: the team's cancel above, and the store
    refusing a discount code (no actor, ``stampbook.rewards.discounting``)."""
    if redemption.status == RedemptionStatus.CANCELLED:
        raise Conflict(code="already_cancelled")
    receipts = _round_receipts(redemption)
    parts: Sequence[Contribution] = []
    if redemption.group_round is not None:
        parts = db.session.scalars(
            select(Contribution)
            .where(Contribution.redemption_id.in_([r.id for r in receipts]))
            .order_by(Contribution.membership_id, Contribution.id)
        ).all()
    lock_memberships([r.paid_by_membership_id for r in receipts])
    reward = lock_reward(redemption.reward_id)
    receipts = _round_receipts(redemption)
    if any(r.status == RedemptionStatus.CANCELLED for r in receipts):
        raise Conflict(code="already_cancelled")

    note = f"Cancelled: {reason}"[:500]
    # A granted receipt (``rewards.granting``) paid nothing: no debit to reverse.
    if redemption.group_round is None and redemption.ledger_entry_id is not None:
        ledger.reverse(
            redemption.ledger_entry_id,
            actor_id=actor_id,
            kind=EntryKind.REFUND,
            note=note,
            membership_id=redemption.paid_by_membership_id,
        )
    for part in parts:
        assert part.ledger_entry_id is not None
        refund = ledger.reverse(
            part.ledger_entry_id,
            actor_id=actor_id,
            kind=EntryKind.REFUND,
            note=note,
            membership_id=part.membership_id,
        )
        part.status = ContributionStatus.REFUNDED
        part.refund_entry_id = refund.id
    if reward.quantity is not None:
        units = 1 if redemption.group_round is not None else redemption.quantity
        write_reward(reward, quantity=min(reward.quantity + units, rules.MAX_STOCK))
    for receipt in receipts:
        receipt.status = RedemptionStatus.CANCELLED
        receipt.cancelled_at = now
        receipt.cancelled_by = actor_id
        receipt.cancel_reason = reason
    db.session.flush()
    for receipt in receipts:
        outbox.record(
            OccurrenceType.REDEMPTION_CANCELLED,
            shop_id=receipt.shop_id,
            redemption_id=receipt.id,
            reward_id=receipt.reward_id,
            user_id=receipt.user_id,
            membership_id=receipt.paid_by_membership_id,
            cancelled_by=actor_id,
            reason=reason,
        )
    return redemption


def fulfil_redemption(
    actor: User | None, *, redemption_id: int, now: datetime | None = None
) -> Redemption:
    """The team handed the reward over. Fulfilling twice is harmless; a cancelled one, no."""
    now = now or clock.now()
    redemption = load_redemption(redemption_id)
    require(actor, RewardAction.REDEMPTION_FULFIL, redemption)
    assert actor is not None
    done = db.session.execute(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.status == RedemptionStatus.ISSUED)
        .values(status=RedemptionStatus.FULFILLED, fulfilled_at=now, fulfilled_by=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(redemption)
    if not getattr(done, "rowcount", 0) and redemption.status == RedemptionStatus.CANCELLED:
        raise Conflict(code="redemption_cancelled")
    return redemption
