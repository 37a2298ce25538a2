"""Who may see and change a program's earning rules, who records a store's orders,
refunds and activities, and who connects a shop's stores (the shop's creator and managers,
or a key of theirs)."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, gone_when, in_shop, rule
from stampbook.loyalty.models import Campaign, CustomerImport, EarningRule, Integration
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import may_see_membership, may_see_program, shop_of
from stampbook.shops.models import Shop
from stampbook.shops.policy import may_see_shop, team_member


class LoyaltyAction(StrEnum):
    """The actions this domain's rules decide."""

    RULES_VIEW = "earning_rule.view"  # checked on the program
    RULES_MANAGE = "earning_rule.manage"  # on the program, or on a rule
    RECORD = "loyalty.record"  # orders, refunds and activities, on the program
    INTEGRATIONS_MANAGE = "integration.manage"  # store connections, on the shop
    CUSTOMERS_IMPORT = "customer_import.manage"  # on the program, or one of its imports
    CUSTOMERS_VIEW = "customer.view"  # the customers' list and profiles: the program, a member


def _managers_only(actor: User | None, program: Program) -> Decision:
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    member = team_member(actor, shop_of(program))
    return Decision.ALLOW if member is not None and member.is_manager else Decision.DENY


def program_of(thing: EarningRule | Campaign | CustomerImport | Membership) -> Program:
    program = db.session.get(Program, thing.program_id)
    assert program is not None  # a foreign key guarantees it
    return program


gone_when(EarningRule, lambda earning_rule: earning_rule.deleted_at is not None)
gone_when(Campaign, lambda campaign: campaign.deleted_at is not None)


@rule(LoyaltyAction.RULES_VIEW)
def view_rules(actor: User | None, program: Program) -> Decision:
    """Whoever sees the program sees how its members earn."""
    return Decision.ALLOW if may_see_program(actor, program) else Decision.HIDDEN


@rule(LoyaltyAction.RULES_MANAGE)
def manage_rules(actor: User | None, subject: Program | EarningRule | Campaign) -> Decision:
    """Earning rules and campaigns alike."""
    program = subject if isinstance(subject, Program) else program_of(subject)
    return _managers_only(actor, program)


@rule(LoyaltyAction.RECORD)
def record(actor: User | None, program: Program) -> Decision:
    return _managers_only(actor, program)


# A store connection belongs to its shop: a shop's API key reaches its own shop's alone.
in_shop(Integration, lambda integration: integration.shop_id)
in_shop(EarningRule, lambda earning_rule: program_of(earning_rule).shop_id)
in_shop(Campaign, lambda campaign: program_of(campaign).shop_id)
in_shop(CustomerImport, lambda customer_import: program_of(customer_import).shop_id)
# An import is kept with its archived program, and gone with it for the API.
gone_when(CustomerImport, lambda customer_import: program_of(customer_import).is_archived)


@rule(LoyaltyAction.CUSTOMERS_IMPORT)
def import_customers(actor: User | None, subject: Program | CustomerImport) -> Decision:
    """Importing moves points: the shop's creator and managers (or their keys), who also
    read the import log."""
    return _managers_only(actor, subject if isinstance(subject, Program) else program_of(subject))


@rule(LoyaltyAction.CUSTOMERS_VIEW)
def view_customers(actor: User | None, subject: Program | Membership) -> Decision:
    """The customers' list and each one's profile (balance, orders, history): the shop's
    creator and managers, who see orders and every member's points history."""
    if isinstance(subject, Program):
        return _managers_only(actor, subject)
    if not may_see_membership(actor, subject):
        return Decision.HIDDEN
    return _managers_only(actor, program_of(subject))


@rule(LoyaltyAction.INTEGRATIONS_MANAGE)
def manage_integrations(actor: User | None, shop: Shop) -> Decision:
    """Connecting a store, disconnecting it and reading its webhook log: the shop's creator
    and managers (decided on the shop; a connection is decided on its shop)."""
    if not may_see_shop(actor, shop):
        return Decision.HIDDEN
    member = team_member(actor, shop)
    return Decision.ALLOW if member is not None and member.is_manager else Decision.DENY
