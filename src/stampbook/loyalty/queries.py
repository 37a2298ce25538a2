"""Reads of merchant loyalty: a program's earning rules, and rows as the API shows them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select

from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import NotFound
from stampbook.core.money import from_minor
from stampbook.core.pagination import PageQuery, newest_first
from stampbook.core.policy import require
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.loyalty.models import Campaign, CampaignKind, EarningRule, Order, Refund
from stampbook.loyalty.policy import LoyaltyAction, program_of
from stampbook.loyalty.rules import in_window
from stampbook.loyalty.schemas import (
    CampaignOut,
    CampaignPage,
    EarningRuleOut,
    EarningRulePage,
    OrderOut,
    OrderPage,
    OrderQuery,
    RefundOut,
)
from stampbook.programs.models import Program
from stampbook.programs.queries import load_program

# The ledger's cause of a campaign's entries.
CAMPAIGN_CAUSE = "campaign"


def load_rule(
    actor: User | None, rule_id: int, action: str = LoyaltyAction.RULES_MANAGE
) -> EarningRule:
    found = db.session.get(EarningRule, rule_id)
    if found is None:
        raise NotFound(thing="earning_rule")
    require(actor, action, found)
    return found


def live_rule(program_id: int, kind: str) -> EarningRule | None:
    """The program's live rule of ``kind`` (one at most; not for custom activities)."""
    return db.session.scalars(
        select(EarningRule)
        .where(
            EarningRule.program_id == program_id,
            EarningRule.kind == kind,
            EarningRule.deleted_at.is_(None),
        )
        .limit(1)
    ).first()


def live_rules(program_ids: Sequence[int], kind: str) -> dict[int, EarningRule]:
    """The live rule of ``kind`` of each of the programs that have one, in one query."""
    if not program_ids:
        return {}
    found = db.session.scalars(
        select(EarningRule).where(
            EarningRule.program_id.in_(program_ids),
            EarningRule.kind == kind,
            EarningRule.deleted_at.is_(None),
        )
    )
    return {r.program_id: r for r in found}


# A credit posts at most one campaign entry per running campaign: a bound on the read below.
MAX_BOOSTS = 50


def credited_entries(entry_id: int, points: int) -> list[LedgerEntry]:
    """The ledger entries of one credit of ``points``: its rule's entry (``entry_id``) and the
    campaign entries its running campaigns added. ``crediting.credit`` posts them together,
    the member's row locked by the first, so no other entry of the member comes between:
    they are the campaign entries right after it, adding up to the rest of ``points``."""
    first = db.session.get(LedgerEntry, entry_id)
    if first is None:
        return []
    entries, rest = [first], points - first.amount
    if rest <= 0:
        return entries
    following = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.membership_id == first.membership_id, LedgerEntry.id > first.id)
        .order_by(LedgerEntry.id)
        .limit(MAX_BOOSTS)
    )
    for entry in following:
        if rest <= 0 or entry.kind != EntryKind.CAMPAIGN or entry.cause_type != CAMPAIGN_CAUSE:
            break
        entries.append(entry)
        rest -= entry.amount
    return entries


def list_rules(actor: User | None, program_id: int, page: PageQuery) -> EarningRulePage:
    program = load_program(actor, program_id, LoyaltyAction.RULES_VIEW)
    rules = select(EarningRule).where(
        EarningRule.program_id == program.id, EarningRule.deleted_at.is_(None)
    )
    items, next_cursor = newest_first(rules, EarningRule.id, page)
    return EarningRulePage(items=[rule_out(r, program) for r in items], next_cursor=next_cursor)


def rule_out(earning_rule: EarningRule, program: Program | None = None) -> EarningRuleOut:
    currency = (program or program_of(earning_rule)).currency
    return EarningRuleOut(
        id=earning_rule.id,
        program_id=earning_rule.program_id,
        kind=earning_rule.kind,
        activity=earning_rule.activity,
        points=earning_rule.points,
        per_amount=_money(earning_rule.per_amount, currency),
        minimum_amount=_money(earning_rule.minimum_amount, currency),
        include_shipping=earning_rule.include_shipping,
        include_taxes=earning_rule.include_taxes,
        currency=currency,
        starts_at=earning_rule.starts_at,
        ends_at=earning_rule.ends_at,
        limit_count=earning_rule.limit_count,
        limit_period=earning_rule.limit_period,
        active=earning_rule.deleted_at is None
        and in_window(earning_rule.starts_at, earning_rule.ends_at, utcnow()),
        created_at=earning_rule.created_at,
    )


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else from_minor(minor, currency)


