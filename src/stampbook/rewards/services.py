"""Reward use cases: create, edit, delete, favourite, redeem, contribute, cancel, fulfil.

Services never commit; the unit of work around them commits once, so a refused request
changes nothing (a refusal raised after the debit rolls the debit back with everything else).

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
update (``quantity >= q``) whose row count is checked, so it can never go negative. Settling
an expired pot reads its contributors first, locks them, then the reward, and starts over
(``RetryTransaction``) if a contributor it had not locked appeared in between.

Time. Every service takes ``now`` (default :func:`stampbook.core.clock.now`). Limits, renewals,
availability and expiry are computed from the reward's schedules at that moment, in the
shop's time zone: the user limit counts the member's redemptions since the current period
began (the latest reset instant), and the stock grows by ``renewal_quantity`` for each
renewal instant since ``last_renewed_at`` (up to the cap) when it is next used. No job has to
run for any of it.

Group rewards. Members pool points with contributions (one ledger debit each, kind
``contribution``). A contribution takes only what the pot still misses. The contribution
that fills the pot completes the round: one unit of stock goes, every contributing
membership gets its own receipt (a ``Redemption`` with the points it put in; the receipts of
one completion share ``group_round``), and a new round starts empty. Group and user limits
count completions. Cancelling any receipt of a round cancels the whole completion and
refunds every contribution of it. A group reward deleted before completion refunds its open
contributions in the same transaction; one that expires refunds them when it is next touched
(a request that reads or writes it settles it right after answering) or when a job calls
:func:`refund_expired_group_rewards`, whichever comes first; settling twice refunds once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, after_this_request, g, has_request_context
from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    distinct,
    false,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key

from stampbook.accounts.models import User
from stampbook.core import clock, unit_of_work
from stampbook.core.db import UTCDateTime, db, execute_core, load_with, with_parents
from stampbook.core.errors import Conflict, InsufficientPoints, NotFound
from stampbook.core.policy import can, require
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.core.zones import zone
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.programs.models import Membership, Program
from stampbook.rewards import rules
from stampbook.rewards.models import (
    Contribution,
    ContributionStatus,
    Favorite,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardChange,
)
from stampbook.rewards.policy import Payment, shop_of
from stampbook.rewards.rules import ScheduleSettings, Standing, load_settings
from stampbook.schedules.periods import Period
from stampbook.schedules.rules import is_open
from stampbook.shops.models import Shop

logger = logging.getLogger(__name__)

MAX_ID = 2**63 - 1
MAX_REWARDS_PER_SHOP = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
SNAPSHOT_FIELDS = ("id", "name", "summary", "description", "color", "icon", "cost")


# --- Loading --------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()


def zone_of(shop: Shop) -> ZoneInfo:
    return zone(shop.time_zone)


def _get(model: type[Any], object_id: int | None) -> Any:
    if object_id is None or not 1 <= object_id <= MAX_ID:
        return None
    return db.session.get(model, object_id)


def load_shop(shop_id: int) -> Shop:
    shop: Shop | None = _get(Shop, shop_id)
    if shop is None:
        raise NotFound("No such shop.")
    return shop


_REWARD = with_parents(Reward, (Shop, Shop.id == Reward.shop_id))


def load_reward(reward_id: int) -> Reward:
    """A reward that is not deleted, or 404 (before any policy: deleted is gone for all)."""
    row = load_with(_REWARD, reward_id) if 1 <= reward_id <= MAX_ID else None
    if row is None or row[0].is_deleted:
        raise NotFound("No such reward.")
    reward: Reward = row[0]
    return reward


def visible_reward(actor: User | None, reward_id: int, action: str = "reward.view") -> Reward:
    reward = load_reward(reward_id)
    require(actor, action, reward)
    return reward


def load_redemption(redemption_id: int) -> Redemption:
    redemption: Redemption | None = _get(Redemption, redemption_id)
    if redemption is None:
        raise NotFound("No such redemption.")
    return redemption


def snapshot(reward: Reward) -> dict[str, Any]:
    """What a receipt keeps of the reward, whatever happens to the reward later."""
    return {name: getattr(reward, name) for name in SNAPSHOT_FIELDS}


# --- Locks and system writes ----------------------------------------------------------------


# The statements a redemption runs are built once (see ``stampbook.core.db.with_parents``); those
# of plain columns run without the ORM (``stampbook.core.db.execute_core``).
_LOCK_MEMBERSHIPS = (
    select(Membership.id, Membership.balance)
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


def _lock_memberships(membership_ids: Iterable[int]) -> dict[int, int]:
    """Step 1 of the lock order: lock memberships in id order; their fresh balances."""
    ids = sorted(set(membership_ids))
    if not ids:
        return {}
    rows = execute_core(_LOCK_MEMBERSHIPS, {"ids": ids}).all()
    return {row[0]: row[1] for row in rows}


def _lock_reward(reward_id: int) -> Reward:
    """Step 2 of the lock order: the reward row, reloaded with what was committed before."""
    reward: Reward = db.session.execute(_LOCK_REWARD, {"reward_id": reward_id}).scalar_one()
    return reward


def _write_reward(reward: Reward, **values: Any) -> None:
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


def _take_stock(reward: Reward, quantity: int) -> None:
    """Decrement the stock by a conditional update; its row count decides."""
    if reward.quantity is None:
        return
    params = {"reward_id": reward.id, "quantity": quantity}
    left = execute_core(_TAKE_STOCK, params).scalar_one_or_none()
    if left is None:
        raise Conflict("Not enough of this reward is left.", code="out_of_stock")
    attributes.set_committed_value(reward, "quantity", left)


def _renew(reward: Reward, settings: ScheduleSettings, tz: ZoneInfo, now: datetime) -> None:
    """Store the renewals due by ``now`` (the reward must be locked)."""
    stock, mark = rules.renewed_stock(
        reward.quantity, reward.last_renewed_at, settings.quantity_renewal, now, tz
    )
    if (stock, mark) != (reward.quantity, reward.last_renewed_at):
        _write_reward(reward, quantity=stock, last_renewed_at=mark)


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


def _raise_if_refused(standing: Standing) -> None:
    refused = rules.refusal(standing)
    if refused is None:
        return
    if refused.code == "insufficient_points":
        raise InsufficientPoints(refused.detail, **refused.extra)
    raise Conflict(refused.detail, code=refused.code, **refused.extra)


# --- Rewards --------------------------------------------------------------------------------


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
    now = _now(now)
    shop = load_shop(shop_id)
    require(actor, "reward.create", shop)
    assert actor is not None
    alive = db.session.scalar(
        select(func.count())
        .select_from(Reward)
        .where(Reward.shop_id == shop.id, Reward.deleted_at.is_(None))
    )
    if (alive or 0) >= MAX_REWARDS_PER_SHOP:
        raise Conflict(
            f"A shop has at most {MAX_REWARDS_PER_SHOP} rewards.", code="too_many_rewards"
        )
    values = {"schedule_settings": {}, **_normalised(fields)}
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
    now = _now(now)
    reward = visible_reward(actor, reward_id, "reward.edit")
    assert actor is not None
    values = _normalised(changes)
    _settle_if_expired(reward, now)
    reward = _lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound("No such reward.")
    tz = zone_of(shop_of(reward.shop_id))
    # Renewals due so far belong to the old settings: store them before anything changes.
    _renew(reward, load_settings(reward.schedule_settings), tz, now)
    if reward.group_progress > 0 and (
        values.get("is_group_reward", True) is False
        or values.get("cost", reward.cost + 1) <= reward.group_progress
    ):
        raise Conflict(
            "Points are waiting in this reward's pot: raise the cost above them, or delete the "
            "reward to refund them.",
            code="contributions_open",
        )
    changed = False
    for name, new in values.items():
        old = getattr(reward, name)
        if old != new:
            _record(reward, actor.id, now, name, old, new)
            setattr(reward, name, new)
            changed = True
    if changed and ({"quantity", "schedule_settings"} & values.keys()):
        reward.last_renewed_at = now
    db.session.flush()
    return reward


def delete_reward(actor: User | None, *, reward_id: int, now: datetime | None = None) -> None:
    """Soft delete: receipts keep pointing at it; open contributions are refunded now."""
    now = _now(now)
    reward = visible_reward(actor, reward_id, "reward.delete")
    assert actor is not None
    if reward.is_group_reward:
        _refund_open_contributions(reward.id, actor_id=actor.id, note="Reward deleted")
    reward = _lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound("No such reward.")
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
    reward = visible_reward(actor, reward_id, "reward.favorite")
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
    reward = visible_reward(actor, reward_id, "reward.favorite")
    assert actor is not None
    favorite = db.session.scalars(
        select(Favorite).where(Favorite.user_id == actor.id, Favorite.reward_id == reward.id)
    ).first()
    if favorite is not None:
        db.session.delete(favorite)
        db.session.flush()


# --- Redeeming ------------------------------------------------------------------------------


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


def _payer(actor: User | None, reward: Reward, membership_id: int, action: str) -> Membership:
    """The caller's own membership that pays; admins too pay only with their own."""
    membership = _membership(membership_id)
    require(actor, action, Payment(reward, membership))
    if actor is None or membership is None or membership.user_id != actor.id:
        raise NotFound("No such membership.")
    return membership


