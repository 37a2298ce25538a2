"""Crediting a rule to a member: a named activity sent by the store's server (and, through
the same door, signup and the other one-off rules), once per caller's reference, within the
rule's window and its limit per member per period (counted on the member's wall clock)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, NotFound
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.loyalty.campaigns import boost
from stampbook.loyalty.customers import customer
from stampbook.loyalty.models import Credit, EarningRule, RuleKind
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.rules import in_window, limit_start
from stampbook.loyalty.schemas import ActivityIn
from stampbook.loyalty.tiering import tier_bonus
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import shop_of
from stampbook.programs.queries import load_program
from stampbook.programs.rules import require_live
from stampbook.tasks.queries import member_zone

# The ledger's kind for each rule's points.
ENTRY_KINDS = {
    RuleKind.SIGNUP: EntryKind.SIGNUP,
    RuleKind.BIRTHDAY: EntryKind.BIRTHDAY,
    RuleKind.REVIEW: EntryKind.REVIEW,
    RuleKind.REFERRAL: EntryKind.REFERRAL,
    RuleKind.ACTIVITY: EntryKind.BONUS,
}


def signup_reference(membership_id: int) -> str:
    """One signup per membership, whichever door it came through (joining, a store's
    customers/create, a claim by its account)."""
    return f"signup-{membership_id}"


def credit_activity(actor: User, program_id: int, body: ActivityIn) -> Credit:
    """Credit the named activity (a reference credited before: that first credit)."""
    program = load_program(actor, program_id, LoyaltyAction.RECORD)
    require_live(program)
    earning_rule = db.session.scalars(
        select(EarningRule).where(
            EarningRule.program_id == program.id,
            EarningRule.kind == RuleKind.ACTIVITY,
            EarningRule.activity == body.activity,
            EarningRule.deleted_at.is_(None),
        )
    ).first()
    if earning_rule is None:
        raise NotFound(thing="activity")
    member = customer(
        program, membership_id=body.membership_id, external_id=body.external_id, email=body.email
    )
    return credit(earning_rule, member, program, reference=body.reference, actor_id=actor.id)


def credit(
    earning_rule: EarningRule,
    member: Membership,
    program: Program,
    *,
    reference: str | None,
    actor_id: int | None,
    now: datetime | None = None,
) -> Credit:
    """Credit ``earning_rule`` to ``member`` (locked by the caller), or refuse and change
    nothing: outside its window (409 ``rule_inactive``), over its limit (409
    ``activity_limit_reached``)."""
    now = now or utcnow()
    if reference is not None:
        earlier = db.session.scalars(
            select(Credit).where(Credit.rule_id == earning_rule.id, Credit.reference == reference)
        ).first()
        if earlier is not None:
            if earlier.membership_id != member.id:
                raise Conflict(code="reference_used")
            return earlier
    if not in_window(earning_rule.starts_at, earning_rule.ends_at, now):
        raise Conflict(code="rule_inactive")
    if earning_rule.limit_count is not None and earning_rule.limit_period is not None:
        since = limit_start(earning_rule.limit_period, now, member_zone(member, shop_of(program)))
        counted = select(func.count()).where(
            Credit.rule_id == earning_rule.id, Credit.membership_id == member.id
        )
        if since is not None:
            counted = counted.where(Credit.credited_at >= since)
        if (db.session.scalar(counted) or 0) >= earning_rule.limit_count:
            raise Conflict(
                code="activity_limit_reached",
                limit=earning_rule.limit_count,
                period=earning_rule.limit_period,
            )
    entry = ledger.post(
        membership_id=member.id,
        amount=earning_rule.points,
        kind=ENTRY_KINDS[RuleKind(earning_rule.kind)],
        actor_id=actor_id,
        cause_type="earning_rule",
        cause_id=earning_rule.id,
    )
    extra = boost(member.id, program.id, earning_rule.kind, earning_rule.points, now)
    if earning_rule.kind == RuleKind.ACTIVITY:
        # The member's tier multiplies a custom activity's points (not signups, birthdays or
        # reviews: a deleted review reverses its rule's and campaigns' entries only).
        extra += tier_bonus(member.id, earning_rule.points, cause_id=entry.id)
    made = Credit(
        rule_id=earning_rule.id,
        membership_id=member.id,
        reference=reference,
        points=earning_rule.points + extra,
        entry_id=entry.id,
        credited_at=now,
    )
    db.session.add(made)
    db.session.flush()
    return made
