"""VIP tiers API (DESIGN 9): a program's tiers and tier settings, a member's tier, its
history, and staff raising a member. A store's server may call them with a shop API key."""

from __future__ import annotations

from sqlalchemy import select

from stampbook.accounts.auth import current_user, me
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import Membership, Program
from stampbook.tiers import queries, rules, services, standing
from stampbook.tiers.models import MemberTier, Tier, TierChange, TierSettings
from stampbook.tiers.policy import TierAction
from stampbook.tiers.schemas import (
    MemberTierOut,
    RaiseIn,
    TierChangeList,
    TierChangeOut,
    TierIn,
    TierList,
    TierOut,
    TierPatch,
    TierSettingsIn,
    TierSettingsOut,
)

bp = ApiBlueprint("tiers", __name__, url_prefix="/api/v1", tag="Tiers")

SEE_TIERS = route(
    Access.PUBLIC,
    action=TierAction.VIEW,
    subject=programs_queries.load_program,
    key_scope="read",
)
SET_UP_TIERS = route(
    Access.USER,
    action=TierAction.MANAGE,
    subject=programs_queries.load_program,
    key_scope="write",
)
CHANGE_TIER = route(
    Access.USER, action=TierAction.MANAGE, subject=queries.load_tier, key_scope="write"
)
SEE_MEMBER_TIER = route(
    Access.USER,
    action=TierAction.MEMBER_VIEW,
    subject=programs_queries.load_membership,
    key_scope="read",
)
RAISE_MEMBER = route(
    Access.USER,
    action=TierAction.MEMBER_RAISE,
    subject=programs_queries.load_membership,
    key_scope="write",
)


def tier_out(tier: Tier, members: int = 0) -> TierOut:
    return TierOut(
        id=tier.id,
        program_id=tier.program_id,
        name=tier.name,
        threshold=tier.threshold,
        multiplier=rules.multiplier_text(tier.multiplier_percent),
        perks=[str(perk) for perk in tier.perks or []],
        reward_id=tier.reward_id,
        entry_points=tier.entry_points,
        members=members,
    )


def settings_out(settings: TierSettings) -> TierSettingsOut:
    return TierSettingsOut(
        program_id=settings.program_id,
        basis=rules.Basis(settings.basis),
        period=rules.PeriodKind(settings.period),
        demote_on_refund=settings.demote_on_refund,
        retention_percent=settings.retention_percent,
    )


@bp.get("/programs/<int:program_id>/tiers")
@SEE_TIERS
@bp.output(TierList)
@bp.doc(summary="The program's VIP tiers, lowest first, with how many members sit in each")
def list_tiers(program_id: int) -> TierList:
    program = programs_queries.load_program(current_user(), program_id, TierAction.VIEW)
    counts = queries.member_counts(program.id)
    return TierList(
        items=[tier_out(tier, counts.get(tier.id, 0)) for tier in queries.ladder(program.id)]
    )


@bp.post("/programs/<int:program_id>/tiers")
@SET_UP_TIERS
@bp.input(TierIn, arg_name="body")
@bp.output(TierOut, status_code=201)
@bp.doc(
    summary="Add a tier (the shop's creator and managers)",
    description=(
        "threshold: above 0 (409 tier_threshold_invalid) and not another tier's "
        '(409 tier_threshold_unordered); multiplier: a decimal string such as "1.5", above '
        "0 and at most 100 (409 tier_multiplier_invalid). Members are re-evaluated by a job."
    ),
    responses=[403, 404, 409],
)
def create_tier(program_id: int, body: TierIn) -> TierOut:
    return tier_out(services.create_tier(me(), program_id, body))


@bp.patch("/tiers/<int:tier_id>")
@CHANGE_TIER
@bp.input(TierPatch, arg_name="body")
@bp.output(TierOut)
@bp.doc(summary="Change a tier; a new threshold re-evaluates members in a job")
def update_tier(tier_id: int, body: TierPatch) -> TierOut:
    return tier_out(services.update_tier(me(), tier_id, body.model_dump(exclude_unset=True)))


