"""Reads of rewards and receipts for the API.

The shop's reward list costs the same few queries however many rewards it has: the shop
(and who the caller is in it), the rewards with the caller's favourites and best balance,
and the limits' usage; status and order are then decided by the pure rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, case, func, literal, select

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import may_see_section
from stampbook.core import clock
from stampbook.core.db import IdType, db, execute_core
from stampbook.core.errors import Conflict
from stampbook.core.pagination import HistoryQuery, PageQuery, newest_first, within
from stampbook.core.policy import require
from stampbook.core.schemas import fields_of
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.rewards import rules
from stampbook.rewards.loading import (
    load_redemption,
    load_shop,
    standing_of,
    usage_of,
    visible_reward,
    zone_of,
)
from stampbook.rewards.models import Favorite, Redemption, RedemptionStatus, Reward, RewardChange
from stampbook.rewards.policy import RewardAction, shop_of
from stampbook.rewards.rules import ListEntry, ScheduleSettings, SortOrder, Standing, load_settings
from stampbook.rewards.schemas import (
    RewardDetailOut,
    RewardListItem,
    RewardOut,
    RewardSlimItem,
    UserRef,
)
from stampbook.rewards.settling import touch
from stampbook.shops.models import Shop


def _best_balance_query(*, in_program: bool) -> Select[Any]:
    query = (
        select(func.max(Membership.balance))
        .join(Program, Program.id == Membership.program_id)
        .where(
            Membership.user_id == bindparam("actor_id", type_=IdType),
            Membership.status == MembershipStatus.ACTIVE,
            Program.shop_id == bindparam("shop_id"),
        )
    )
    if in_program:
        query = query.where(Membership.program_id == bindparam("program_id"))
    return query


# Built once (see ``stampbook.core.db.with_parents``).
_BEST_BALANCE = _best_balance_query(in_program=False)


def best_balance(actor: User | None, shop_id: int) -> int:
    """The caller's largest balance among their active memberships in the shop's programs:
    what decides whether a reward is "redeemable" for them."""
    if actor is None:
        return 0
    params = {"actor_id": actor.id, "shop_id": shop_id}
    return int(execute_core(_BEST_BALANCE, params).scalar() or 0)


def _list_query(*, in_program: bool) -> Select[Any]:
    """The shop's live rewards, whether the caller starred each, and the caller's best balance
    (in one program, or in any of the shop's): one round trip, not three."""
    starred = Favorite.id.is_not(None)
    balance = _best_balance_query(in_program=in_program).scalar_subquery()
    return (
        select(Reward, starred, balance)
        .outerjoin(
            Favorite,
            and_(
                Favorite.reward_id == Reward.id,
                Favorite.user_id == bindparam("actor_id", type_=IdType),
            ),
        )
        .where(Reward.shop_id == bindparam("shop_id"), Reward.deleted_at.is_(None))
    )


_LIST = {in_program: _list_query(in_program=in_program) for in_program in (False, True)}


def _favorites(actor: User | None, reward_ids: Sequence[int]) -> set[int]:
    if actor is None or not reward_ids:
        return set()
    return set(
        db.session.scalars(
            select(Favorite.reward_id).where(
                Favorite.user_id == actor.id, Favorite.reward_id.in_(reward_ids)
            )
        )
    )


def _settings(rewards: Sequence[Reward]) -> dict[int, ScheduleSettings]:
    return {r.id: load_settings(r.schedule_settings) for r in rewards}


def _standings(
    actor: User | None,
    rewards: Sequence[Reward],
    settings: Mapping[int, ScheduleSettings],
    tz: ZoneInfo,
    now: datetime,
    balance: int,
    *,
    reopening: bool = False,
) -> dict[int, Standing]:
    usage = usage_of(rewards, settings, tz, now, actor.id if actor else None)
    for reward in rewards:
        touch(reward, now)
    return {
        r.id: standing_of(
            r,
            settings=settings[r.id],
            tz=tz,
            now=now,
            balance=balance,
            usage=usage[r.id],
            with_reopening=reopening,
        )
        for r in rewards
    }


def _full(
    reward: Reward, settings: ScheduleSettings, standing: Standing, is_favorite: bool
) -> dict[str, Any]:
    """The reward's fields with its standing for the caller, validated once by the caller
    (its schedule settings, already validated, are not validated again)."""
    return {
        **fields_of(reward, RewardOut),
        "schedule_settings": settings,
        "quantity": standing.stock,
        "status": rules.status_of(standing),
        "is_favorite": is_favorite,
    }


def list_rewards(
    actor: User | None,
    shop_id: int,
    *,
    sort: SortOrder = SortOrder.DEFAULT,
    hide_expired: bool = False,
    hide_unavailable: bool = False,
    slim: bool = False,
    program_id: int | None = None,
    now: datetime | None = None,
) -> list[RewardListItem | RewardSlimItem]:
    now = now or clock.now()
    shop = load_shop(shop_id)
    require(actor, RewardAction.REWARD_LIST, shop)
    rows = db.session.execute(
        _LIST[program_id is not None],
        {"shop_id": shop.id, "actor_id": actor.id if actor else None, "program_id": program_id},
    ).all()
    if not rows:
        return []
    rewards = [reward for reward, _, _ in rows]
    by_id = {r.id: r for r in rewards}
    favorites = {reward.id for reward, starred, _ in rows if starred}
    balance = int(rows[0][2] or 0)
    settings = _settings(rewards)
    standings = _standings(actor, rewards, settings, zone_of(shop), now, balance)
    entries = [
        ListEntry(
            id=r.id,
            name=r.name,
            cost=r.cost,
            created_at=r.created_at,
            status=rules.status_of(standings[r.id]),
            is_favorite=r.id in favorites,
        )
        for r in rewards
    ]
    entries = rules.filter_entries(
        entries, hide_expired=hide_expired, hide_unavailable=hide_unavailable
    )
    shop_order = [i for i in shop.order_reward_ids or [] if isinstance(i, int)]
    items: list[RewardListItem | RewardSlimItem] = []
    for entry in rules.sort_entries(entries, sort, shop_order):
        if slim:
            items.append(
                RewardSlimItem(id=entry.id, name=entry.name, cost=entry.cost, status=entry.status)
            )
        else:
            reward = by_id[entry.id]
            items.append(
                RewardListItem.model_validate(
                    _full(reward, settings[reward.id], standings[reward.id], entry.is_favorite)
                )
            )
    return items


def reward_detail(
    actor: User | None, reward_id: int, *, now: datetime | None = None
) -> RewardDetailOut:
    now = now or clock.now()
    reward = visible_reward(actor, reward_id)
    shop = shop_of(reward.shop_id)
    balance = best_balance(actor, shop.id)
    settings = _settings([reward])
    tz = zone_of(shop)
    standing = _standings(actor, [reward], settings, tz, now, balance, reopening=True)[reward.id]
    last = db.session.scalars(
        select(Redemption)
        .where(Redemption.reward_id == reward.id, Redemption.status != RedemptionStatus.CANCELLED)
        .order_by(Redemption.created_at.desc(), Redemption.id.desc())
        .limit(1)
    ).first()
    last_by = None
    if last is not None:
        owner = db.session.get(User, last.user_id)
        if owner is not None and may_see_section(actor, owner, Section.REDEMPTIONS):
            last_by = UserRef.model_validate(owner)
    return RewardDetailOut.model_validate(
        {
            **_full(
                reward, settings[reward.id], standing, reward.id in _favorites(actor, [reward.id])
            ),
            "available_again_at": standing.available_again_at,
            "last_redeemed_at": last.created_at if last is not None else None,
            "last_redeemed_by": last_by,
        }
    )


def reward_changes(
    actor: User | None, reward_id: int, page: PageQuery
) -> tuple[Sequence[RewardChange], str | None]:
    reward = visible_reward(actor, reward_id, RewardAction.REWARD_VIEW_CHANGES)
    return newest_first(
        select(RewardChange).where(RewardChange.reward_id == reward.id), RewardChange.id, page
    )


def _receipts(query: Select[Any], history: HistoryQuery) -> tuple[Sequence[Redemption], str | None]:
    return newest_first(within(query, Redemption.created_at, history), Redemption.id, history)


def my_redemptions(
    actor: User, history: HistoryQuery, *, shop_id: int | None = None
) -> tuple[Sequence[Redemption], str | None]:
    """The caller's receipts (their own redemptions and gifts they received)."""
    query = select(Redemption).where(Redemption.user_id == actor.id)
    if shop_id is not None:
        query = query.where(Redemption.shop_id == shop_id)
    return _receipts(query, history)


def shop_redemptions(
    actor: User | None,
    shop_id: int,
    history: HistoryQuery,
    *,
    reward_id: int | None = None,
    status: RedemptionStatus | None = None,
) -> tuple[Sequence[Redemption], str | None]:
    shop = load_shop(shop_id)
    require(actor, RewardAction.REDEMPTION_LIST_FOR_SHOP, shop)
    query = select(Redemption).where(Redemption.shop_id == shop.id)
    if reward_id is not None:
        query = query.where(Redemption.reward_id == reward_id)
    if status is not None:
        query = query.where(Redemption.status == status)
    return _receipts(query, history)


def reward_redemptions(
    actor: User | None, reward_id: int, history: HistoryQuery
) -> tuple[Sequence[Redemption], str | None]:
    reward = visible_reward(actor, reward_id, RewardAction.REWARD_VIEW_REDEMPTIONS)
    return _receipts(select(Redemption).where(Redemption.reward_id == reward.id), history)


def get_redemption(actor: User | None, redemption_id: int) -> Redemption:
    redemption = load_redemption(redemption_id)
    require(actor, RewardAction.REDEMPTION_VIEW, redemption)
    return redemption


FAVOURITES = 20


@dataclass(frozen=True)
class FavouriteLine:
    reward_id: int
    reward_name: str
    cost: int
    shop_id: int
    shop_name: str


def favourite_rewards(user_id: int, limit: int = FAVOURITES) -> list[FavouriteLine]:
    rows = db.session.execute(
        select(Reward.id, Reward.name, Reward.cost, Shop.id, Shop.name)
        .join(Favorite, Favorite.reward_id == Reward.id)
        .join(Shop, Shop.id == Reward.shop_id)
        .where(
            Favorite.user_id == user_id,
            Reward.deleted_at.is_(None),
            Shop.deleted_at.is_(None),
        )
        .order_by(Shop.name, Reward.name)
        .limit(limit)
    ).all()
    return [FavouriteLine(*row) for row in rows]


def redemptions_since(since: Mapping[int, datetime]) -> dict[int, int]:
    """Receipts issued in each shop since its own instant, cancelled ones left out:
    ``{shop_id: start}`` in, ``{shop_id: receipts}`` out (one query; a shop without any is
    left out). The owner's home asks with each shop's local midnight."""
    if not since:
        return {}
    rows = db.session.execute(
        select(Redemption.shop_id, func.count(Redemption.id))
        .where(
            Redemption.shop_id.in_(list(since)),
            Redemption.status != RedemptionStatus.CANCELLED,
            Redemption.created_at
            >= case(
                {shop: literal(start, Redemption.created_at.type) for shop, start in since.items()},
                value=Redemption.shop_id,
            ),
        )
        .group_by(Redemption.shop_id)
    ).all()
    return {int(shop_id): int(count) for shop_id, count in rows}


def shop_reward_id(program: Program, reward_id: int | None) -> int | None:
    """``reward_id`` once it names a reward of the program's shop (a tier's entry reward, a
    referral's reward): another shop's or none is 409 ``reward_not_in_shop``."""
    if reward_id is None:
        return None
    reward = db.session.get(Reward, reward_id)
    if reward is None or reward.shop_id != program.shop_id:
        raise Conflict(code="reward_not_in_shop")
    return reward_id
