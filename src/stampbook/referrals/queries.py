"""Reads of the referrals domain: settings, codes, a member's friends, the people behind a
membership as the fraud rules compare them, and the analytics (set-based SQL: grouped
counts and a median by window functions, never rows loaded into Python)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.policy import require
from stampbook.loyalty.models import CustomerProfile, Order
from stampbook.programs.models import Membership
from stampbook.referrals import rules
from stampbook.referrals.models import Referral, ReferralCode, ReferralInvitation, ReferralSettings
from stampbook.referrals.policy import ReferralAction
from stampbook.referrals.rules import Party, ReferralStatus


def settings_of(program_id: int) -> ReferralSettings | None:
    return db.session.get(ReferralSettings, program_id)


def steps_of(settings: ReferralSettings) -> list[rules.Step]:
    return [
        rules.Step(int(s["from_count"]), int(s.get("points", 0)), s.get("reward_id"))
        for s in settings.escalation or []
    ]


def code_of(membership_id: int) -> ReferralCode | None:
    return db.session.get(ReferralCode, membership_id)


def by_code(code: str) -> ReferralCode | None:
    return db.session.scalars(select(ReferralCode).where(ReferralCode.code == code)).first()


def load_referral(
    actor: User | None, referral_id: int, action: str = ReferralAction.MANAGE
) -> Referral:
    found = db.session.get(Referral, referral_id)
    if found is None:
        raise NotFound(thing="referral")
    require(actor, action, found)
    return found


def party(membership: Membership) -> Party:
    """The person behind a membership: their account's name and address, else the store
    customer's (its email, the name the shop knows)."""
    email, name = membership.email, None
    if membership.user_id is not None:
        user = db.session.get(User, membership.user_id)
        if user is not None:
            email, name = user.email, user.name
    if name is None:
        profile = db.session.get(CustomerProfile, membership.id)
        if profile is not None:
            name = " ".join(p for p in (profile.first_name, profile.last_name) if p) or None
    return Party(
        membership_id=membership.id,
        user_id=membership.user_id,
        email=rules.email_key(email),
        name=rules.name_key(name),
    )


def live_for_friend(program_id: int, membership_id: int, email: str | None) -> Referral | None:
    """The referral holding this friend (by membership or normalised address), if any."""
    who = Referral.friend_id == membership_id
    if email is not None:
        who = or_(who, Referral.friend_email == email)
    return db.session.scalars(
        select(Referral).where(
            Referral.program_id == program_id, Referral.status.in_(rules.LIVE), who
        )
    ).first()


def referred(program_id: int, advocate_id: int, friend_id: int) -> bool:
    """Whether ``advocate_id`` has a live referral of ``friend_id`` (a loop, read reversed)."""
    return (
        db.session.scalar(
            select(Referral.id).where(
                Referral.program_id == program_id,
                Referral.advocate_id == advocate_id,
                Referral.friend_id == friend_id,
                Referral.status.in_(rules.LIVE),
            )
        )
        is not None
    )


def from_network(program_id: int, network: str, since: datetime) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                Referral.program_id == program_id,
                Referral.network == network,
                Referral.created_at >= since,
            )
        )
        or 0
    )


def completed_count(advocate_id: int, since: datetime | None = None) -> int:
    query = select(func.count()).where(
        Referral.advocate_id == advocate_id, Referral.status == ReferralStatus.COMPLETED
    )
    if since is not None:
        query = query.where(Referral.completed_at >= since)
    return int(db.session.scalar(query) or 0)


def _paid_order_rank() -> tuple[Any, Any]:
    """The one order of a member's paid orders ("the first order" is its least): the time
    paid, then the id. Every decision about a friend's first order ranks by it, so
    concurrent orders' consumers, whatever they have seen committed, agree which is first."""
    return Order.paid_at, Order.id


def earlier_paid_orders(membership_id: int, order_id: int) -> int:
    """How many of the member's paid orders rank before ``order_id`` (0: it is the first)."""
    order = db.session.get(Order, order_id)
    if order is None or order.paid_at is None:
        return 0
    paid_at, order_key = _paid_order_rank()
    return int(
        db.session.scalar(
            select(func.count()).where(
                Order.membership_id == membership_id,
                paid_at.is_not(None),
                or_(
                    paid_at < order.paid_at,
                    (paid_at == order.paid_at) & (order_key < order.id),
                ),
            )
        )
        or 0
    )


