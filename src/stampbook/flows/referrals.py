"""Joining a program through a friend's referral code (DESIGN 8.5): the programs domain's
join, then the referrals domain's referral of the new member, in one transaction. The link's
page (``pages/referrals.py``) and ``POST /api/v1/programs/{id}/referrals`` both come here.

A user who was already a member (active, left or removed) is not new: the referral is
recorded rejected (``not_new``), and nothing else changes. The shop's team may also refer
an existing membership (a store customer who signed up in the store): new while it has no
paid order.
"""

from __future__ import annotations

from stampbook.accounts.models import User
from stampbook.core.errors import Conflict
from stampbook.programs import queries as programs_queries
from stampbook.programs import services as programs_services
from stampbook.programs.models import MembershipStatus
from stampbook.programs.policy import ProgramAction, membership_row
from stampbook.programs.rules import require_live
from stampbook.referrals import queries as referral_queries
from stampbook.referrals import referring as referrals
from stampbook.referrals.models import Referral
from stampbook.referrals.policy import ReferralAction
from stampbook.referrals.rules import ReferralMethod


def join_through(
    actor: User,
    program_id: int,
    code: str,
    *,
    method: str = ReferralMethod.CODE,
    network: str | None,
) -> Referral:
    """Join the program as ``code``'s member's friend (or come back through an invitation
    still pending), and record the referral."""
    program = programs_queries.load_program(actor, program_id, ReferralAction.REFER)
    require_live(program)
    referrals.enabled_settings(program.id)
    advocate = referrals.advocate_of(program, code)
    row = membership_row(actor.id, program.id)
    new = row is None or row.status == MembershipStatus.INVITED
    membership = programs_services.join(actor, program.id) if new else row
    assert membership is not None
    return referrals.refer(
        program=program,
        code=advocate,
        friend=membership,
        method=method,
        new_member=new,
        network=network,
    )


def refer_member(
    actor: User, program_id: int, code: str, membership_id: int, *, network: str | None
) -> Referral:
    """The team refers one of the program's memberships through ``code``."""
    program = programs_queries.load_program(actor, program_id, ReferralAction.MANAGE)
    require_live(program)
    referrals.enabled_settings(program.id)
    advocate = referrals.advocate_of(program, code)
    membership = programs_queries.load_membership(
        actor, membership_id, ProgramAction.MEMBERSHIP_VIEW
    )
    if membership.program_id != program.id:
        raise Conflict(code="membership_not_in_program")
    return referrals.refer(
        program=program,
        code=advocate,
        friend=membership,
        method=ReferralMethod.CODE,
        new_member=referral_queries.paid_orders(membership.id) == 0,
        network=network,
    )
