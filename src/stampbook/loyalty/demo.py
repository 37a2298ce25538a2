"""The coffee card as a store's loyalty program: a point per dollar spent, signup, birthday
and survey points, a double-points week, points expiring a year after they are earned, a few
of the till's orders (one half refunded), two
of them for customers known only by the till's id, and the café's online store connected
through Shopify, whose webhooks (recorded payloads, signed as Shopify signs them) bring a
customer, a paid order (its points pending for two weeks) and a refund; the job after the
demo's commit, run by the consumer ``make run`` starts, turns them into points."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from werkzeug.datastructures import Headers

from stampbook.core.db import db, utcnow
from stampbook.core.demo import DemoWorld
from stampbook.loyalty import shopify
from stampbook.loyalty.models import Campaign, CampaignKind, EarningRule, Integration, RuleKind
from stampbook.loyalty.ordering import take_order, take_refund
from stampbook.loyalty.schemas import OrderIn, RefundIn
from stampbook.loyalty.webhooks_in import receive
from stampbook.programs.models import Program

ORDERS = [
    # (order id, customer: membership of the regular or the till's customer id, subtotal)
    ("till-1001", "regular", "12.40"),
    ("till-1002", "till-77", "42.50"),
    ("till-1003", "till-78", "18.00"),
]


def load(world: DemoWorld) -> None:
    _, (card_id, _club_id) = world.at()
    card = db.session.get(Program, card_id)
    assert card is not None
    now = utcnow()
    db.session.add_all(
        [
            EarningRule(
                program_id=card.id,
                kind=RuleKind.PURCHASE,
                points=1,
                per_amount=100,
                minimum_amount=300,
            ),
            EarningRule(program_id=card.id, kind=RuleKind.SIGNUP, points=25),
            EarningRule(program_id=card.id, kind=RuleKind.BIRTHDAY, points=50),
            EarningRule(
                program_id=card.id,
                kind=RuleKind.ACTIVITY,
                activity="survey_completed",
                points=15,
                limit_count=1,
                limit_period="month",
            ),
            Campaign(
                program_id=card.id,
                name="Double points week",
                kind=CampaignKind.MULTIPLIER,
                multiplier_percent=200,
                rule_kinds=[RuleKind.PURCHASE],
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=6),
            ),
        ]
    )
    # Points earned from now on expire a year later (what members held before never does),
    # and the online store's orders wait out a two-week return window, pending.
    card.expiry_mode, card.expiry_days, card.expiry_since = "days", 365, now
    db.session.flush()
    regular = world.membership_ids[card.id, world.user_ids[2]]
    for order_id, who, subtotal in ORDERS:
        customer = {"membership_id": regular} if who == "regular" else {"external_id": who}
        take_order(
            card,
            OrderIn(
                order_id=order_id,
                currency=card.currency,
                subtotal=subtotal,
                total=subtotal,
                **customer,
            ),
        )
    take_refund(
        card,
        RefundIn(refund_id="till-r1", order_id="till-1003", currency=card.currency, amount="9.00"),
    )
    card.pending_days = 14
    _online_store(world, card)


STORE = "cafe-luna-demo.myshopify.com"


def _online_store(world: DemoWorld, card: Program) -> None:
    secret = secrets.token_urlsafe(24)  # nobody else posts to the demo's store
    db.session.add(
        Integration(
            shop_id=card.shop_id,
            kind="shopify",
            shop_domain=STORE,
            secret=secret,
            program_id=card.id,
            created_by=world.owner_id,
            created_at=utcnow(),
        )
    )
    db.session.flush()
    for topic, body in _store_webhooks(card.currency):
        raw = json.dumps(body).encode()
        headers = Headers(
            {
                shopify.DOMAIN_HEADER: STORE,
                shopify.TOPIC_HEADER: topic,
                shopify.HMAC_HEADER: shopify.sign(raw, secret),
                shopify.WEBHOOK_ID_HEADER: f"demo-{topic}-{body['id']}",
            }
        )
        receive(raw, headers)


def _store_webhooks(currency: str) -> list[tuple[str, dict[str, Any]]]:
    """customers/create, orders/paid and refunds/create, shaped as Shopify sends them."""
    customer = {
        "id": 7390000001,
        "admin_graphql_api_id": "gid://shopify/Customer/7390000001",
        "email": "marta@example.com",
        "first_name": "Marta",
        "last_name": "Gil",
    }
    line = {"id": 1390000001, "price": "18.50", "quantity": 2, "title": "Coffee beans, 250 g"}
    order = {
        "id": 5390000001,
        "admin_graphql_api_id": "gid://shopify/Order/5390000001",
        "email": customer["email"],
        "currency": currency,
        "financial_status": "paid",
        "test": False,
        "cancelled_at": None,
        "current_subtotal_price": "37.00",
        "subtotal_price": "37.00",
        "total_tax": "3.33",
        "total_price": "45.28",
        "total_shipping_price_set": {
            "shop_money": {"amount": "4.95", "currency_code": currency},
        },
        "customer": customer,
        "line_items": [line],
    }
    refund = {
        "id": 9390000001,
        "admin_graphql_api_id": "gid://shopify/Refund/9390000001",
        "order_id": order["id"],
        "refund_line_items": [
            {
                "id": 2390000001,
                "line_item_id": line["id"],
                "quantity": 1,
                "subtotal": "18.50",
                "subtotal_set": {"shop_money": {"amount": "18.50", "currency_code": currency}},
            }
        ],
        "transactions": [{"kind": "refund", "amount": "18.50", "currency": currency}],
    }
    return [("customers/create", customer), ("orders/paid", order), ("refunds/create", refund)]
