"""Referrals API (DESIGN 9: ``GET /memberships/{id}/referral``): a program's referral
settings, a member's code, link and friends, invitations by email, the team's list of
referrals with their reasons, their review of held ones, and the analytics. Joining a
program through a code (``POST /programs/{id}/referrals``) is a flow (``flows.api``)."""

from __future__ import annotations

from flask import url_for

from stampbook.accounts.auth import current_user, me
from stampbook.core.pagination import decode_cursor, encode_cursor
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import Program
from stampbook.referrals import queries, services
from stampbook.referrals.models import ReferralSettings
from stampbook.referrals.policy import ReferralAction
from stampbook.referrals.rules import (
    ReferralCapPeriod,
    ReferralCompletes,
    ReferralStatus,
)
from stampbook.referrals.schemas import (
    AdvocateStats,
    MemberReferralOut,
    ProgramStats,
    ReferralAnalytics,
    ReferralCounts,
    ReferralList,
    ReferralOut,
    ReferralQuery,
    ReferralSettingsIn,
    ReferralSettingsOut,
    StepOut,
    referral_out,
)

bp = ApiBlueprint("referrals", __name__, url_prefix="/api/v1", tag="Referrals")

SEE_SETTINGS = route(
    Access.PUBLIC,
    action=ReferralAction.VIEW,
    subject=programs_queries.load_program,
    key_scope="read",
)
MANAGE_PROGRAM = route(
    Access.USER,
    action=ReferralAction.MANAGE,
    subject=programs_queries.load_program,
    key_scope="write",
)
READ_PROGRAM = route(
    Access.USER,
    action=ReferralAction.MANAGE,
    subject=programs_queries.load_program,
    key_scope="read",
)
REVIEW = route(
    Access.USER, action=ReferralAction.MANAGE, subject=queries.load_referral, key_scope="write"
)
SEE_MEMBER = route(
    Access.USER,
    action=ReferralAction.MEMBER_VIEW,
    subject=programs_queries.load_membership,
    key_scope="read",
)


def settings_out(program: Program, settings: ReferralSettings) -> ReferralSettingsOut:
    return ReferralSettingsOut(
        program_id=program.id,
        enabled=settings.enabled,
        completes=ReferralCompletes(settings.completes),
        minimum_amount=services.minimum_text(program, settings),
        currency=program.currency,
        advocate_points=settings.advocate_points,
        advocate_reward_id=settings.advocate_reward_id,
        friend_points=settings.friend_points,
        friend_reward_id=settings.friend_reward_id,
        escalation=[
            StepOut(from_count=s.from_count, points=s.points, reward_id=s.reward_id)
            for s in queries.steps_of(settings)
        ],
        expiry_days=settings.expiry_days,
        cap_count=settings.cap_count,
        cap_period=ReferralCapPeriod(settings.cap_period),
        email_sharing=settings.email_sharing,
    )


@bp.get("/programs/<int:program_id>/referral-settings")
@SEE_SETTINGS
@bp.output(ReferralSettingsOut)
@bp.doc(summary="What the program's referrals earn and when they complete")
def get_referral_settings(program_id: int) -> ReferralSettingsOut:
    return settings_out(*services.get_settings(current_user(), program_id))


@bp.put("/programs/<int:program_id>/referral-settings")
@MANAGE_PROGRAM
@bp.input(ReferralSettingsIn, arg_name="body")
@bp.output(ReferralSettingsOut)
@bp.doc(
    summary="Set up the program's referrals (the shop's creator and managers)",
    description=(
        "completes: on_signup, or on_first_purchase with the order's subtotal reaching "
        "minimum_amount (a decimal string in the program's currency). escalation: steps "
        "from the advocate's Nth completed referral (from_count 2 or more: 409 "
        "referral_step_invalid; each once: 409 referral_step_duplicate). A reward must be "
        "the shop's (409 reward_not_in_shop)."
    ),
    responses=[403, 404, 409],
)
def put_referral_settings(program_id: int, body: ReferralSettingsIn) -> ReferralSettingsOut:
    settings = services.put_settings(me(), program_id, body)
    program = programs_queries.get_program(settings.program_id)
    return settings_out(program, settings)


