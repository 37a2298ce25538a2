"""Qualifying orders racing on real parallel connections (RELIABILITY-CASES 24): 20 orders of
one customer at once, each crossing Silver's threshold alone, rise once and give Silver's
entry points once (the membership's row is the lock; the grant's row is unique)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import EarningRule
from stampbook.programs.models import Membership
from stampbook.tiers.models import MemberTier, Tier, TierChange, TierEntryGrant, TierSettings
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency


def _post(app: Flask, url: str, token: str, body: dict[str, Any]) -> int:
    client = app.test_client()
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"}).status_code


def test_twenty_qualifying_orders_at_once_give_the_entry_reward_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        program_id = team.program.id
        session.add_all(
            [
                EarningRule(program_id=program_id, kind="purchase", points=1, per_amount=100),
                TierSettings(program_id=program_id, period="calendar_year"),
                Tier(program_id=program_id, name="Silver", threshold=100, entry_points=25),
            ]
        )
        token = make_token(session, team.manager)
    url = f"/api/v1/programs/{program_id}/orders"

    def order(index: int) -> int:
        body = {
            "order_id": f"race-{index}",
            "external_id": "racer",
            "currency": "USD",
            "subtotal": "100.00",
            "total": "100.00",
        }
        return _post(committed, url, token, body)

    statuses = run_parallel(20, order)

    assert statuses == [201] * 20, statuses
    with committed.app_context():
        membership_id = db.session.scalar(
            select(Membership.id).where(Membership.external_id == "racer")
        )
        assert db.session.scalar(select(func.count()).select_from(TierEntryGrant)) == 1
        assert db.session.scalar(select(func.count()).select_from(TierChange)) == 1
        standing = db.session.get(MemberTier, membership_id)
        assert standing is not None and standing.tier_id is not None
        balance = db.session.scalar(
            select(Membership.balance).where(Membership.id == membership_id)
        )
        assert balance == 20 * 100 + 25
        assert find_discrepancies() == []