@bp.delete("/tiers/<int:tier_id>")
@CHANGE_TIER
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a tier (its history stays)", responses=[403, 404])
def delete_tier(tier_id: int) -> tuple[str, int]:
    services.delete_tier(me(), tier_id)
    return "", 204


@bp.get("/programs/<int:program_id>/tier-settings")
@SEE_TIERS
@bp.output(TierSettingsOut)
@bp.doc(summary="How the program's members qualify for tiers")
def get_tier_settings(program_id: int) -> TierSettingsOut:
    return settings_out(services.get_settings(current_user(), program_id))


@bp.put("/programs/<int:program_id>/tier-settings")
@SET_UP_TIERS
@bp.input(TierSettingsIn, arg_name="body")
@bp.output(TierSettingsOut)
@bp.doc(summary="Set how the program's members qualify (basis, period, retention)")
def put_tier_settings(program_id: int, body: TierSettingsIn) -> TierSettingsOut:
    return settings_out(services.put_settings(me(), program_id, body))


def member_tier_out(membership: Membership) -> MemberTierOut:
    tiers = queries.ladder(membership.program_id)
    settings = queries.settings_of(membership.program_id)
    held: MemberTier | None = queries.standing(membership.id)
    total = 0
    program = db.session.get(Program, membership.program_id)
    if settings is not None and program is not None:
        day = standing.shop_day(program, clock.now())
        first, last = rules.window(settings.period, day)
        total = queries.total(membership.id, first, last)
    current = next(
        (i for i, tier in enumerate(tiers) if held and tier.id == held.tier_id), rules.NO_TIER
    )
    ahead = rules.progress([tier.threshold for tier in tiers], current, total)
    tier = tiers[current] if current > rules.NO_TIER else None
    return MemberTierOut(
        membership_id=membership.id,
        tier=tier_out(tier) if tier else None,
        since=held.since if held else None,
        held_from=held.held_from if held else None,
        qualifying_total=total,
        next_tier=tier_out(tiers[ahead.next_index]) if ahead.next_index is not None else None,
        missing=ahead.missing,
        perks=[str(perk) for perk in (tier.perks if tier else [])],
        floor_tier_id=held.floor_tier_id if held else None,
        history=f"/api/v1/memberships/{membership.id}/tier-changes",
    )


@bp.get("/memberships/<int:membership_id>/tier")
@SEE_MEMBER_TIER
@bp.output(MemberTierOut)
@bp.doc(
    summary="A member's tier: the qualifying total, the next tier and what is missing, perks",
    responses=[404],
)
def get_member_tier(membership_id: int) -> MemberTierOut:
    return member_tier_out(services.member_standing(current_user(), membership_id))


@bp.post("/memberships/<int:membership_id>/tier")
@RAISE_MEMBER
@bp.input(RaiseIn, arg_name="body")
@bp.output(MemberTierOut)
@bp.doc(
    summary="Raise a member's tier by hand, with a reason (the shop's creator and managers)",
    description=(
        "The tier becomes a floor the member never falls below; a tier below the member's "
        "own only sets the floor (never a lowering). 409 tier_not_in_program."
    ),
    responses=[403, 404, 409],
)
def raise_member_tier(membership_id: int, body: RaiseIn) -> MemberTierOut:
    return member_tier_out(services.raise_member(me(), membership_id, body.tier_id, body.reason))


@bp.get("/memberships/<int:membership_id>/tier-changes")
@SEE_MEMBER_TIER
@bp.output(TierChangeList)
@bp.doc(summary="The history of a member's tier changes, newest first", responses=[404])
def list_tier_changes(membership_id: int) -> TierChangeList:
    membership = services.member_standing(current_user(), membership_id)
    rows = db.session.scalars(
        select(TierChange)
        .where(TierChange.membership_id == membership.id)
        .order_by(TierChange.id.desc())
        .limit(200)
    )
    return TierChangeList(
        items=[
            TierChangeOut(
                id=row.id,
                from_tier_id=row.from_tier_id,
                to_tier_id=row.to_tier_id,
                cause=row.cause,
                reason=row.reason,
                actor_id=row.actor_id,
                created_at=row.created_at,
            )
            for row in rows
        ]
    )
