"""Reward use cases: the catalogue (create, edit, delete, favourite, each edit kept in the
change history), and moving rewards and payments when shops or programs merge.

Redeeming, gifts and receipts are in :mod:`stampbook.rewards.redeeming`, contributions to
group rewards in :mod:`stampbook.rewards.contributing`, refunding the pots of group rewards
that will not be completed in :mod:`stampbook.rewards.settling`; they share the loaders of
:mod:`stampbook.rewards.loading` and the locks of :mod:`stampbook.rewards.locking`.

Services never commit; the unit of work around them commits once, so a refused request
changes nothing (a refusal raised after the debit rolls the debit back with everything else).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict, NotFound
from stampbook.core.policy import require
from stampbook.rewards import discounting
from stampbook.rewards.loading import load_shop, visible_reward, zone_of
from stampbook.rewards.locking import lock_reward, renew
from stampbook.rewards.models import (
    Contribution,
    Favorite,
    Redemption,
    Reward,
    RewardChange,
)
from stampbook.rewards.policy import RewardAction, shop_of
from stampbook.rewards.rules import load_settings
from stampbook.rewards.settling import refund_open_contributions, settle_if_expired

MAX_REWARDS_PER_SHOP = 500
EDITABLE = frozenset(
    {
        "name",
        "summary",
        "description",
        "color",
        "icon",
        "cost",
        "quantity",
        "group_limit",
        "user_limit",
        "expiry_date",
        "is_group_reward",
        "can_contribute",
        "is_giftable",
        "schedule_settings",
    }
)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _record(
    reward: Reward, actor_id: int | None, at: datetime, field_name: str, old: Any, new: Any
) -> None:
    db.session.add(
        RewardChange(
            reward_id=reward.id,
            changed_by=actor_id,
            changed_at=at,
            field=field_name,
            old_value=_jsonable(old),
            new_value=_jsonable(new),
        )
    )


def _normalised(fields: Mapping[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in fields.items() if k not in discounting.API_FIELDS}
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    values = dict(fields)
    if isinstance(values.get("expiry_date"), datetime):
        values["expiry_date"] = values["expiry_date"].astimezone(UTC)
    if "schedule_settings" in values:
        values["schedule_settings"] = load_settings(values["schedule_settings"]).model_dump(
            mode="json"
        )
    return values


def create_reward(
    actor: User | None, *, shop_id: int, fields: Mapping[str, Any], now: datetime | None = None
) -> Reward:
    now = now or clock.now()
    shop = load_shop(shop_id)
    require(actor, RewardAction.REWARD_CREATE, shop)
    assert actor is not None
    alive = db.session.scalar(
        select(func.count())
        .select_from(Reward)
        .where(Reward.shop_id == shop.id, Reward.deleted_at.is_(None))
    )
    if (alive or 0) >= MAX_REWARDS_PER_SHOP:
        raise Conflict(code="too_many_rewards", max=MAX_REWARDS_PER_SHOP)
    values = {"schedule_settings": {}, **_normalised(fields)}
    values |= discounting.discount_columns(shop.id, fields)
    discounting.refuse_group(values["kind"], bool(values.get("is_group_reward")))
    reward = Reward(
        shop_id=shop.id, created_by=actor.id, created_at=now, last_renewed_at=now, **values
    )
    db.session.add(reward)
    db.session.flush()
    return reward


def update_reward(
    actor: User | None, *, reward_id: int, changes: Mapping[str, Any], now: datetime | None = None
) -> Reward:
    """Edit a reward; each changed field is recorded in its change history."""
    now = now or clock.now()
    reward = visible_reward(actor, reward_id, RewardAction.REWARD_EDIT)
    assert actor is not None
    values = _normalised(changes)
    settle_if_expired(reward, now)
    reward = lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound(thing="reward")
    tz = zone_of(shop_of(reward.shop_id))
    # Renewals due so far belong to the old settings: store them before anything changes.
    renew(reward, load_settings(reward.schedule_settings), tz, now)
    if reward.group_progress > 0 and (
        values.get("is_group_reward", True) is False
        or values.get("cost", reward.cost + 1) <= reward.group_progress
    ):
        raise Conflict(code="contributions_open")
    discount = discounting.discount_columns(reward.shop_id, changes, reward)
    discounting.refuse_group(
        discount["kind"], values.get("is_group_reward", reward.is_group_reward)
    )
    before = discounting.api_values(reward)
    changed = False
    for name, new in (values | discount).items():
        old = getattr(reward, name)
        if old != new:
            setattr(reward, name, new)
            changed = True
            if name not in discount:
                _record(reward, actor.id, now, name, old, new)
    after = discounting.api_values(reward)
    for name in discounting.API_FIELDS:
        if before[name] != after[name]:
            _record(reward, actor.id, now, name, before[name], after[name])
    if changed and ({"quantity", "schedule_settings"} & values.keys()):
        reward.last_renewed_at = now
    db.session.flush()
    return reward


def delete_reward(actor: User | None, *, reward_id: int, now: datetime | None = None) -> None:
    """Soft delete: receipts keep pointing at it; open contributions are refunded now."""
    now = now or clock.now()
    reward = visible_reward(actor, reward_id, RewardAction.REWARD_DELETE)
    assert actor is not None
    if reward.is_group_reward:
        refund_open_contributions(reward.id, actor_id=actor.id, note="Reward deleted")
    reward = lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound(thing="reward")
    _record(reward, actor.id, now, "deleted_at", None, now)
    reward.deleted_at = now
    db.session.flush()


def move_rewards(*, from_shop_id: int, to_shop_id: int) -> int:
    """Shop merges: every reward of one shop (deleted ones too) and its receipts move to
    the other shop. Returns how many rewards moved."""
    ids = db.session.scalars(select(Reward.id).where(Reward.shop_id == from_shop_id)).all()
    if not ids:
        return 0
    db.session.execute(
        update(Reward).where(Reward.shop_id == from_shop_id).values(shop_id=to_shop_id)
    )
    db.session.execute(
        update(Redemption).where(Redemption.shop_id == from_shop_id).values(shop_id=to_shop_id)
    )
    at = clock.now()
    db.session.add_all(
        RewardChange(
            reward_id=reward_id,
            changed_by=None,
            changed_at=at,
            field="shop_id",
            old_value=from_shop_id,
            new_value=to_shop_id,
        )
        for reward_id in ids
    )
    db.session.flush()
    return len(ids)


def move_payments(membership_map: Mapping[int, int]) -> None:
    """Program merges: the receipts and contributions paid from a membership folded into
    another (``old id -> new id``) move to it, so that a later refund lands where the
    member's points now are, not on the archived membership."""
    mapping = {old: new for old, new in membership_map.items() if old != new}
    if not mapping:
        return
    db.session.execute(
        update(Redemption)
        .where(Redemption.paid_by_membership_id.in_(list(mapping)))
        .values(paid_by_membership_id=case(mapping, value=Redemption.paid_by_membership_id))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Contribution)
        .where(Contribution.membership_id.in_(list(mapping)))
        .values(membership_id=case(mapping, value=Contribution.membership_id))
        .execution_options(synchronize_session=False)
    )


# --- Favourites -----------------------------------------------------------------------------


def add_favorite(actor: User | None, *, reward_id: int) -> Favorite:
    reward = visible_reward(actor, reward_id, RewardAction.REWARD_FAVORITE)
    assert actor is not None
    query = select(Favorite).where(Favorite.user_id == actor.id, Favorite.reward_id == reward.id)
    existing = db.session.scalars(query).first()
    if existing is not None:
        return existing
    favorite = Favorite(user_id=actor.id, reward_id=reward.id)
    try:
        with db.session.begin_nested():
            db.session.add(favorite)
    except IntegrityError:
        # A parallel request starred it first: the same outcome.
        return db.session.scalars(query).one()
    return favorite


def remove_favorite(actor: User | None, *, reward_id: int) -> None:
    reward = visible_reward(actor, reward_id, RewardAction.REWARD_FAVORITE)
    assert actor is not None
    favorite = db.session.scalars(
        select(Favorite).where(Favorite.user_id == actor.id, Favorite.reward_id == reward.id)
    ).first()
    if favorite is not None:
        db.session.delete(favorite)
        db.session.flush()
