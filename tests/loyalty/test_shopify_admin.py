"""The Admin GraphQL adapter (``loyalty.shopify_admin``) against a fake store on loopback that
answers with Shopify's recorded payloads: what it asks for, and how it reads each answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from stampbook.loyalty import shopify_admin
from stampbook.loyalty.shopify_admin import (
    Created,
    Discount,
    Found,
    Refused,
    Store,
    Taken,
    Unavailable,
)
from tests.loyalty.fake_shopify_admin import TOKEN, FakeStore, Scripted

DOMAIN = "corner-cafe.myshopify.com"
STORE = Store(DOMAIN, TOKEN)
AT = datetime(2026, 12, 6, 10, 30, tzinfo=UTC)
BOB = "gid://shopify/Customer/706405506930370084"


def discount(code: str = "KX7MPA4TQWC9", **fields: Any) -> Discount:
    values: dict[str, Any] = {
        "title": "5 off (stampbook receipt 7)",
        "kind": "discount_amount",
        "starts_at": AT,
        "amount": "5.00",
        "customer_gid": BOB,
    }
    return Discount(code=code, **(values | fields))


def test_an_amount_off_is_made_once_for_one_customer(
    app_context: None, fake_store: FakeStore
) -> None:
    answer = shopify_admin.create_discount(STORE, discount())

    assert isinstance(answer, Created)
    assert answer.store_id.startswith("gid://shopify/DiscountCodeNode/")
    [call] = fake_store.calls
    assert call.path == f"/{DOMAIN}/admin/api/2025-01/graphql.json"
    assert call.headers["x-shopify-access-token"] == TOKEN
    assert call.headers["content-type"] == "application/json"
    assert call.operation == "discountCodeBasicCreate"
    assert call.variables == {
        "basicCodeDiscount": {
            "title": "5 off (stampbook receipt 7)",
            "code": "KX7MPA4TQWC9",
            "startsAt": "2026-12-06T10:30:00Z",
            "usageLimit": 1,
            "appliesOncePerCustomer": True,
            "customerSelection": {"customers": {"add": [BOB]}},
            "customerGets": {
                "value": {"discountAmount": {"amount": "5.00", "appliesOnEachItem": False}},
                "items": {"all": True},
            },
        }
    }


def test_a_percentage_and_free_shipping(app_context: None, fake_store: FakeStore) -> None:
    percent = discount("PERCENT34679", kind="discount_percent", amount=None, percent=15)
    shipping = discount("SHIPPING3467", kind="free_shipping", amount=None, customer_gid=None)

    assert isinstance(shopify_admin.create_discount(STORE, percent), Created)
    assert isinstance(shopify_admin.create_discount(STORE, shipping), Created)

    first, second = fake_store.calls
    gets = first.variables["basicCodeDiscount"]["customerGets"]
    assert gets == {"value": {"percentage": 0.15}, "items": {"all": True}}
    assert second.operation == "discountCodeFreeShippingCreate"
    free = second.variables["freeShippingCodeDiscount"]
    assert free["destination"] == {"all": True}
    assert free["customerSelection"] == {"all": True}  # no store customer known: anyone, once
    assert (free["usageLimit"], free["appliesOncePerCustomer"]) == (1, True)


def test_a_code_held_already_is_taken_and_found(app_context: None, fake_store: FakeStore) -> None:
    made = shopify_admin.create_discount(STORE, discount())
    again = shopify_admin.create_discount(STORE, discount())
    found = shopify_admin.find_discount(STORE, "KX7MPA4TQWC9")
    missing = shopify_admin.find_discount(STORE, "NOTHING34679")

    assert isinstance(made, Created)
    assert isinstance(again, Taken)
    assert found == Found(made.store_id, "5 off (stampbook receipt 7)")
    assert missing == Found(None)
    assert fake_store.calls[-1].variables == {"code": "NOTHING34679"}
    assert len(fake_store.codes) == 1


@pytest.mark.parametrize(
    ("scripted", "expected"),
    [
        (Scripted(name="discount_code_basic_create_invalid"), Refused("INVALID", "")),
        (Scripted(name="access_denied"), Refused("ACCESS_DENIED", "")),
        (Scripted(403, name="unauthorized"), Refused("http_403", "")),
        (Scripted(name="throttled"), Unavailable("throttled")),
        (Scripted(429), Unavailable("http_429")),
        (Scripted(500), Unavailable("http_500")),
        (Scripted(502, make=True), Unavailable("http_502")),
        (Scripted(200), Unavailable("unreadable")),
    ],
)
def test_how_each_answer_is_read(
    app_context: None, fake_store: FakeStore, scripted: Scripted, expected: Any
) -> None:
    fake_store.answer(scripted)

    answer = shopify_admin.create_discount(STORE, discount())

    assert type(answer) is type(expected)
    if isinstance(expected, Refused):
        assert isinstance(answer, Refused) and answer.code == expected.code and answer.message
    else:
        assert answer == expected


def test_a_wrong_token_is_refused_with_shopifys_words(
    app_context: None, fake_store: FakeStore
) -> None:
    answer = shopify_admin.create_discount(Store(DOMAIN, "shpat_revoked-token-0000"), discount())

    assert isinstance(answer, Refused)
    assert answer.code == "http_401"
    assert "Invalid API key or access token" in answer.message
    assert fake_store.codes == {}


def test_no_answer_in_time_may_pass_though_the_store_made_it(
    app: Any, app_context: None, fake_store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SHOPIFY_TIMEOUT_SECONDS", 1)
    fake_store.answer(Scripted(make=True, delay=2.5))

    answer = shopify_admin.create_discount(STORE, discount())

    assert answer == Unavailable("timeout")
    assert list(fake_store.codes) == ["KX7MPA4TQWC9"]  # what a retry will find


def test_a_store_on_a_private_address_is_not_called(
    app: Any, app_context: None, fake_store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)

    answer = shopify_admin.create_discount(STORE, discount())

    assert isinstance(answer, Refused) and answer.code == "url_not_allowed"
    assert fake_store.calls == []


@pytest.mark.parametrize(
    ("external_id", "gid"),
    [
        ("706405506930370084", BOB),
        (BOB, BOB),
        ("cust-1", None),
        ("gid://shopify/Customer/x1", None),
        (None, None),
        ("", None),
    ],
)
def test_a_store_customer_by_its_id(external_id: str | None, gid: str | None) -> None:
    assert shopify_admin.customer_gid(external_id) == gid
