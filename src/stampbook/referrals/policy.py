"""Who reads and sets a program's referral settings, who reads a member's code and friends,
who shares a code by email, who joins through a code, and who reviews referrals (the shop's
creator and managers, or a key of theirs)."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, in_shop, rule
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import may_see_membership, may_see_program, shop_of
from stampbook.referrals.models import Referral
from stampbook.shops.policy import team_member


class ReferralAction(StrEnum):
    VIEW = "referral.view"  # a program's referral settings, on the program
    MANAGE = "referral.manage"  # settings, the referrals list, review, analytics
    REFER = "referral.refer"  # joining a program through a code, on the program
    MEMBER_VIEW = "member_referral.view"  # a member's code, link and friends
    SHARE = "member_referral.share"  # a member emailing their link to friends


def program_of(thing: Referral | Membership) -> Program:
    program = db.session.get(Program, thing.program_id)
    assert program is not None  # a foreign key guarantees it
    return program


def is_manager(actor: User | None, program: Program) -> bool:
    member = team_member(actor, shop_of(program))
    return member is not None and member.is_manager


def _managers_only(actor: User | None, program: Program) -> Decision:
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    return Decision.ALLOW if is_manager(actor, program) else Decision.DENY


in_shop(Referral, lambda referral: program_of(referral).shop_id)


@rule(ReferralAction.VIEW)
def view_settings(actor: User | None, program: Program) -> Decision:
    """Whoever sees the program sees what its referrals earn."""
    return Decision.ALLOW if may_see_program(actor, program) else Decision.HIDDEN


@rule(ReferralAction.MANAGE)
def manage(actor: User | None, subject: Program | Referral) -> Decision:
    return _managers_only(actor, subject if isinstance(subject, Program) else program_of(subject))


@rule(ReferralAction.REFER)
def refer(actor: User | None, program: Program) -> Decision:
    """Anyone signed in who sees the program may join it through a friend's code (joining
    itself is the programs domain's decision)."""
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    return Decision.ALLOW if actor is not None else Decision.DENY


@rule(ReferralAction.MEMBER_VIEW)
def view_member(actor: User | None, membership: Membership) -> Decision:
    """The member themselves and the shop's managers; nobody else learns a code."""
    if not may_see_membership(actor, membership):
        return Decision.HIDDEN
    if actor is not None and membership.user_id == actor.id:
        return Decision.ALLOW
    return Decision.ALLOW if is_manager(actor, program_of(membership)) else Decision.HIDDEN


@rule(ReferralAction.SHARE)
def share(actor: User | None, membership: Membership) -> Decision:
    """Only the member sends their own invitations (the team sees the membership but may
    not write to friends in the member's name)."""
    if not may_see_membership(actor, membership):
        return Decision.HIDDEN
    if actor is not None and membership.user_id == actor.id:
        return Decision.ALLOW
    return Decision.DENY if is_manager(actor, program_of(membership)) else Decision.HIDDEN
