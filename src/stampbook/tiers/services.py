"""The tiers' use cases for the API and pages: a program's tiers and settings (the shop's
creator and managers), a member's tier and its history, and staff raising a member.

A change of the tiers re-evaluates members in a job queued after commit, never here.
"""

from __future__ import annotations

from typing import Any

from stampbook.accounts.models import User
from stampbook.core import clock, due
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.policy import require
from stampbook.core.unit_of_work import after_commit
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import Membership, Program
from stampbook.rewards.queries import shop_reward_id
from stampbook.tiers import queries, rules, standing
from stampbook.tiers.models import Tier, TierSettings
from stampbook.tiers.policy import TierAction
from stampbook.tiers.rules import TierProblem
from stampbook.tiers.schemas import TierIn, TierSettingsIn


def _conflict(problem: TierProblem) -> Conflict:
    return Conflict(code=problem.code)


def _check(program_id: int, tier: Tier | None, threshold: int) -> None:
    """A threshold above 0 that no other live tier of the program has."""
    try:
        rules.check_ladder([threshold])
    except TierProblem as problem:
        raise _conflict(problem) from None
    others = [t.threshold for t in queries.ladder(program_id) if tier is None or t.id != tier.id]
    if threshold in others:
        raise Conflict(code="tier_threshold_unordered")


def _multiplier(text: str) -> int:
    try:
        return rules.parse_multiplier(text)
    except TierProblem as problem:
        raise _conflict(problem) from None


def _settings(program_id: int) -> TierSettings:
    settings = queries.settings_of(program_id)
    if settings is None:
        settings = TierSettings(
            program_id=program_id,
            basis=rules.Basis.POINTS,
            period=rules.PeriodKind.LIFETIME,
            demote_on_refund=False,
            retention_percent=90,
        )
        db.session.add(settings)
        db.session.flush()
    return settings


def _reevaluate_later(program_id: int) -> None:
    from stampbook.tiers.jobs import reevaluate_program

    after_commit(lambda: reevaluate_program.enqueue(program_id))


def create_tier(actor: User, program_id: int, body: TierIn) -> Tier:
    program = programs_queries.load_program(actor, program_id, TierAction.MANAGE)
    _check(program.id, None, body.threshold)
    tier = Tier(
        program_id=program.id,
        name=body.name,
        threshold=body.threshold,
        multiplier_percent=_multiplier(body.multiplier),
        perks=list(body.perks),
        reward_id=shop_reward_id(program, body.reward_id),
        entry_points=body.entry_points,
    )
    db.session.add(tier)
    _settings(program.id)
    db.session.flush()
    _reevaluate_later(program.id)
    return tier


def update_tier(actor: User, tier_id: int, changes: dict[str, Any]) -> Tier:
    tier = queries.load_tier(actor, tier_id)
    program = db.session.get(Program, tier.program_id)
    assert program is not None
    if changes.get("threshold") is not None:
        _check(tier.program_id, tier, changes["threshold"])
        tier.threshold = changes["threshold"]
    if changes.get("multiplier") is not None:
        tier.multiplier_percent = _multiplier(changes["multiplier"])
    if changes.get("name") is not None:
        tier.name = changes["name"]
    if changes.get("perks") is not None:
        tier.perks = list(changes["perks"])
    if "reward_id" in changes:
        tier.reward_id = shop_reward_id(program, changes["reward_id"])
    if changes.get("entry_points") is not None:
        tier.entry_points = changes["entry_points"]
    db.session.flush()
    if "threshold" in changes:
        _reevaluate_later(tier.program_id)
    return tier


def delete_tier(actor: User, tier_id: int) -> None:
    """Its members keep their history; they sit in the highest tier their total reaches
    (the job re-evaluates them)."""
    tier = queries.load_tier(actor, tier_id)
    tier.deleted_at = clock.now()
    db.session.flush()
    _reevaluate_later(tier.program_id)


def get_settings(actor: User | None, program_id: int) -> TierSettings:
    program = programs_queries.load_program(actor, program_id, TierAction.VIEW)
    settings = queries.settings_of(program.id)
    return settings or TierSettings(
        program_id=program.id,
        basis=rules.Basis.POINTS,
        period=rules.PeriodKind.LIFETIME,
        demote_on_refund=False,
        retention_percent=90,
    )


def put_settings(actor: User, program_id: int, body: TierSettingsIn) -> TierSettings:
    program = programs_queries.load_program(actor, program_id, TierAction.MANAGE)
    settings = _settings(program.id)
    changed = (settings.basis, settings.period) != (body.basis, body.period)
    settings.basis = body.basis
    settings.period = body.period
    settings.demote_on_refund = body.demote_on_refund
    settings.retention_percent = body.retention_percent
    db.session.flush()
    if changed:
        _reevaluate_later(program.id)
    return settings


def member_standing(actor: User | None, membership_id: int) -> Membership:
    """The membership, once any held period that ended has been reviewed (lazily)."""
    membership = programs_queries.load_membership(actor, membership_id, TierAction.MEMBER_VIEW)
    held = queries.standing(membership.id)
    if held is not None and standing.is_due(held, clock.now()):
        due.settle(standing.DUE_KIND, [membership.id])
        db.session.expire(held)
    return membership


def raise_member(actor: User, membership_id: int, tier_id: int, reason: str) -> Membership:
    membership = programs_queries.load_membership(actor, membership_id, TierAction.MEMBER_RAISE)
    tier = db.session.get(Tier, tier_id)
    if tier is None or tier.deleted_at is not None or tier.program_id != membership.program_id:
        raise Conflict(code="tier_not_in_program")
    require(actor, TierAction.MANAGE, tier)
    standing.raise_to(
        membership=membership, tier=tier, reason=reason, actor_id=actor.id, at=clock.now()
    )
    return membership
