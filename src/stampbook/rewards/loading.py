"""Loading rewards and receipts, and what decides a redemption: the reads that the queries
and the services share.

Time. Every service takes ``now`` (default :func:`stampbook.core.clock.now`). Limits, renewals,
availability and expiry are computed from the reward's schedules at that moment, in the
shop's time zone: the user limit counts the member's redemptions since the current period
began (the latest reset instant), and the stock grows by ``renewal_quantity`` for each
renewal instant since ``last_renewed_at`` (up to the cap) when it is next used. No job has to
run for any of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, false, func, literal, select

from stampbook.accounts.models import User
from stampbook.core.db import UTCDateTime, db, load_with, with_parents
from stampbook.core.errors import Conflict, InsufficientPoints, NotFound
from stampbook.core.policy import require
from stampbook.core.zones import zone
from stampbook.rewards import rules
from stampbook.rewards.models import Redemption, RedemptionStatus, Reward
from stampbook.rewards.policy import RewardAction
from stampbook.rewards.rules import ScheduleSettings, Standing
from stampbook.schedules.periods import Period
from stampbook.schedules.rules import is_open
from stampbook.shops.models import Shop

MAX_ID = 2**63 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def zone_of(shop: Shop) -> ZoneInfo:
    return zone(shop.time_zone)


def get_by_id(model: type[Any], object_id: int | None) -> Any:
    if object_id is None or not 1 <= object_id <= MAX_ID:
        return None
    return db.session.get(model, object_id)


def load_shop(shop_id: int) -> Shop:
    shop: Shop | None = get_by_id(Shop, shop_id)
    if shop is None:
        raise NotFound(thing="shop")
    return shop


_REWARD = with_parents(Reward, (Shop, Shop.id == Reward.shop_id))


def load_reward(reward_id: int) -> Reward:
    """A reward that is not deleted, or 404 (before any policy: deleted is gone for all)."""
    row = load_with(_REWARD, reward_id) if 1 <= reward_id <= MAX_ID else None
    if row is None or row[0].is_deleted:
        raise NotFound(thing="reward")
    reward: Reward = row[0]
    return reward


def visible_reward(
    actor: User | None, reward_id: int, action: str = RewardAction.REWARD_VIEW
) -> Reward:
    reward = load_reward(reward_id)
    require(actor, action, reward)
    return reward


def load_redemption(redemption_id: int) -> Redemption:
    redemption: Redemption | None = get_by_id(Redemption, redemption_id)
    if redemption is None:
        raise NotFound(thing="redemption")
    return redemption


# --- What decides a redemption --------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How much of a reward's limits is used in their current periods."""

    group_used: int
    user_used: int
    group_period: Period
    user_period: Period


def _at(moment: datetime | None) -> ColumnElement[Any]:
    return literal(moment or EPOCH, UTCDateTime())


def usage_of(
    rewards: Sequence[Reward],
    settings: Mapping[int, ScheduleSettings],
    tz: ZoneInfo,
    now: datetime,
    payer_id: int | None,
) -> dict[int, Usage]:
    """The limits' usage of several rewards, in one query whatever their number.

    Each reward counts from the start of its own periods; plain rewards count the units
    redeemed, group rewards the completions. The user side counts what ``payer_id`` paid
    for (for themselves or as gifts).
    """
    periods = {
        r.id: (
            rules.limit_period(settings[r.id], "group", now, tz),
            rules.limit_period(settings[r.id], "user", now, tz),
        )
        for r in rewards
    }
    counts: dict[int, tuple[int, int, int, int]] = {}
    limited = [r for r in rewards if r.group_limit is not None or r.user_limit is not None]
    if limited:
        group_since = case(
            {r.id: _at(periods[r.id][0].start) for r in limited},
            value=Redemption.reward_id,
            else_=_at(None),
        )
        user_since = case(
            {r.id: _at(periods[r.id][1].start) for r in limited},
            value=Redemption.reward_id,
            else_=_at(None),
        )
        mine = Redemption.paid_by_user_id == payer_id if payer_id is not None else false()
        in_group = Redemption.created_at >= group_since
        in_user = and_(mine, Redemption.created_at >= user_since)
        rows = db.session.execute(
            select(
                Redemption.reward_id,
                func.sum(case((in_group, Redemption.quantity), else_=0)),
                func.sum(case((in_user, Redemption.quantity), else_=0)),
                func.count(distinct(case((in_group, Redemption.group_round)))),
                func.count(distinct(case((in_user, Redemption.group_round)))),
            )
            .where(
                Redemption.reward_id.in_([r.id for r in limited]),
                Redemption.status != RedemptionStatus.CANCELLED,
            )
            .group_by(Redemption.reward_id)
        ).all()
        counts = {row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows}
    usage = {}
    for r in rewards:
        units_group, units_user, rounds_group, rounds_user = counts.get(r.id, (0, 0, 0, 0))
        group_used, user_used = (
            (rounds_group, rounds_user) if r.is_group_reward else (units_group, units_user)
        )
        usage[r.id] = Usage(group_used, user_used, *periods[r.id])
    return usage


def standing_of(
    reward: Reward,
    *,
    settings: ScheduleSettings,
    tz: ZoneInfo,
    now: datetime,
    balance: int,
    usage: Usage,
    quantity: int = 1,
    price: int | None = None,
    with_reopening: bool = True,
) -> Standing:
    """The facts :func:`rules.refusal` and :func:`rules.status_of` decide on."""
    available = is_open(settings.availability, now, tz)
    stock, _ = rules.renewed_stock(
        reward.quantity, reward.last_renewed_at, settings.quantity_renewal, now, tz
    )
    if price is None:
        # A group reward takes any number of points toward its pot.
        price = 1 if reward.is_group_reward else reward.cost * quantity
    return Standing(
        available=available,
        expired=reward.expiry_date is not None and reward.expiry_date <= now,
        price=price,
        balance=balance,
        stock=stock,
        quantity=quantity,
        available_again_at=(
            rules.next_opening(settings.availability, now, tz)
            if with_reopening and not available
            else None
        ),
        group_used=usage.group_used,
        group_limit=reward.group_limit,
        group_resets_at=usage.group_period.resets_at,
        user_used=usage.user_used,
        user_limit=reward.user_limit,
        user_resets_at=usage.user_period.resets_at,
    )


def raise_if_refused(standing: Standing) -> None:
    refused = rules.refusal(standing)
    if refused is None:
        return
    if refused.code == "insufficient_points":
        raise InsufficientPoints(extra=refused.extra, **refused.extra)
    raise Conflict(code=refused.code, extra=refused.extra, **refused.extra)
