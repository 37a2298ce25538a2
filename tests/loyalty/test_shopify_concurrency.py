"""Shopify delivering one webhook several times at once (RELIABILITY-CASES 17, 35), on real
parallel connections: the delivery is logged once and the order earns once."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import EarningRule, Integration, IntegrationDelivery, Order
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.shops import make_team
from tests.loyalty.shopify_store import BOB, DOMAIN, SECRET, WEBHOOK, payload, shopify_signature

pytestmark = pytest.mark.concurrency


def _connected_store(app: Flask) -> None:
    with committed_session(app) as session:
        team = make_team(session)
        session.add(
            EarningRule(program_id=team.program.id, kind="purchase", points=1, per_amount=100)
        )
        session.add(
            Integration(
                shop_id=team.shop.id,
                shop_domain=DOMAIN,
                secret=SECRET,
                program_id=team.program.id,
                created_by=team.creator.id,
            )
        )


def test_orders_paid_delivered_three_times_at_once_earns_once(committed: Flask) -> None:
    _connected_store(committed)
    body = payload("orders_paid")
    headers = {
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": DOMAIN,
        "X-Shopify-Hmac-Sha256": shopify_signature(body),
    }

    def deliver(index: int) -> tuple[int, bool]:
        response = committed.test_client().post(
            WEBHOOK,
            data=body,
            content_type="application/json",
            headers={**headers, "X-Shopify-Webhook-Id": f"attempt-{index}"},
        )
        return response.status_code, bool(response.json["duplicate"])

    answers = run_parallel(3, deliver)

    assert [status for status, _ in answers] == [200, 200, 200]
    assert sorted(duplicate for _, duplicate in answers) == [False, True, True]
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(IntegrationDelivery)) == 1
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        balance = db.session.scalar(select(Membership.balance).where(Membership.external_id == BOB))
        assert balance == 239
        assert find_discrepancies() == []
