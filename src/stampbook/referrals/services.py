"""The referrals' use cases (DESIGN 8.5) other than referring itself (``referring``): a
program's settings, a member's code, the team's review of held referrals, expiry, and
invitations by email.


Services never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.core import clock, due
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.money import from_minor, to_minor
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import Membership, Program
from stampbook.programs.rules import require_live
from stampbook.referrals import queries, referring, rules
from stampbook.referrals.models import Referral, ReferralCode, ReferralInvitation, ReferralSettings
from stampbook.referrals.policy import ReferralAction
from stampbook.referrals.rules import (
    ReferralCompletes,
    ReferralReason,
    ReferralStatus,
)
from stampbook.referrals.schemas import ReferralSettingsIn
from stampbook.rewards.queries import shop_reward_id

# How many invitation emails a member may send per day (the route's rate limit is per hour).
INVITATIONS_PER_DAY = 20
CODE_DUE = "referral_code"
EXPIRY_DUE = "referral_expiry"


# --- Settings ---------------------------------------------------------------------------------


def default_settings(program_id: int) -> ReferralSettings:
    return ReferralSettings(
        program_id=program_id,
        enabled=False,
        completes=ReferralCompletes.ON_SIGNUP,
        minimum_amount=0,
        advocate_points=0,
        friend_points=0,
        escalation=[],
        expiry_days=30,
        cap_count=None,
        cap_period=rules.ReferralCapPeriod.MONTH,
        email_sharing=True,
    )


def get_settings(actor: User | None, program_id: int) -> tuple[Program, ReferralSettings]:
    program = programs_queries.load_program(actor, program_id, ReferralAction.VIEW)
    return program, queries.settings_of(program.id) or default_settings(program.id)


def put_settings(actor: User, program_id: int, body: ReferralSettingsIn) -> ReferralSettings:
    program = programs_queries.load_program(actor, program_id, ReferralAction.MANAGE)
    require_live(program)
    steps = [rules.Step(s.from_count, s.points, s.reward_id) for s in body.escalation]
    problem = rules.steps_problem(steps)
    if problem is not None:
        raise Conflict(code=problem)
    settings = queries.settings_of(program.id)
    if settings is None:
        settings = default_settings(program.id)
        db.session.add(settings)
    settings.enabled = body.enabled
    settings.completes = body.completes
    settings.minimum_amount = to_minor(body.minimum_amount, program.currency)
    settings.advocate_points = body.advocate_points
    settings.advocate_reward_id = shop_reward_id(program, body.advocate_reward_id)
    settings.friend_points = body.friend_points
    settings.friend_reward_id = shop_reward_id(program, body.friend_reward_id)
    settings.escalation = [
        {
            "from_count": s.from_count,
            "points": s.points,
            "reward_id": shop_reward_id(program, s.reward_id),
        }
        for s in sorted(steps, key=lambda s: s.from_count)
    ]
    settings.expiry_days = body.expiry_days
    settings.cap_count = body.cap_count
    settings.cap_period = body.cap_period
    settings.email_sharing = body.email_sharing
    db.session.flush()
    return settings


def minimum_text(program: Program, settings: ReferralSettings) -> str:
    return from_minor(settings.minimum_amount, program.currency)


# --- Codes ------------------------------------------------------------------------------------


def code_for(membership: Membership) -> ReferralCode:
    """The member's code, made on first read (a collision, one in a trillion, draws again;
    two first reads at once: the loser reads the winner's)."""
    found = queries.code_of(membership.id)
    if found is not None:
        return found
    for _ in range(5):
        row = ReferralCode(
            membership_id=membership.id, program_id=membership.program_id, code=rules.new_code()
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
            return row
        except IntegrityError:
            found = queries.code_of(membership.id)
            if found is not None:
                return found
    raise RetryTransaction()


def _make_codes(membership_ids: Sequence[int]) -> None:
    for membership_id in membership_ids:
        membership = db.session.get(Membership, membership_id)
        if membership is not None:
            code_for(membership)


def _expire_programs(program_ids: Sequence[int]) -> None:
    for program_id in program_ids:
        queries.expire_due(clock.now(), program_id=program_id)


# A read makes a missing code, or expires what is past its window, in a short write of its
# own (``core.due``), then reads again.
due.register(CODE_DUE, _make_codes)
due.register(EXPIRY_DUE, _expire_programs)


def expire(program_id: int) -> None:
    """Pending referrals of the program past their window, expired before a read answers."""
    if queries.any_expired(program_id, clock.now()):
        due.settle(EXPIRY_DUE, [program_id])


def member_referral(actor: User | None, membership_id: int) -> tuple[Membership, ReferralCode]:
    """The membership and its code (made on first read)."""
    membership = programs_queries.load_membership(actor, membership_id, ReferralAction.MEMBER_VIEW)
    expire(membership.program_id)
    code = queries.code_of(membership.id)
    if code is None:
        due.settle(CODE_DUE, [membership.id])
        code = queries.code_of(membership.id)
    assert code is not None
    return membership, code


# --- The team's review ------------------------------------------------------------------------


def list_referrals(actor: User | None, program_id: int, **filters: Any) -> list[Referral]:
    program = programs_queries.load_program(actor, program_id, ReferralAction.MANAGE)
    expire(program.id)
    return queries.referrals_of(program.id, **filters)


def approve(actor: User, referral_id: int) -> Referral:
    """A held referral released by the team: completes now if its friend already did what
    completes it (signed up; or made a qualifying first order), else waits as pending."""
    referral = queries.load_referral(actor, referral_id)
    if referral.status != ReferralStatus.PENDING or not referral.held:
        raise Conflict(code="referral_not_held")
    now = clock.now()
    released = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == ReferralStatus.PENDING, Referral.held)
        .values(held=False, decided_at=now, decided_by=actor.id)
        .execution_options(synchronize_session=False)
    )
    if not getattr(released, "rowcount", 0):
        raise Conflict(code="referral_not_held")
    db.session.refresh(referral)
    settings = queries.settings_of(referral.program_id)
    ready = settings is not None and (
        settings.completes == ReferralCompletes.ON_SIGNUP or referral.qualified_at is not None
    )
    if ready:
        # The window counts from the sign-up: the review's wait is not the friend's.
        if referral.expires_at <= now:
            referral.expires_at = now + timedelta(minutes=1)
            db.session.flush()
        referring.complete(
            referral.id,
            at=now,
            trigger="signup" if referral.qualified_at is None else "purchase",
        )
        db.session.refresh(referral)
    return referral


