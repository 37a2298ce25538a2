"""Shopify's webhooks as plain functions, with no database: the signature, the store's
domain, the key a delivery is deduplicated on, and each topic's payload read into the
loyalty services' own input (``OrderIn``, ``RefundIn``).

Only the body is signed (``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256 of the raw bytes,
keyed with the app's API secret key); every header, the topic included, is not. So what a
delivery does is read from the signed body wherever it can be: the order's own financial
status and ``cancelled_at``, the resource its ``admin_graphql_api_id`` names. A captured
orders/paid body sent again as orders/cancelled cancels nothing.

Amounts are read as ``Decimal`` (the body is parsed with ``parse_float=Decimal``; Shopify
writes most amounts as strings, but a refund line's ``subtotal`` as a JSON number) and
handed on as decimal strings: never a float.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from ipaddress import ip_address
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, TypeAdapter, ValidationError

from stampbook.core.errors import Conflict
from stampbook.core.schemas import Email
from stampbook.loyalty.schemas import OrderIn, RefundIn

# Bodies above this are refused (413) before anything is computed on them. Shopify's largest
# payloads (orders of hundreds of lines) stay well below.
MAX_BODY_BYTES = 1024 * 1024
# What the store's admin shows as its domain: ``name.myshopify.com``.
DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")
# Longer ids than this are not Shopify's: the body's digest keys such a delivery instead.
MAX_ID_LENGTH = 64
MAX_TOPIC_LENGTH = 64

# Shopify's headers (HTTP header names are read case-insensitively).
HMAC_HEADER = "X-Shopify-Hmac-Sha256"
DOMAIN_HEADER = "X-Shopify-Shop-Domain"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"


class Topic(StrEnum):
    ORDERS_CREATE = "orders/create"
    ORDERS_PAID = "orders/paid"
    ORDERS_CANCELLED = "orders/cancelled"
    REFUNDS_CREATE = "refunds/create"
    CUSTOMERS_CREATE = "customers/create"
    CUSTOMERS_UPDATE = "customers/update"
    APP_UNINSTALLED = "app/uninstalled"


# The topics a merchant subscribes the webhook URL to (README, "Connecting a Shopify store").
# orders/create is understood too, and earns nothing: only a paid order earns.
SUBSCRIBED = (
    Topic.ORDERS_PAID,
    Topic.ORDERS_CANCELLED,
    Topic.REFUNDS_CREATE,
    Topic.CUSTOMERS_CREATE,
    Topic.CUSTOMERS_UPDATE,
    Topic.APP_UNINSTALLED,
)
# The resource each topic's body is, as its ``admin_graphql_api_id`` names it.
RESOURCES = {
    Topic.ORDERS_CREATE: "Order",
    Topic.ORDERS_PAID: "Order",
    Topic.ORDERS_CANCELLED: "Order",
    Topic.REFUNDS_CREATE: "Refund",
    Topic.CUSTOMERS_CREATE: "Customer",
    Topic.CUSTOMERS_UPDATE: "Customer",
}
# The store's financial statuses OrderIn takes; any other (``expired``...) earns nothing.
FINANCIAL_STATUSES = frozenset(
    {"pending", "authorized", "paid", "partially_paid", "partially_refunded", "refunded", "voided"}
)
_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/")
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)

Body = Mapping[str, Any]
M = TypeVar("M", bound=BaseModel)


# --- The signature and the store ------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """What Shopify sends as ``X-Shopify-Hmac-Sha256`` for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """Whether ``signature`` is ``body``'s under ``secret``, compared in constant time. A
    missing or empty one, a hex digest, another secret's: all False."""
    if not signature:
        return False
    return hmac.compare_digest(sign(body, secret).encode("ascii"), signature.encode())


def store_domain(value: str | None) -> str | None:
    """The store's domain as connections keep it (lower case), or None if it is not one."""
    domain = (value or "").strip().lower()
    return domain if DOMAIN.fullmatch(domain) else None


def topic_of(value: str | None) -> str:
    """The topic header as the log keeps it (cut to its column)."""
    return (value or "").strip().lower()[:MAX_TOPIC_LENGTH]


def known_topic(topic: str) -> Topic | None:
    try:
        return Topic(topic)
    except ValueError:
        return None


# --- Deduplication --------------------------------------------------------------------------


