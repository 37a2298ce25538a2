"""Campaigns: made and changed by the shop's managers, and the boosts they add when a rule
credits (an order paid, an activity, a signup). Services never commit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.loyalty.models import Campaign, CampaignKind
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.queries import CAMPAIGN_CAUSE, load_campaign
from stampbook.loyalty.rules import Boost, boosts
from stampbook.loyalty.schemas import CampaignIn
from stampbook.programs.queries import load_program
from stampbook.programs.rules import require_live


def create_campaign(actor: User, program_id: int, body: CampaignIn) -> Campaign:
    program = load_program(actor, program_id, LoyaltyAction.RULES_MANAGE)
    require_live(program)
    campaign = Campaign(
        program_id=program.id,
        **body.model_dump(exclude={"multiplier"}),
        multiplier_percent=_percent(body.multiplier),
    )
    _check(campaign)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(actor: User, campaign_id: int, changes: dict[str, Any]) -> Campaign:
    campaign = load_campaign(actor, campaign_id)
    for field, value in changes.items():
        if field == "multiplier":
            field, value = "multiplier_percent", _percent(value)
        setattr(campaign, field, value)
    _check(campaign)
    db.session.flush()
    return campaign


def delete_campaign(actor: User, campaign_id: int) -> None:
    """Ended for good; the points it gave stay (they are the members')."""
    load_campaign(actor, campaign_id).deleted_at = utcnow()
    db.session.flush()


def boost(
    membership_id: int,
    program_id: int,
    rule_kind: str,
    base: int,
    at: datetime,
    *,
    held: tuple[str, int, datetime] | None = None,
) -> int:
    """Post the campaigns' points for ``base`` points just earned by a rule of ``rule_kind``
    (each campaign its own entry); their total. ``held``: the base points are pending
    (source type, source id, release time), and so are these."""
    running = db.session.scalars(
        select(Campaign).where(
            Campaign.program_id == program_id,
            Campaign.deleted_at.is_(None),
            Campaign.starts_at <= at,
            Campaign.ends_at > at,
        )
    ).all()
    added = boosts(
        base,
        rule_kind,
        [
            Boost(c.id, frozenset(c.rule_kinds), c.multiplier_percent, c.bonus_points)
            for c in running
        ],
    )
    for campaign_id, points in added:
        if held is not None:
            source_type, source_id, release_at = held
            ledger.hold(
                membership_id=membership_id,
                amount=points,
                kind=EntryKind.CAMPAIGN,
                cause_type=CAMPAIGN_CAUSE,
                cause_id=campaign_id,
                source_type=source_type,
                source_id=source_id,
                release_at=release_at,
            )
            continue
        ledger.post(
            membership_id=membership_id,
            amount=points,
            kind=EntryKind.CAMPAIGN,
            actor_id=None,
            cause_type=CAMPAIGN_CAUSE,
            cause_id=campaign_id,
        )
    return sum(points for _, points in added)


def _percent(multiplier: str | None) -> int | None:
    return None if multiplier is None else int(Decimal(multiplier) * 100)


def _check(campaign: Campaign) -> None:
    if campaign.ends_at <= campaign.starts_at:
        raise Conflict(code="window_reversed")
    multiplier = campaign.kind == CampaignKind.MULTIPLIER
    if multiplier != (campaign.multiplier_percent is not None) or multiplier == (
        campaign.bonus_points is not None
    ):
        raise Conflict(code="campaign_kind_fields")
