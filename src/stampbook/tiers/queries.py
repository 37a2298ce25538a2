"""Reads of the tiers domain other domains may call (loyalty reads a member's multiplier)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import bindparam, case, func, literal, select

from stampbook.accounts.models import User
from stampbook.core import clock, due
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.policy import require
from stampbook.core.zones import zone
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.rewards.models import Reward
from stampbook.schedules.periods import local_date
from stampbook.shops.models import Shop
from stampbook.tiers import rules
from stampbook.tiers.models import MemberTier, Tier, TierSettings, TierTotal
from stampbook.tiers.policy import TierAction

# The ``core.due`` kind of a member whose held period ended (``standing.refresh`` does it).
DUE_KIND = "member_tier"


def settings_of(program_id: int) -> TierSettings | None:
    return db.session.get(TierSettings, program_id)


def ladder(program_id: int) -> list[Tier]:
    """A program's live tiers, lowest threshold first."""
    return list(
        db.session.scalars(
            select(Tier)
            .where(Tier.program_id == program_id, Tier.deleted_at.is_(None))
            .order_by(Tier.threshold)
        )
    )


def standing(membership_id: int) -> MemberTier | None:
    return db.session.get(MemberTier, membership_id)


def totals(membership_id: int, first: int, last: int) -> dict[int, int]:
    """A membership's qualifying amounts per bucket from ``first`` to ``last``."""
    rows = db.session.execute(
        select(TierTotal.bucket, TierTotal.amount).where(
            TierTotal.membership_id == membership_id,
            TierTotal.bucket >= first,
            TierTotal.bucket <= last,
        )
    )
    return {int(bucket): int(amount) for bucket, amount in rows}


def total(membership_id: int, first: int, last: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(TierTotal.amount), 0)).where(
                TierTotal.membership_id == membership_id,
                TierTotal.bucket >= first,
                TierTotal.bucket <= last,
            )
        )
        or 0
    )


def multiplier_percent(membership_id: int) -> int:
    """The multiplier of the member's tier (100 without one), once a held period that ended
    has been reviewed: a member who fell at the year's end earns at the lower tier's rate."""
    query = (
        select(Tier.multiplier_percent, MemberTier.review_at)
        .join(MemberTier, MemberTier.tier_id == Tier.id)
        .where(MemberTier.membership_id == membership_id)
    )
    row = db.session.execute(query).first()
    if row is not None and row.review_at is not None and row.review_at <= clock.now():
        due.settle(DUE_KIND, [membership_id])
        row = db.session.execute(query).first()
    return int(row.multiplier_percent) if row is not None else 100


def load_tier(actor: User | None, tier_id: int, action: str = TierAction.MANAGE) -> Tier:
    found = db.session.get(Tier, tier_id)
    if found is None:
        raise NotFound(thing="tier")
    require(actor, action, found)
    return found


def member_counts(program_id: int) -> dict[int, int]:
    """How many members sit in each tier of the program now: one grouped statement."""
    rows = db.session.execute(
        select(MemberTier.tier_id, func.count())
        .where(MemberTier.program_id == program_id, MemberTier.tier_id.is_not(None))
        .group_by(MemberTier.tier_id)
    )
    return {int(tier_id): int(count) for tier_id, count in rows if tier_id is not None}


def preview_counts(
    program_id: int, thresholds: Sequence[int], *, today: date | None = None
) -> list[int]:
    """How many of the program's active members would sit in each tier of ``thresholds``
    (ascending) by their qualifying total on ``today`` (the shop's local day now by default;
    the buckets of the window its period gives, ``rules.window``): one grouped statement, a
    CASE over the thresholds on the members' summed ``tier_totals``; no member's row reaches
    Python, only a count per tier."""
    if not thresholds:
        return []
    settings = settings_of(program_id)
    period = settings.period if settings is not None else rules.PeriodKind.LIFETIME
    if today is None:
        shop = db.session.scalar(
            select(Shop).join(Program, Program.shop_id == Shop.id).where(Program.id == program_id)
        )
        today = local_date(clock.now(), zone(shop.time_zone if shop else None))
    first, last = rules.window(period, today)
    totals = (
        select(TierTotal.membership_id, func.sum(TierTotal.amount).label("total"))
        .join(Membership, Membership.id == TierTotal.membership_id)
        .where(
            Membership.program_id == program_id,
            Membership.status == MembershipStatus.ACTIVE,
            TierTotal.bucket >= first,
            TierTotal.bucket <= last,
        )
        .group_by(TierTotal.membership_id)
        .subquery()
    )
    highest_first = list(reversed(list(enumerate(thresholds))))
    place = case(
        *[
            (totals.c.total >= bindparam(f"threshold_{index}", threshold), literal(index))
            for index, threshold in highest_first
        ],
        else_=literal(-1),
    ).label("place")
    rows = db.session.execute(select(place, func.count()).group_by(place))
    counts = [0] * len(thresholds)
    for index, count in rows:
        if index is not None and 0 <= int(index) < len(counts):
            counts[int(index)] = int(count)
    return counts


def shop_rewards(shop_id: int) -> list[tuple[int, str]]:
    """The shop's live rewards a tier may give on entry (not group rewards), by name."""
    rows = db.session.execute(
        select(Reward.id, Reward.name)
        .where(
            Reward.shop_id == shop_id,
            Reward.deleted_at.is_(None),
            Reward.is_group_reward.is_(False),
        )
        .order_by(Reward.name, Reward.id)
    )
    return [(int(reward_id), str(name)) for reward_id, name in rows]


def program_glance(program_id: int, membership_id: int | None) -> list[tuple[int, str, int | None]]:
    """A program's live tiers (id, name), lowest first, each with the member's tier id (the
    same on every row; None without a membership or a tier): one statement, for the
    program's page."""
    mine = (
        select(MemberTier.tier_id)
        .where(MemberTier.membership_id == (membership_id or 0))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Tier.id, Tier.name, mine)
        .where(Tier.program_id == program_id, Tier.deleted_at.is_(None))
        .order_by(Tier.threshold)
    )
    return [(int(tier_id), str(name), held) for tier_id, name, held in rows]


def tier_names(membership_ids: Iterable[int]) -> dict[int, str]:
    """Each of these memberships' VIP tier name, for those in a tier: one statement (the
    customers' list shows it beside the balance)."""
    ids = list(membership_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(MemberTier.membership_id, Tier.name)
        .join(Tier, Tier.id == MemberTier.tier_id)
        .where(MemberTier.membership_id.in_(ids))
    )
    return {int(membership_id): name for membership_id, name in rows}
