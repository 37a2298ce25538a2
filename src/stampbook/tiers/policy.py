"""Who sees and sets up a program's tiers, who reads a member's tier, and who raises it by
hand (the shop's creator and managers, or a key of theirs)."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, gone_when, in_shop, rule
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import may_see_membership, may_see_program, shop_of
from stampbook.shops.policy import team_member
from stampbook.tiers.models import Tier


class TierAction(StrEnum):
    VIEW = "tier.view"  # a program's tiers and settings, on the program
    MANAGE = "tier.manage"  # on the program, or on a tier
    MEMBER_VIEW = "member_tier.view"  # a member's tier and its history, on the membership
    MEMBER_RAISE = "member_tier.raise"  # staff raising a member, on the membership


def program_of(thing: Tier | Membership) -> Program:
    program = db.session.get(Program, thing.program_id)
    assert program is not None  # a foreign key guarantees it
    return program


def _managers_only(actor: User | None, program: Program) -> Decision:
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    member = team_member(actor, shop_of(program))
    return Decision.ALLOW if member is not None and member.is_manager else Decision.DENY


gone_when(Tier, lambda tier: tier.deleted_at is not None)
in_shop(Tier, lambda tier: program_of(tier).shop_id)


@rule(TierAction.VIEW)
def view_tiers(actor: User | None, program: Program) -> Decision:
    """Whoever sees the program sees its tiers, their thresholds and perks."""
    return Decision.ALLOW if may_see_program(actor, program) else Decision.HIDDEN


@rule(TierAction.MANAGE)
def manage_tiers(actor: User | None, subject: Program | Tier) -> Decision:
    return _managers_only(actor, subject if isinstance(subject, Program) else program_of(subject))


@rule(TierAction.MEMBER_VIEW)
def view_member_tier(actor: User | None, membership: Membership) -> Decision:
    """As the membership itself: the member, and whoever sees it."""
    return Decision.ALLOW if may_see_membership(actor, membership) else Decision.HIDDEN


@rule(TierAction.MEMBER_RAISE)
def raise_member(actor: User | None, membership: Membership) -> Decision:
    if not may_see_membership(actor, membership):
        return Decision.HIDDEN
    return _managers_only(actor, program_of(membership))