def reject(actor: User, referral_id: int) -> Referral:
    referral = queries.load_referral(actor, referral_id)
    if referral.status != ReferralStatus.PENDING:
        raise Conflict(code="referral_not_pending")
    now = clock.now()
    if not referring.reject_pending(referral, ReferralReason.BY_TEAM, now):
        raise Conflict(code="referral_not_pending")
    db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id)
        .values(decided_by=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(referral)
    return referral


# --- Invitations by email -----------------------------------------------------------------------


def invite(
    actor: User, membership_id: int, emails: list[str], *, language: str
) -> list[ReferralInvitation]:
    """Queue an invitation to each address the member has not invited yet (the flow sends
    them after commit). Refused when the program does not share by email, or over the
    member's daily count."""
    membership = programs_queries.load_membership(actor, membership_id, ReferralAction.SHARE)
    settings = referring.enabled_settings(membership.program_id)
    if not settings.email_sharing:
        raise Conflict(code="referral_sharing_off")
    code_for(membership)  # the emails carry the link
    now = clock.now()
    sent_today = queries.invitations_since(membership.id, now - timedelta(days=1))
    wanted = list(dict.fromkeys(address.strip().lower() for address in emails))
    if sent_today + len(wanted) > INVITATIONS_PER_DAY:
        raise Conflict(code="referral_invitations_exceeded", limit=INVITATIONS_PER_DAY)
    known = queries.invited_addresses(membership.id, wanted)
    own = rules.email_key(actor.email)
    rows = []
    for address in wanted:
        if address in known or rules.email_key(address) == own:
            continue
        row = ReferralInvitation(
            program_id=membership.program_id,
            advocate_id=membership.id,
            email=address,
            language=language,
            status="queued",
            created_at=now,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows
