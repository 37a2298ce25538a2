"""A member's tier as qualifying amounts move it (DESIGN 8.5): add to the bucket, rise the
moment a total crosses a threshold (several tiers at once), review held periods that ended
(fall at most one tier per period end, never below the staff's floor), and give each tier's
entry reward once per period.

Every change runs with the membership's row locked (``SELECT ... FOR UPDATE``), so concurrent
qualifying orders of one member rise and reward once; services never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select

from stampbook.core import clock, due, outbox
from stampbook.core.db import db
from stampbook.core.occurrences import OccurrenceType
from stampbook.ledger import book
from stampbook.ledger.models import EntryKind
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import shop_zone
from stampbook.schedules.periods import local_date, local_midnight
from stampbook.tiers import queries, rules
from stampbook.tiers.models import MemberTier, Tier, TierChange, TierEntryGrant, TierTotal

DUE_KIND = queries.DUE_KIND
# Entry points are posted with this cause: they never qualify themselves.
ENTRY_CAUSE = "tier_entry"


class Cause:
    ROSE = "rose"
    RAISED = "raised"
    FELL = "fell"
    REFUND = "refund"


def lock_membership(membership_id: int) -> Membership | None:
    return db.session.scalars(
        select(Membership).where(Membership.id == membership_id).with_for_update()
    ).first()


def shop_day(program: Program, at: datetime) -> date:
    return local_date(at, shop_zone(program))


def schedule_review(standing: MemberTier, program: Program) -> None:
    """Keep ``review_at``, the instant the held period ends in the shop's zone (None: no tier,
    or a lifetime one): the hourly job and reads find members due by it, on its index."""
    settings = queries.settings_of(program.id)
    end = (
        rules.held_end(settings.period, standing.held_from)
        if settings is not None and standing.tier_id is not None and standing.held_from
        else None
    )
    standing.review_at = None if end is None else local_midnight(end, shop_zone(program))


def _standing(membership: Membership) -> MemberTier:
    standing = queries.standing(membership.id)
    if standing is None:
        standing = MemberTier(membership_id=membership.id, program_id=membership.program_id)
        db.session.add(standing)
        db.session.flush()
    return standing


def _index(tiers: Sequence[Tier], tier_id: int | None) -> int:
    for index, tier in enumerate(tiers):
        if tier.id == tier_id:
            return index
    return rules.NO_TIER


def _add(membership_id: int, bucket: int, amount: int) -> None:
    row = db.session.get(TierTotal, (membership_id, bucket))
    if row is None:
        db.session.add(TierTotal(membership_id=membership_id, bucket=bucket, amount=amount))
    else:
        row.amount += amount
    db.session.flush()


def qualify(*, membership_id: int, amount: int, at: datetime) -> None:
    """Add ``amount`` (negative: a refund) to the member's qualifying total on ``at``'s
    local day, then rise (or, for a refund where the program says so, fall)."""
    if amount == 0:
        return
    membership = lock_membership(membership_id)
    if membership is None:
        return
    program = db.session.get(Program, membership.program_id)
    settings = queries.settings_of(membership.program_id)
    tiers = queries.ladder(membership.program_id)
    if program is None or settings is None or not tiers:
        return
    day = shop_day(program, at)
    _add(membership.id, rules.bucket(settings.period, day), amount)
    standing = _standing(membership)
    _review(membership, program, standing, tiers, day)
    first, last = rules.window(settings.period, day)
    total = queries.total(membership.id, first, last)
    thresholds = [tier.threshold for tier in tiers]
    current = _index(tiers, standing.tier_id)
    if amount > 0:
        target = max(current, rules.reached(thresholds, total))
        if target > current:
            _rise(membership, program, standing, tiers, current, target, day, Cause.ROSE, at)
    else:
        floor = _index(tiers, standing.floor_tier_id)
        target = rules.after_refund(
            thresholds=thresholds,
            current=current,
            total=total,
            demote=settings.demote_on_refund,
            floor=floor,
        )
        if target < current:
            _change(membership, program, standing, tiers, current, target, Cause.REFUND, at)


def _rise(
    membership: Membership,
    program: Program,
    standing: MemberTier,
    tiers: Sequence[Tier],
    current: int,
    target: int,
    day: date,
    cause: str,
    at: datetime,
    *,
    reason: str | None = None,
    actor_id: int | None = None,
) -> None:
    settings = queries.settings_of(program.id)
    period = settings.period if settings else rules.PeriodKind.LIFETIME
    start = rules.held_start(period, day)
    standing.held_from = start
    key = 0 if period == rules.PeriodKind.LIFETIME else start.toordinal()
    _change(
        membership, program, standing, tiers, current, target, cause, at, reason=reason,
        actor_id=actor_id,
    )  # fmt: skip
    for index in range(max(current + 1, 0), target + 1):
        _grant(membership, tiers[index], key)


def _grant(membership: Membership, tier: Tier, period_key: int) -> None:
    """The tier's entry reward, once per membership, tier and period (the row is unique;
    the membership's lock makes concurrent qualifiers wait here): its entry points now, and
    its reward as ``tier.reward_granted``, whose consumer makes the free receipt."""
    given = db.session.scalar(
        select(TierEntryGrant.id).where(
            TierEntryGrant.membership_id == membership.id,
            TierEntryGrant.tier_id == tier.id,
            TierEntryGrant.period_key == period_key,
        )
    )
    if given is not None:
        return
    grant = TierEntryGrant(membership_id=membership.id, tier_id=tier.id, period_key=period_key)
    if tier.entry_points > 0:
        entry = book.post(
            membership_id=membership.id,
            amount=tier.entry_points,
            kind=EntryKind.BONUS,
            actor_id=None,
            cause_type=ENTRY_CAUSE,
            cause_id=tier.id,
        )
        grant.entry_id = entry.id
    db.session.add(grant)
    db.session.flush()
    if tier.reward_id is not None:
        # The free receipt is the rewards domain's: made after commit (``flows.granting``).
        program = db.session.get(Program, membership.program_id)
        assert program is not None
        outbox.record(
            OccurrenceType.TIER_REWARD_GRANTED,
            shop_id=program.shop_id,
            grant_id=grant.id,
            tier_id=tier.id,
            reward_id=tier.reward_id,
            membership_id=membership.id,
            program_id=program.id,
            user_id=membership.user_id,
        )


def _change(
    membership: Membership,
    program: Program,
    standing: MemberTier,
    tiers: Sequence[Tier],
    current: int,
    target: int,
    cause: str,
    at: datetime,
    *,
    reason: str | None = None,
    actor_id: int | None = None,
) -> None:
    before = tiers[current].id if current > rules.NO_TIER else None
    after = tiers[target] if target > rules.NO_TIER else None
    standing.tier_id = after.id if after else None
    standing.since = at
    schedule_review(standing, program)
    db.session.add(
        TierChange(
            membership_id=membership.id,
            program_id=program.id,
            from_tier_id=before,
            to_tier_id=standing.tier_id,
            cause=cause,
            reason=reason,
            actor_id=actor_id,
            created_at=at,
        )
    )
    db.session.flush()
    outbox.record(
        OccurrenceType.TIER_CHANGED,
        shop_id=program.shop_id,
        membership_id=membership.id,
        program_id=program.id,
        user_id=membership.user_id,
        from_tier_id=before,
        to_tier_id=standing.tier_id,
        tier_name=after.name if after else None,
        cause=cause,
    )


def _review(
    membership: Membership,
    program: Program,
    standing: MemberTier,
    tiers: Sequence[Tier],
    today: date,
) -> None:
    """Apply every held period that ended by ``today`` (the membership is locked)."""
    settings = queries.settings_of(program.id)
    if settings is None or standing.tier_id is None or standing.held_from is None:
        return
    current = _index(tiers, standing.tier_id)
    if current == rules.NO_TIER:
        return
    end = rules.held_end(settings.period, standing.held_from)
    if end is None or end > today:
        return
    first = rules.bucket(settings.period, standing.held_from)
    if settings.period == rules.PeriodKind.ROLLING_12_MONTHS:
        first -= rules.ROLLING_DAYS
    totals = queries.totals(membership.id, first, rules.bucket(settings.period, today))
    reviews = rules.review(
        kind=settings.period,
        thresholds=[tier.threshold for tier in tiers],
        current=current,
        start=standing.held_from,
        today=today,
        totals=totals,
        retention_percent=settings.retention_percent,
        floor=_index(tiers, standing.floor_tier_id),
    )
    for review in reviews:
        standing.held_from = review.start
        if review.after != review.before:
            _change(
                membership, program, standing, tiers, review.before, review.after, Cause.FELL,
                clock.now(),
            )  # fmt: skip
    schedule_review(standing, program)
    db.session.flush()


def is_due(standing: MemberTier, now: datetime) -> bool:
    return standing.review_at is not None and standing.review_at <= now


def refresh(membership_ids: Sequence[int]) -> None:
    """The ``core.due`` refresher: review these members' held periods now."""
    for membership_id in sorted(membership_ids):
        membership = lock_membership(membership_id)
        if membership is None:
            continue
        program = db.session.get(Program, membership.program_id)
        tiers = queries.ladder(membership.program_id)
        if program is None or not tiers:
            continue
        standing = _standing(membership)
        _review(membership, program, standing, tiers, shop_day(program, clock.now()))