def _gift_recipient(actor: User, reward: Reward, gift_to_user_id: int | None) -> int | None:
    if gift_to_user_id is None:
        return None
    if not reward.is_giftable:
        raise Conflict("This reward cannot be given as a gift.", code="not_giftable")
    if gift_to_user_id == actor.id:
        raise Conflict(
            "A gift is for someone else; leave gift_to_user_id out to redeem for yourself.",
            code="gift_to_self",
        )
    recipient: User | None = _get(User, gift_to_user_id)
    if recipient is None or recipient.is_deleted or not can(actor, "user.view", recipient):
        raise NotFound("No such user.")
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
    now = _now(now)
    reward = load_reward(reward_id)
    membership = _payer(actor, reward, membership_id, "reward.redeem")
    assert actor is not None
    recipient_id = _gift_recipient(actor, reward, gift_to_user_id)

    balances = _lock_memberships([membership.id])
    reward = _lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound("No such reward.")
    if reward.is_group_reward:
        touch(reward, now)
        raise Conflict(
            "This is a group reward: contribute points toward it instead.", code="group_reward"
        )
    tz = zone_of(shop_of(reward.shop_id))
    settings = load_settings(reward.schedule_settings)
    usage = usage_of([reward], {reward.id: settings}, tz, now, actor.id)[reward.id]
    standing = standing_of(
        reward,
        settings=settings,
        tz=tz,
        now=now,
        balance=balances[membership.id],
        usage=usage,
        quantity=quantity,
    )
    _raise_if_refused(standing)

    _renew(reward, settings, tz, now)
    _take_stock(reward, quantity)
    redemption = Redemption(
        shop_id=reward.shop_id,
        reward_id=reward.id,
        user_id=recipient_id or actor.id,
        paid_by_membership_id=membership.id,
        paid_by_user_id=actor.id,
        gifted_by_user_id=actor.id if recipient_id is not None else None,
        status=RedemptionStatus.ISSUED,
        quantity=quantity,
        points_paid=standing.price,
        reward_content=snapshot(reward),
        created_at=now,
    )
    db.session.add(redemption)
    db.session.flush()
    entry = ledger.post(
        membership_id=membership.id,
        amount=-standing.price,
        kind=EntryKind.REDEMPTION,
        actor_id=actor.id,
        cause_type="redemption",
        cause_id=redemption.id,
        note=reward.name,
    )
    redemption.ledger_entry_id = entry.id
    db.session.flush()
    return redemption


