"""Who may read a membership's points and history."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, rule
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import may_see_program
from stampbook.shops.models import Shop
from stampbook.shops.policy import team_member


class LedgerAction(StrEnum):
    """The actions this domain's rules decide."""

    MEMBERSHIP_ADJUST = "membership.adjust"
    MEMBERSHIP_VIEW_ENTRIES = "membership.view_entries"
    PROGRAM_VIEW_ENTRIES = "program.view_entries"  # the activity log: every member's entries


def _manages_shop_of(actor: User, membership: Membership) -> bool:
    program = db.session.get(Program, membership.program_id)
    shop = db.session.get(Shop, program.shop_id) if program else None
    member = team_member(actor, shop) if shop is not None else None
    return member is not None and member.is_manager


@rule(LedgerAction.MEMBERSHIP_VIEW_ENTRIES)
def view_entries(actor: User | None, membership: Membership) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    if membership.user_id == actor.id or _manages_shop_of(actor, membership):
        return Decision.ALLOW
    return Decision.HIDDEN


@rule(LedgerAction.MEMBERSHIP_ADJUST)
def adjust(actor: User | None, membership: Membership) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    if _manages_shop_of(actor, membership):
        return Decision.ALLOW
    # Members see their own membership but may not change its points.
    return Decision.DENY if membership.user_id == actor.id else Decision.HIDDEN


@rule(LedgerAction.PROGRAM_VIEW_ENTRIES)
def view_program_entries(actor: User | None, program: Program) -> Decision:
    """A program's points activity (every member's entries): whoever may see each member's
    history, the shop's creator and managers."""
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    shop = db.session.get(Shop, program.shop_id)
    member = team_member(actor, shop) if shop is not None else None
    return Decision.ALLOW if member is not None and member.is_manager else Decision.DENY
