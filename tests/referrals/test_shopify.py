"""A Shopify order's referral code, read from the signed body: the cart's note attribute,
the landing page's ``?ref=``, else a discount code of a referral code's shape; and the
address the customer ordered from."""

from __future__ import annotations

from stampbook.loyalty.shopify import browser_ip, referral_code


def test_the_note_attribute_comes_first() -> None:
    body = {
        "note_attributes": [
            {"name": "gift", "value": "yes"},
            {"name": "referral_code", "value": "7KQ4M2XP"},
        ],
        "landing_site": "/?ref=AAAA2222",
        "discount_codes": [{"code": "BBBB3333"}],
    }
    assert referral_code(body) == "7KQ4M2XP"


def test_the_landing_page_then_a_discount_code() -> None:
    assert referral_code({"landing_site": "/products/x?utm=a&ref=AAAA2222"}) == "AAAA2222"
    body = {"discount_codes": [{"code": "SUMMER-SALE-10"}, {"code": "BBBB3333"}]}
    assert referral_code(body) == "BBBB3333"


def test_odd_shapes_carry_no_code() -> None:
    assert referral_code({}) is None
    assert referral_code({"note_attributes": "x", "discount_codes": {"code": "BBBB3333"}}) is None
    assert referral_code({"landing_site": 5, "discount_codes": [None, 3]}) is None
    assert (
        referral_code({"note_attributes": [{"name": "referral_code", "value": "too long code"}]})
        is None
    )


def test_the_network_address_from_browser_ip_or_client_details() -> None:
    assert browser_ip({"browser_ip": "203.0.113.7"}) == "203.0.113.7"
    assert browser_ip({"client_details": {"browser_ip": "2001:DB8::1"}}) == "2001:db8::1"
    assert browser_ip({"browser_ip": "nope", "client_details": {"browser_ip": "10.0.0.1"}}) == (
        "10.0.0.1"
    )
    assert browser_ip({"browser_ip": None, "client_details": "x"}) is None
