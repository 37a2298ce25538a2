"""The demo café's card has Silver and Gold, and the regular sits in Silver."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.tiers.models import MemberTier, Tier


def test_the_demo_card_has_silver_and_gold_with_a_member_in_silver(
    app: Flask, app_context: None, session: Session
) -> None:
    domains.load_demo()
    tiers = session.scalars(select(Tier).order_by(Tier.threshold)).all()
    assert [tier.name for tier in tiers] == ["Silver", "Gold"]
    [standing] = session.scalars(select(MemberTier)).all()
    assert standing.tier_id == tiers[0].id