due.register(DUE_KIND, refresh)


def raise_to(
    *, membership: Membership, tier: Tier, reason: str, actor_id: int, at: datetime
) -> MemberTier:
    """Staff raise a member to ``tier`` (a floor the member never falls below); never a
    lowering: a tier below the current one only sets the floor."""
    locked = lock_membership(membership.id)
    assert locked is not None
    program = db.session.get(Program, membership.program_id)
    assert program is not None
    tiers = queries.ladder(membership.program_id)
    standing = _standing(locked)
    day = shop_day(program, at)
    _review(locked, program, standing, tiers, day)
    current = _index(tiers, standing.tier_id)
    target = _index(tiers, tier.id)
    standing.floor_tier_id = tier.id
    standing.floor_reason = reason
    standing.floor_by = actor_id
    if target > current:
        _rise(
            locked, program, standing, tiers, current, target, day, Cause.RAISED, at,
            reason=reason, actor_id=actor_id,
        )  # fmt: skip
    db.session.flush()
    return standing


def reevaluate(program_id: int) -> int:
    """After a program's tiers changed: each member whose total now reaches a higher tier
    rises (with its entry rewards); none falls before a period ends. Answers how many rose."""
    settings = queries.settings_of(program_id)
    program = db.session.get(Program, program_id)
    tiers = queries.ladder(program_id)
    if settings is None or program is None or not tiers:
        return 0
    ids = db.session.scalars(
        select(Membership.id)
        .where(Membership.program_id == program_id)
        .where(
            Membership.id.in_(select(TierTotal.membership_id).distinct())
            | Membership.id.in_(select(MemberTier.membership_id))
        )
        .order_by(Membership.id)
    ).all()
    thresholds = [tier.threshold for tier in tiers]
    today = shop_day(program, clock.now())
    first, last = rules.window(settings.period, today)
    rose = 0
    for membership_id in ids:
        membership = lock_membership(membership_id)
        if membership is None:
            continue
        standing = _standing(membership)
        _review(membership, program, standing, tiers, today)
        schedule_review(standing, program)  # the period may be another one now
        current = _index(tiers, standing.tier_id)
        target = rules.reached(thresholds, queries.total(membership_id, first, last))
        if target > current:
            _rise(membership, program, standing, tiers, current, target, today, Cause.ROSE,
                  clock.now())  # fmt: skip
            rose += 1
    return rose


def review_due(limit: int = 500) -> int:
    """The periodic job's part: members whose held period ended are reviewed (reads do it
    lazily too), found on ``review_at``'s index. Answers how many were looked at."""
    due_ids = db.session.scalars(
        select(MemberTier.membership_id)
        .where(MemberTier.review_at <= clock.now())
        .order_by(MemberTier.review_at)
        .limit(limit)
    ).all()
    refresh(due_ids)
    return len(due_ids)