def member_referral_out(membership_id: int) -> MemberReferralOut:
    membership, code = services.member_referral(current_user(), membership_id)
    counts = queries.member_counts(membership.id)
    return MemberReferralOut(
        membership_id=membership.id,
        program_id=membership.program_id,
        code=code.code,
        link=url_for("referral_link_pages.landing", code=code.code, _external=True),
        counts=ReferralCounts(
            invited=counts["invited"],
            pending=counts[ReferralStatus.PENDING],
            completed=counts[ReferralStatus.COMPLETED],
            rejected=counts[ReferralStatus.REJECTED],
            expired=counts[ReferralStatus.EXPIRED],
        ),
        points_earned=counts["points"],
    )


@bp.get("/memberships/<int:membership_id>/referral")
@SEE_MEMBER
@bp.output(MemberReferralOut)
@bp.doc(
    summary="A member's referral code and link, with their referrals counted",
    description="Made on first read. The member and the shop's managers may read it.",
    responses=[404],
)
def get_member_referral(membership_id: int) -> MemberReferralOut:
    return member_referral_out(membership_id)


@bp.get("/memberships/<int:membership_id>/referrals")
@SEE_MEMBER
@bp.output(ReferralList)
@bp.doc(summary="The friends a member referred, newest first, with their statuses")
def list_member_referrals(membership_id: int) -> ReferralList:
    membership, _code = services.member_referral(current_user(), membership_id)
    rows = queries.referrals_of(membership.program_id, advocate_id=membership.id, limit=200)
    return ReferralList(items=[referral_out(r) for r in rows])


@bp.get("/programs/<int:program_id>/referrals")
@READ_PROGRAM
@bp.input(ReferralQuery, location="query", arg_name="query")
@bp.output(ReferralList)
@bp.doc(
    summary="The program's referrals, newest first (the team): rejected ones with reasons",
    description="?status=rejected, ?held=true (waiting for review); paged by ?cursor=.",
)
def list_referrals(program_id: int, query: ReferralQuery) -> ReferralList:
    before = decode_cursor(query.cursor) if query.cursor else None
    rows = services.list_referrals(
        current_user(),
        program_id,
        status=query.status,
        held=query.held,
        before=before,
        limit=query.limit + 1,
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return ReferralList(
        items=[referral_out(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@bp.post("/referrals/<int:referral_id>/approve")
@REVIEW
@bp.output(ReferralOut)
@bp.doc(
    summary="Release a referral held for review: it completes (pays once) when its friend "
    "already signed up or bought as the program requires",
    responses=[403, 404, 409],
)
def approve_referral(referral_id: int) -> ReferralOut:
    return referral_out(services.approve(me(), referral_id))


@bp.post("/referrals/<int:referral_id>/reject")
@REVIEW
@bp.output(ReferralOut)
@bp.doc(summary="Reject a pending referral (reason by_team)", responses=[403, 404, 409])
def reject_referral(referral_id: int) -> ReferralOut:
    return referral_out(services.reject(me(), referral_id))


@bp.get("/programs/<int:program_id>/referral-analytics")
@READ_PROGRAM
@bp.output(ReferralAnalytics)
@bp.doc(summary="Referral analytics: the program's totals and each advocate's (seed 002's view)")
def referral_analytics(program_id: int) -> ReferralAnalytics:
    program = programs_queries.load_program(current_user(), program_id, ReferralAction.MANAGE)
    services.expire(program.id)
    return ReferralAnalytics(
        program=ProgramStats(**queries.program_stats(program.id)),
        advocates=[AdvocateStats(**row) for row in queries.advocate_stats(program.id)],
    )