# --- Group rewards --------------------------------------------------------------------------


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
    now = _now(now)
    reward = load_reward(reward_id)
    membership = _payer(actor, reward, membership_id, "reward.contribute")
    assert actor is not None

    balances = _lock_memberships([membership.id])
    reward = _lock_reward(reward.id)
    if reward.is_deleted:
        raise NotFound("No such reward.")
    if not (reward.is_group_reward and reward.can_contribute):
        raise Conflict("This reward takes no contributions.", code="not_contributable")
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
    _raise_if_refused(standing)

    _renew(reward, settings, tz, now)
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
        _write_reward(reward, group_progress=progress)
        db.session.flush()
        return ContributionResult(contribution, reward, completed=False)
    receipts = _complete_round(reward, now)
    return ContributionResult(contribution, reward, completed=True, receipts=receipts)


def _complete_round(reward: Reward, now: datetime) -> list[Redemption]:
    """The pot is full: one unit of stock, a receipt per contributing membership."""
    _take_stock(reward, 1)
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
    _write_reward(reward, group_progress=0, group_round=reward.group_round + 1)
    db.session.flush()
    return receipts


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


def _refund_open_contributions(
    reward_id: int, *, actor_id: int | None, note: str, expired_by: datetime | None = None
) -> int:
    """Give back every open contribution of a group reward, keeping the lock order.

    With ``expired_by``, only if the reward (re-read under its lock) has expired by then.
    Returns how many contributions were refunded; a second call finds none.
    """
    locked = _lock_memberships(c.membership_id for c in _open_contributions(reward_id))
    reward = _lock_reward(reward_id)
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
        _write_reward(reward, group_progress=0)
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