def first_paid_order(membership_id: int) -> Order | None:
    return db.session.scalars(
        select(Order)
        .where(Order.membership_id == membership_id, Order.paid_at.is_not(None))
        .order_by(*_paid_order_rank())
        .limit(1)
    ).first()


def paid_orders(membership_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                Order.membership_id == membership_id, Order.paid_at.is_not(None)
            )
        )
        or 0
    )


def any_expired(program_id: int, now: datetime) -> bool:
    return (
        db.session.scalar(
            select(Referral.id)
            .where(
                Referral.program_id == program_id,
                Referral.status == ReferralStatus.PENDING,
                Referral.held.is_(False),
                Referral.expires_at <= now,
            )
            .limit(1)
        )
        is not None
    )


def expire_due(now: datetime, *, program_id: int | None = None) -> int:
    """Pending referrals past their window (not those held for the team's review) become
    expired: one conditional update, so a job and a read racing expire each once."""
    query = update(Referral).where(
        Referral.status == ReferralStatus.PENDING,
        Referral.held.is_(False),
        Referral.expires_at <= now,
    )
    if program_id is not None:
        query = query.where(Referral.program_id == program_id)
    result = db.session.execute(
        query.values(status=ReferralStatus.EXPIRED).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def invitations_since(advocate_id: int, since: datetime) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                ReferralInvitation.advocate_id == advocate_id,
                ReferralInvitation.created_at >= since,
            )
        )
        or 0
    )


def invited_addresses(advocate_id: int, emails: list[str]) -> set[str]:
    return set(
        db.session.scalars(
            select(ReferralInvitation.email).where(
                ReferralInvitation.advocate_id == advocate_id,
                ReferralInvitation.email.in_(emails),
            )
        )
    )


def member_counts(membership_id: int) -> dict[str, int]:
    """A member's referrals by status, and the invitations they sent: two statements."""
    rows = db.session.execute(
        select(Referral.status, func.count())
        .where(Referral.advocate_id == membership_id)
        .group_by(Referral.status)
    )
    counts = {status.value: 0 for status in ReferralStatus}
    counts.update({str(status): int(n) for status, n in rows})
    counts["invited"] = int(
        db.session.scalar(
            select(func.count()).where(ReferralInvitation.advocate_id == membership_id)
        )
        or 0
    )
    counts["points"] = int(
        db.session.scalar(
            select(func.coalesce(func.sum(Referral.advocate_points), 0)).where(
                Referral.advocate_id == membership_id, Referral.status == ReferralStatus.COMPLETED
            )
        )
        or 0
    )
    return counts


def referrals_of(
    program_id: int,
    *,
    advocate_id: int | None = None,
    status: str | None = None,
    held: bool | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Referral]:
    query = select(Referral).where(Referral.program_id == program_id)
    if advocate_id is not None:
        query = query.where(Referral.advocate_id == advocate_id)
    if status is not None:
        query = query.where(Referral.status == status)
    if held is not None:
        query = query.where(Referral.held.is_(held))
    if before is not None:
        query = query.where(Referral.id < before)
    return list(db.session.scalars(query.order_by(Referral.id.desc()).limit(limit)))


def names(membership_ids: Iterable[int]) -> dict[int, str]:
    """Who each membership is, for the team's pages: the account's name, the customer's
    name, else their email (one statement)."""
    ids = list(set(membership_ids))
    if not ids:
        return {}
    full = func.trim(
        func.coalesce(CustomerProfile.first_name, "")
        + " "
        + func.coalesce(CustomerProfile.last_name, "")
    )
    rows = db.session.execute(
        select(Membership.id, User.name, full, Membership.email, Membership.external_id)
        .outerjoin(User, User.id == Membership.user_id)
        .outerjoin(CustomerProfile, CustomerProfile.membership_id == Membership.id)
        .where(Membership.id.in_(ids))
    )
    return {
        int(mid): str(user_name or customer_name or email or external or f"#{mid}")
        for mid, user_name, customer_name, email, external in rows
    }


# --- Analytics --------------------------------------------------------------------------------


