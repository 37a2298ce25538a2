"""Who may see and change a program's earning rules, and who records a store's orders,
refunds and activities (the shop's creator and managers, or a key of theirs)."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, gone_when, rule
from stampbook.loyalty.models import EarningRule
from stampbook.programs.models import Program
from stampbook.programs.policy import may_see_program, shop_of
from stampbook.shops.policy import team_member


class LoyaltyAction(StrEnum):
    """The actions this domain's rules decide."""

    RULES_VIEW = "earning_rule.view"  # checked on the program
    RULES_MANAGE = "earning_rule.manage"  # on the program, or on a rule
    RECORD = "loyalty.record"  # orders, refunds and activities, on the program


def _managers_only(actor: User | None, program: Program) -> Decision:
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    member = team_member(actor, shop_of(program))
    return Decision.ALLOW if member is not None and member.is_manager else Decision.DENY


def program_of(earning_rule: EarningRule) -> Program:
    program = db.session.get(Program, earning_rule.program_id)
    assert program is not None  # a foreign key guarantees it
    return program


gone_when(EarningRule, lambda earning_rule: earning_rule.deleted_at is not None)


@rule(LoyaltyAction.RULES_VIEW)
def view_rules(actor: User | None, program: Program) -> Decision:
    """Whoever sees the program sees how its members earn."""
    return Decision.ALLOW if may_see_program(actor, program) else Decision.HIDDEN


@rule(LoyaltyAction.RULES_MANAGE)
def manage_rules(actor: User | None, subject: Program | EarningRule) -> Decision:
    program = subject if isinstance(subject, Program) else program_of(subject)
    return _managers_only(actor, program)


@rule(LoyaltyAction.RECORD)
def record(actor: User | None, program: Program) -> Decision:
    return _managers_only(actor, program)