def _settle_if_expired(reward: Reward, now: datetime) -> None:
    if needs_settling(reward, now):
        _refund_open_contributions(reward.id, actor_id=None, note="Reward expired", expired_by=now)


def refund_expired_group_rewards(now: datetime | None = None) -> int:
    """Refund the open contributions of every group reward expired by ``now``.

    For a periodic job; idempotent, and safe to run concurrently with itself and with
    requests. Returns how many contributions were refunded.
    """
    now = _now(now)
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
        _refund_open_contributions(reward_id, actor_id=None, note="Reward expired", expired_by=now)
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
                            _refund_open_contributions,
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
    now = _now(now)
    redemption = load_redemption(redemption_id)
    require(actor, "redemption.cancel", redemption)
    assert actor is not None
    if redemption.status == RedemptionStatus.CANCELLED:
        raise Conflict("This redemption is already cancelled.", code="already_cancelled")
    receipts = _round_receipts(redemption)
    parts: Sequence[Contribution] = []
    if redemption.group_round is not None:
        parts = db.session.scalars(
            select(Contribution)
            .where(Contribution.redemption_id.in_([r.id for r in receipts]))
            .order_by(Contribution.membership_id, Contribution.id)
        ).all()
    _lock_memberships([r.paid_by_membership_id for r in receipts])
    reward = _lock_reward(redemption.reward_id)
    receipts = _round_receipts(redemption)
    if any(r.status == RedemptionStatus.CANCELLED for r in receipts):
        raise Conflict("This redemption is already cancelled.", code="already_cancelled")

    note = f"Cancelled: {reason}"[:500]
    if redemption.group_round is None:
        assert redemption.ledger_entry_id is not None
        ledger.reverse(
            redemption.ledger_entry_id,
            actor_id=actor.id,
            kind=EntryKind.REFUND,
            note=note,
            membership_id=redemption.paid_by_membership_id,
        )
    for part in parts:
        assert part.ledger_entry_id is not None
        refund = ledger.reverse(
            part.ledger_entry_id,
            actor_id=actor.id,
            kind=EntryKind.REFUND,
            note=note,
            membership_id=part.membership_id,
        )
        part.status = ContributionStatus.REFUNDED
        part.refund_entry_id = refund.id
    if reward.quantity is not None:
        units = 1 if redemption.group_round is not None else redemption.quantity
        _write_reward(reward, quantity=min(reward.quantity + units, rules.MAX_STOCK))
    for receipt in receipts:
        receipt.status = RedemptionStatus.CANCELLED
        receipt.cancelled_at = now
        receipt.cancelled_by = actor.id
        receipt.cancel_reason = reason
    db.session.flush()
    return redemption


def fulfil_redemption(
    actor: User | None, *, redemption_id: int, now: datetime | None = None
) -> Redemption:
    """The team handed the reward over. Fulfilling twice is harmless; a cancelled one, no."""
    now = _now(now)
    redemption = load_redemption(redemption_id)
    require(actor, "redemption.fulfil", redemption)
    assert actor is not None
    done = db.session.execute(
        update(Redemption)
        .where(Redemption.id == redemption.id, Redemption.status == RedemptionStatus.ISSUED)
        .values(status=RedemptionStatus.FULFILLED, fulfilled_at=now, fulfilled_by=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(redemption)
    if not getattr(done, "rowcount", 0) and redemption.status == RedemptionStatus.CANCELLED:
        raise Conflict("This redemption was cancelled.", code="redemption_cancelled")
    return redemption