def _median(group: Any, program_id: int) -> Any:
    """The median conversion time per ``group`` (a column, or a constant for the whole
    program): the middle row (or the mean of the two middle rows) by window functions."""
    ranked = (
        select(
            group.label("grp"),
            Referral.conversion_seconds.label("seconds"),
            func.row_number()
            .over(partition_by=group, order_by=Referral.conversion_seconds)
            .label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(
            Referral.program_id == program_id,
            Referral.status == ReferralStatus.COMPLETED,
            Referral.conversion_seconds.is_not(None),
        )
        .subquery()
    )
    return (
        select(ranked.c.grp, func.avg(ranked.c.seconds).label("median"))
        .where(
            or_(
                ranked.c.rn == (ranked.c.n + 1) // 2,
                ranked.c.rn == (ranked.c.n + 2) // 2,
            )
        )
        .group_by(ranked.c.grp)
    )


def _totals(group: Any, program_id: int) -> Any:
    return (
        select(
            group.label("grp"),
            func.count().label("referred"),
            func.count(Referral.friend_id).label("signed_up"),
            func.sum(case((Referral.status == ReferralStatus.COMPLETED, 1), else_=0)).label(
                "converted"
            ),
            func.sum(case((Referral.status == ReferralStatus.REJECTED, 1), else_=0)).label(
                "rejected"
            ),
            func.sum(case((Referral.status == ReferralStatus.EXPIRED, 1), else_=0)).label(
                "expired"
            ),
            func.coalesce(func.sum(Referral.advocate_points), 0).label("advocate_paid"),
            func.coalesce(func.sum(Referral.friend_points), 0).label("friend_paid"),
        )
        .where(Referral.program_id == program_id)
        .group_by(group)
    )


def _invited(group: Any, program_id: int) -> Any:
    return (
        select(group.label("grp"), func.count(func.distinct(ReferralInvitation.email)))
        .where(ReferralInvitation.program_id == program_id)
        .group_by(group)
    )


def program_stats(program_id: int) -> dict[str, Any]:
    """The program's totals: invited (addresses emailed), signed up (referrals with a
    friend), converted, rejected, expired, points paid, conversion rate and median time."""
    one = Referral.program_id
    row = db.session.execute(_totals(one, program_id)).first()
    invited = db.session.scalar(
        select(func.count(func.distinct(ReferralInvitation.email))).where(
            ReferralInvitation.program_id == program_id
        )
    )
    median = db.session.execute(_median(one, program_id)).first()
    signed_up = int(row.signed_up) if row else 0
    converted = int(row.converted or 0) if row else 0
    return {
        "invited": int(invited or 0),
        "signed_up": signed_up,
        "converted": converted,
        "rejected": int(row.rejected or 0) if row else 0,
        "expired": int(row.expired or 0) if row else 0,
        "rewards_paid": int(row.advocate_paid + row.friend_paid) if row else 0,
        "conversion_rate": round(converted / signed_up, 4) if signed_up else 0.0,
        "median_conversion_seconds": round(median.median) if median else None,
    }


def advocate_stats(program_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Per advocate (the most converted first): three grouped statements, joined here by
    id for at most ``limit`` advocates."""
    totals = {
        int(r.grp): r
        for r in db.session.execute(
            _totals(Referral.advocate_id, program_id)
            .order_by(
                func.sum(case((Referral.status == ReferralStatus.COMPLETED, 1), else_=0)).desc()
            )
            .limit(limit)
        )
    }
    invited = {
        int(grp): int(n)
        for grp, n in db.session.execute(_invited(ReferralInvitation.advocate_id, program_id))
    }
    medians = {
        int(grp): round(m)
        for grp, m in db.session.execute(_median(Referral.advocate_id, program_id))
    }
    ids = list(totals) + [i for i in invited if i not in totals][: max(0, limit - len(totals))]
    who = names(ids)
    out = []
    for membership_id in ids:
        row = totals.get(membership_id)
        out.append(
            {
                "membership_id": membership_id,
                "name": who.get(membership_id),
                "invited": invited.get(membership_id, 0),
                "signed_up": int(row.signed_up) if row else 0,
                "converted": int(row.converted or 0) if row else 0,
                "rewards_paid": int(row.advocate_paid) if row else 0,
                "median_conversion_seconds": medians.get(membership_id),
            }
        )
    return out