def order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.id,
        program_id=order.program_id,
        membership_id=order.membership_id,
        order_id=order.order_id,
        currency=order.currency,
        subtotal=from_minor(order.subtotal, order.currency),
        total=from_minor(order.total, order.currency),
        status=order.status,
        eligible_amount=from_minor(order.eligible_amount, order.currency),
        points_earned=order.points_earned,
        points_tier=order.points_tier,
        points_clawed_back=order.points_clawed_back,
        shortfall=order.shortfall,
        refunded_amount=from_minor(order.refunded_amount, order.currency),
        paid_at=order.paid_at,
        pending_until=order.pending_until,
        cancelled_at=order.cancelled_at,
        created_at=order.created_at,
    )


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.id,
        program_id=refund.program_id,
        refund_id=refund.refund_id,
        order_id=refund.order_id,
        currency=refund.currency,
        amount=from_minor(refund.amount, refund.currency),
        status=refund.status,
        points_clawed_back=refund.points_clawed_back,
        shortfall=refund.shortfall,
        created_at=refund.created_at,
        applied_at=refund.applied_at,
    )


def load_campaign(
    actor: User | None, campaign_id: int, action: str = LoyaltyAction.RULES_MANAGE
) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(thing="campaign")
    require(actor, action, campaign)
    return campaign


def campaign_out(campaign: Campaign) -> CampaignOut:
    return campaigns_out([campaign])[0]


def campaigns_out(campaigns: Sequence[Campaign]) -> list[CampaignOut]:
    """The campaigns with what each has cost, its entries summed in one statement."""
    costs = {
        cause_id: (int(points), int(credits))
        for cause_id, points, credits in db.session.execute(
            select(LedgerEntry.cause_id, func.sum(LedgerEntry.amount), func.count())
            .where(
                LedgerEntry.cause_type == CAMPAIGN_CAUSE,
                LedgerEntry.cause_id.in_([str(c.id) for c in campaigns]),
                LedgerEntry.kind == EntryKind.CAMPAIGN,
            )
            .group_by(LedgerEntry.cause_id)
        )
    }
    return [_campaign_out(c, *costs.get(str(c.id), (0, 0))) for c in campaigns]


def _campaign_out(campaign: Campaign, points_given: int, credits: int) -> CampaignOut:
    percent = campaign.multiplier_percent
    return CampaignOut(
        id=campaign.id,
        program_id=campaign.program_id,
        name=campaign.name,
        kind=CampaignKind(campaign.kind),
        multiplier=None if percent is None else f"{Decimal(percent) / 100:.2f}",
        bonus_points=campaign.bonus_points,
        rule_kinds=campaign.rule_kinds,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        points_given=points_given,
        credits=credits,
        created_at=campaign.created_at,
    )


def list_campaigns(actor: User | None, program_id: int, page: PageQuery) -> CampaignPage:
    program = load_program(actor, program_id, LoyaltyAction.RULES_VIEW)
    rows = select(Campaign).where(Campaign.program_id == program.id, Campaign.deleted_at.is_(None))
    items, next_cursor = newest_first(rows, Campaign.id, page)
    return CampaignPage(items=campaigns_out(items), next_cursor=next_cursor)


def list_orders(actor: User | None, program_id: int, query: OrderQuery) -> OrderPage:
    """A program's orders, newest first: a customer's with ``membership_id``, a stretch of
    time with ``since`` and ``until`` (the team's view of a store's sales)."""
    program = load_program(actor, program_id, LoyaltyAction.RECORD)
    rows = select(Order).where(Order.program_id == program.id)
    if query.membership_id is not None:
        rows = rows.where(Order.membership_id == query.membership_id)
    if query.since is not None:
        rows = rows.where(Order.created_at >= query.since)
    if query.until is not None:
        rows = rows.where(Order.created_at < query.until)
    items, next_cursor = newest_first(rows, Order.id, query)
    return OrderPage(items=[order_out(o) for o in items], next_cursor=next_cursor)
