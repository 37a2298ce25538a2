"""Shopify's webhooks as plain functions (``loyalty.shopify``): the signature, the store's
domain, the deduplication key, and each topic's recorded payload read into the services'
input, amounts as decimal strings."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stampbook.core.errors import Conflict
from stampbook.loyalty import shopify
from stampbook.loyalty.shopify import Topic
from tests.loyalty.shopify_store import BOB, ORDER, SECRET, payload, shopify_signature


def body(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload(name), parse_float=Decimal)
    data.update(changes)
    return data


# --- The signature ------------------------------------------------------------------------------


@given(st.binary(max_size=2000), st.text(min_size=1, max_size=80))
def test_the_signature_is_shopifys(raw: bytes, secret: str) -> None:
    signature = shopify.sign(raw, secret)
    assert signature == shopify_signature(raw, secret)
    assert shopify.verify(raw, secret, signature)
    assert not shopify.verify(raw + b"x", secret, signature)
    assert not shopify.verify(raw, secret + "x", signature)


@pytest.mark.parametrize("given_signature", [None, "", " ", "not base64", "é", "\x00"])
def test_anything_but_the_signature_fails(given_signature: str | None) -> None:
    assert not shopify.verify(payload("orders_paid"), SECRET, given_signature)


def test_a_hex_digest_is_not_the_signature() -> None:
    raw = payload("orders_paid")
    hexed = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert not shopify.verify(raw, SECRET, hexed)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("corner-cafe.myshopify.com", "corner-cafe.myshopify.com"),
        (" Corner-Cafe.MYSHOPIFY.com ", "corner-cafe.myshopify.com"),
        ("corner-cafe.com", None),
        ("corner-cafe.myshopify.com.evil.example", None),
        ("evil.example/corner-cafe.myshopify.com", None),
        ("", None),
        (None, None),
    ],
)
def test_the_stores_domain(value: str | None, expected: str | None) -> None:
    assert shopify.store_domain(value) == expected


# --- The deduplication key ----------------------------------------------------------------------


def test_the_key_is_the_signed_bodys_id() -> None:
    raw = payload("orders_paid")
    assert shopify.resource_key("orders/paid", json.loads(raw), raw) == ORDER
    changed = body("orders_paid", total_price="1.00")
    assert shopify.resource_key("orders/paid", changed, b"other bytes") == ORDER


def test_a_customers_updates_are_told_apart_by_their_time() -> None:
    raw = payload("customers_update")
    key = shopify.resource_key("customers/update", json.loads(raw), raw)
    assert key == f"{BOB}@2026-12-01T16:20:02-05:00"
    created = shopify.resource_key("customers/create", json.loads(raw), raw)
    assert created == BOB


@pytest.mark.parametrize("ident", [None, True, "", "x" * 65, {"a": 1}, [1], "tab\there"])
def test_a_body_without_a_usable_id_is_keyed_by_its_digest(ident: Any) -> None:
    key = shopify.resource_key("orders/paid", {"id": ident}, b"the bytes")
    assert key.startswith("sha256:") and len(key) == 71
    assert shopify.resource_key("orders/paid", [1, 2], b"the bytes") == key


# --- Payloads -----------------------------------------------------------------------------------


def test_a_paid_orders_payload_is_the_store_agnostic_order() -> None:
    order = shopify.order_in(body("orders_paid"))
    assert order.order_id == ORDER
    assert (order.external_id, order.email) == (BOB, None)
    assert (order.subtotal, order.shipping, order.taxes, order.total) == (
        "239.98",
        "10.00",
        "19.20",
        "269.18",
    )
    assert (order.currency, order.financial_status, order.test, order.cancelled) == (
        "USD",
        "paid",
        False,
        False,
    )


def test_the_subtotal_is_the_current_one_else_the_original() -> None:
    data = body("orders_paid")
    del data["current_subtotal_price"]
    data["subtotal_price"] = "100.50"
    assert shopify.order_in(data).subtotal == "100.50"


def test_a_guests_order_names_them_by_email_and_unknown_statuses_earn_nothing() -> None:
    order = shopify.order_in(body("orders_paid", customer=None, financial_status="expired"))
    assert (order.external_id, order.email, order.financial_status) == (
        None,
        "bob@biller.com",
        "pending",
    )
    assert shopify.order_customer(body("orders_paid", customer=None, email=None)) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"total_price": -1}, "total_price"),
        ({"total_price": "NaN"}, "total_price"),
        ({"total_price": "Infinity"}, "total_price"),
        ({"total_price": True}, "total_price"),
        ({"total_price": None}, "total_price"),
        ({"current_subtotal_price": "12,50"}, "subtotal_price"),
        ({"currency": "dollars"}, "currency"),
        ({"currency": None}, "currency"),
        ({"id": None}, "order_id"),
    ],
)
def test_an_order_payload_that_does_not_add_up_is_refused_with_its_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(Conflict) as refused:
        shopify.order_in(body("orders_paid", **changes))
    assert refused.value.code == "shopify_payload_invalid"
    assert refused.value.params == {"field": field}


def test_a_refunds_amount_is_its_lines_subtotals_in_the_shops_money() -> None:
    data = body("refunds_create")
    assert shopify.refund_amount(data) == "86.39"
    assert shopify.refund_currency(data) == "USD"
    refund = shopify.refund_in(data, "USD")
    assert (refund.refund_id, refund.order_id, refund.amount) == (
        "890088186047892319",
        ORDER,
        "86.39",
    )


def test_a_refund_line_without_its_money_set_reads_its_number_exactly() -> None:
    line = {"subtotal": Decimal("0.1")}
    other = {"subtotal": Decimal("0.2")}
    assert shopify.refund_amount({"refund_line_items": [line, other]}) == "0.3"
    assert shopify.refund_amount({"refund_line_items": []}) == "0"
    with pytest.raises(Conflict):
        shopify.refund_amount({"refund_line_items": [{"subtotal": "-5"}]})
    with pytest.raises(Conflict):
        shopify.refund_amount({"refund_line_items": "all"})


def test_a_refunds_currency_falls_back_to_its_transactions() -> None:
    data = body("refunds_create")
    for line in data["refund_line_items"]:
        del line["subtotal_set"]
    assert shopify.refund_currency(data) == "USD"
    assert shopify.refund_currency({"refund_line_items": []}) is None


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        (Topic.ORDERS_PAID, "orders_paid"),
        (Topic.ORDERS_CANCELLED, "orders_cancelled"),
        (Topic.REFUNDS_CREATE, "refunds_create"),
        (Topic.CUSTOMERS_CREATE, "customers_create"),
        (Topic.CUSTOMERS_UPDATE, "customers_update"),
        (Topic.APP_UNINSTALLED, "app_uninstalled"),
    ],
)
def test_each_topics_payload_is_its_resource(topic: Topic, name: str) -> None:
    assert shopify.check_resource(topic, body(name)) is not None


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        (Topic.REFUNDS_CREATE, "orders_paid"),
        (Topic.ORDERS_PAID, "refunds_create"),
        (Topic.ORDERS_CANCELLED, "customers_create"),
        (Topic.CUSTOMERS_CREATE, "orders_paid"),
        (Topic.CUSTOMERS_UPDATE, "refunds_create"),
    ],
)
def test_a_body_of_another_resource_is_refused_under_a_topic(topic: Topic, name: str) -> None:
    with pytest.raises(Conflict) as refused:
        shopify.check_resource(topic, body(name))
    assert refused.value.code == "shopify_payload_mismatch"


def test_a_body_that_is_not_an_object_is_invalid() -> None:
    with pytest.raises(Conflict) as refused:
        shopify.check_resource(Topic.ORDERS_PAID, [1, 2, 3])
    assert refused.value.code == "shopify_payload_invalid"


def test_what_a_cancellation_says_is_the_bodys() -> None:
    assert shopify.is_cancelled(body("orders_cancelled"))
    assert not shopify.is_cancelled(body("orders_paid"))