def resource_key(topic: str, body: Any, raw: bytes) -> str:
    """What a delivery is deduplicated on, with its connection and topic: the signed body's
    ``id`` (an order's, a refund's, a customer's); for ``customers/update``, with the body's
    ``updated_at``, since one customer is updated many times. A body without a usable id is
    keyed by its digest (the same bytes again are the same delivery)."""
    ident = body.get("id") if isinstance(body, Mapping) else None
    if isinstance(ident, bool) or not isinstance(ident, int | str):
        return _digest(raw)
    key = str(ident).strip()
    if not key or len(key) > MAX_ID_LENGTH or not key.isprintable():
        return _digest(raw)
    if topic == Topic.CUSTOMERS_UPDATE:
        updated = body.get("updated_at")
        key = f"{key}@{updated if isinstance(updated, str) else ''}"[:100]
    return key


def moment(value: Any) -> datetime | None:
    """A payload's ISO 8601 time (``"2026-03-02T10:15:00-05:00"``) in UTC; None if it is
    missing, malformed or without an offset."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- Payloads -------------------------------------------------------------------------------


def invalid(field: str) -> Conflict:
    """The signed body lacks what its topic needs (recorded on the delivery, not retried)."""
    return Conflict(code="shopify_payload_invalid", field=field)


def check_resource(topic: Topic, body: Any) -> Body:
    """The body as a mapping, if it is the resource its (unsigned) topic says: an orders/*
    body is an order, refunds/create's a refund... A body of another resource sent under the
    topic is refused."""
    if not isinstance(body, Mapping):
        raise invalid("body")
    expected = RESOURCES.get(topic)
    gid = body.get("admin_graphql_api_id")
    if expected is not None and isinstance(gid, str):
        found = _GID.match(gid)
        if found is None or found.group(1) != expected:
            raise Conflict(code="shopify_payload_mismatch", topic=str(topic))
    if topic == Topic.REFUNDS_CREATE and "refund_line_items" not in body:
        raise Conflict(code="shopify_payload_mismatch", topic=str(topic))
    if topic in (Topic.ORDERS_PAID, Topic.ORDERS_CANCELLED) and "financial_status" not in body:
        raise Conflict(code="shopify_payload_mismatch", topic=str(topic))
    return body


def customer_id(value: Any) -> str | None:
    """A Shopify id as the membership's ``external_id`` (a string)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text if text and len(text) <= MAX_ID_LENGTH and text.isprintable() else None


def email_of(value: Any) -> str | None:
    """An address the API would take, in lower case; None for none or a malformed one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _EMAIL.validate_python(value.strip()).lower()
    except ValidationError:
        return None


def order_customer(body: Body) -> tuple[str | None, str | None]:
    """The order's customer: their Shopify id (the membership's ``external_id``) and their
    email (the customer's, else the order's)."""
    customer = body.get("customer")
    customer = customer if isinstance(customer, Mapping) else {}
    email = email_of(customer.get("email")) or email_of(body.get("email"))
    return customer_id(customer.get("id")), email


def amount(value: Any, field: str) -> str:
    """A money amount as the API's decimal string; never through a float."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise invalid(field)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise invalid(field) from error
    if not number.is_finite() or number < 0:
        raise invalid(field)
    return format(number, "f")


def _shop_money(value: Any) -> Any:
    """``{"shop_money": {"amount": ...}}``'s amount (the shop's currency), or None."""
    if isinstance(value, Mapping) and isinstance(value.get("shop_money"), Mapping):
        return value["shop_money"].get("amount")
    return None


def order_in(body: Body, *, cancelled: bool = False) -> OrderIn:
    """An order's payload as the store-agnostic order: the subtotal after discounts without
    shipping and taxes (``current_subtotal_price``, else ``subtotal_price``), the total
    shipping, taxes and total, the order's currency, its test flag and its own financial
    status; the customer by their Shopify id, else by email."""
    external_id, email = order_customer(body)
    if external_id is None and email is None:
        raise invalid("customer")
    subtotal = body.get("current_subtotal_price")
    if subtotal is None:
        subtotal = body.get("subtotal_price")
    shipping = _shop_money(body.get("total_shipping_price_set"))
    status = body.get("financial_status")
    fields: dict[str, Any] = {
        "order_id": customer_id(body.get("id")) or "",
        "currency": body.get("currency"),
        "subtotal": amount(subtotal, "subtotal_price"),
        "shipping": amount(shipping if shipping is not None else "0", "total_shipping_price_set"),
        "taxes": amount(body.get("total_tax", "0"), "total_tax"),
        "total": amount(body.get("total_price"), "total_price"),
        "financial_status": status if status in FINANCIAL_STATUSES else "pending",
        "test": body.get("test") is True,
        "cancelled": cancelled,
    }
    if external_id is not None:
        fields["external_id"] = external_id
    else:
        fields["email"] = email
    fields["referral_code"] = referral_code(body)
    fields["browser_ip"] = browser_ip(body)
    return _valid(OrderIn, fields)


def browser_ip(body: Body) -> str | None:
    """The address the customer ordered from (``browser_ip``, or ``client_details``'), when it
    is one: an order without it (a point-of-sale order, a draft) is just an order."""
    details = body.get("client_details")
    for value in (
        body.get("browser_ip"),
        details.get("browser_ip") if isinstance(details, Mapping) else None,
    ):
        if isinstance(value, str):
            try:
                return str(ip_address(value.strip()))
            except ValueError:
                continue
    return None


# A referral code as the referrals domain makes them (8 letters and digits); a store's own
# discount codes of other shapes are not taken for one.
_REFERRAL_CODE = re.compile(r"^[A-Za-z0-9]{8}$")


def referral_code(body: Body) -> str | None:
    """The referral code an order carried: the cart's ``referral_code`` note attribute, the
    ``?ref=`` of the page the customer landed on, else a discount code of a referral code's
    shape. The referrals domain decides whether it is one."""
    attributes, discounts = body.get("note_attributes"), body.get("discount_codes")
    for attribute in attributes if isinstance(attributes, list) else []:
        if isinstance(attribute, Mapping) and attribute.get("name") == "referral_code":
            value = attribute.get("value")
            if isinstance(value, str) and _REFERRAL_CODE.match(value.strip()):
                return value.strip()
    landing = body.get("landing_site")
    if isinstance(landing, str):
        ref = parse_qs(urlsplit(landing).query).get("ref", [""])[0].strip()
        if _REFERRAL_CODE.match(ref):
            return ref
    for discount in discounts if isinstance(discounts, list) else []:
        code = discount.get("code") if isinstance(discount, Mapping) else None
        if isinstance(code, str) and _REFERRAL_CODE.match(code.strip()):
            return code.strip()
    return None


def is_cancelled(body: Body) -> bool:
    """What the signed body says, whatever the topic header claims."""
    return body.get("cancelled_at") not in (None, "")


def refund_amount(body: Body) -> str:
    """What was refunded of the order's subtotal: the sum of the refund's lines' subtotals
    (in the shop's money where the body gives it). Shipping, taxes and adjustments are not
    part of what earned, so they take nothing back."""
    lines = body.get("refund_line_items")
    if not isinstance(lines, list):
        raise invalid("refund_line_items")
    total = Decimal(0)
    for index, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise invalid(f"refund_line_items.{index}")
        value = _shop_money(line.get("subtotal_set"))
        if value is None:
            value = line.get("subtotal")
        total += Decimal(amount(value, f"refund_line_items.{index}.subtotal"))
    return format(total, "f")


def refund_currency(body: Body) -> str | None:
    """The refund's currency as its body tells it (the lines' shop money, else its
    transactions'); None when it says nothing."""
    for line in body.get("refund_line_items") or []:
        if isinstance(line, Mapping):
            money = line.get("subtotal_set")
            if isinstance(money, Mapping) and isinstance(money.get("shop_money"), Mapping):
                code = money["shop_money"].get("currency_code")
                if isinstance(code, str):
                    return code
    for transaction in body.get("transactions") or []:
        if isinstance(transaction, Mapping) and isinstance(transaction.get("currency"), str):
            return str(transaction["currency"])
    return None


def refund_in(body: Body, currency: str) -> RefundIn:
    fields = {
        "refund_id": customer_id(body.get("id")) or "",
        "order_id": customer_id(body.get("order_id")) or "",
        "currency": currency,
        "amount": refund_amount(body),
    }
    return _valid(RefundIn, fields)


def _valid(model: type[M], fields: dict[str, Any]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        raise invalid(".".join(str(part) for part in first["loc"]) or "body") from error
