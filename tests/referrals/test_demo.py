"""The demo café's card takes referrals: the regular's code, a friend who joined (both paid
once) and a self-referral rejected with its reason."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.referrals.models import Referral, ReferralSettings


def test_the_demo_card_takes_referrals(app: Flask, app_context: None, session: Session) -> None:
    domains.load_demo()
    [settings] = session.scalars(select(ReferralSettings)).all()
    assert settings.enabled and settings.advocate_points == 50
    rows = session.scalars(select(Referral).order_by(Referral.id)).all()
    assert [(r.status, r.reason) for r in rows][-1] == ("rejected", "self_user")
