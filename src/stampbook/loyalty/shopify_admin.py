"""Shopify's Admin GraphQL API, as far as discount codes need it: make a single-use code
(``discountCodeBasicCreate`` for an amount or a percentage off, ``discountCodeFreeShippingCreate``
for free shipping; the REST price rules are legacy) and find a code
(``codeDiscountNodeByCode``). No database: the flow ``stampbook.flows.discount_codes``
decides what to do with each answer.

The endpoint is ``SHOPIFY_ADMIN_URL`` with ``{shop}`` replaced by the store's domain (the API
version is in it: 2025-01, whose ``customerSelection`` restricts a code to customers); the
store's Admin API access token goes in ``X-Shopify-Access-Token``. The call goes through
``core.egress`` (address checks, no redirects, a bounded time).

Each call's answer is one of:

- ``Created`` (the store's id for the new discount), ``Found`` (what the store holds under
  a code, or nothing): done;
- ``Taken``: the store holds the code already (``userErrors`` code ``TAKEN`` on the code):
  after a lost answer this is our own code, which ``find_discount`` tells;
- ``Refused``: the store said no and would say it again: other ``userErrors``, a 4xx such as
  401 (a wrong or revoked token) or 403, a GraphQL error such as ``ACCESS_DENIED`` (the app
  lacks ``write_discounts``);
- ``Unavailable``: it may pass: no answer in time, no connection, 408, 429, a 5xx, GraphQL's
  ``THROTTLED``, an answer that cannot be read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import current_app

from stampbook.core import egress

# Enough for the small answers asked for (an id, the errors, Shopify's cost extension).
MAX_ANSWER_BYTES = 64 * 1024
RETRYABLE_STATUSES = frozenset({408, 429})
# GraphQL errors (``extensions.code``) that may pass.
RETRYABLE_ERRORS = frozenset({"THROTTLED", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})
CUSTOMER_GID = "gid://shopify/Customer/"

CREATE_BASIC = """mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""
CREATE_FREE_SHIPPING = """mutation discountCodeFreeShippingCreate(
  $freeShippingCodeDiscount: DiscountCodeFreeShippingInput!
) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""
FIND = """query codeDiscountNodeByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount {
      __typename
      ... on DiscountCodeBasic { title }
      ... on DiscountCodeFreeShipping { title }
      ... on DiscountCodeBxgy { title }
      ... on DiscountCodeApp { title }
    }
  }
}"""


@dataclass(frozen=True)
class Store:
    """Where to call: the store's domain and its Admin API access token."""

    domain: str
    token: str


@dataclass(frozen=True)
class Discount:
    """The discount a receipt's code gives, as the store is asked to make it."""

    code: str
    title: str
    kind: str  # discount_amount | discount_percent | free_shipping
    starts_at: datetime
    amount: str | None = None  # a decimal string, in the store's currency
    percent: int | None = None  # 1..100
    customer_gid: str | None = None  # only this customer may use it (else anyone, once)


@dataclass(frozen=True)
class Created:
    store_id: str


@dataclass(frozen=True)
class Taken:
    pass


@dataclass(frozen=True)
class Found:
    """What the store holds under a code: its id and title, or None for either if nothing."""

    store_id: str | None
    title: str | None = None


@dataclass(frozen=True)
class Refused:
    code: str  # the store's error code (``INVALID``, ``ACCESS_DENIED``...) or ``http_401``...
    message: str


@dataclass(frozen=True)
class Unavailable:
    reason: str


CreateAnswer = Created | Taken | Refused | Unavailable
FindAnswer = Found | Refused | Unavailable


def customer_gid(external_id: str | None) -> str | None:
    """A store customer's global id from the id a membership keeps (``external_id``: the
    number, or the gid itself); None for anything else (a customer of another system)."""
    if not external_id:
        return None
    if external_id.startswith(CUSTOMER_GID) and external_id[len(CUSTOMER_GID) :].isdigit():
        return external_id
    return f"{CUSTOMER_GID}{external_id}" if external_id.isdigit() else None


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def discount_input(discount: Discount) -> tuple[str, str, dict[str, Any]]:
    """The mutation, its root field and its variables for ``discount``: one use in all, once
    per customer, restricted to the member's store customer when known."""
    common: dict[str, Any] = {
        "title": discount.title,
        "code": discount.code,
        "startsAt": _moment(discount.starts_at),
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        "customerSelection": (
            {"customers": {"add": [discount.customer_gid]}}
            if discount.customer_gid
            else {"all": True}
        ),
    }
    if discount.kind == "free_shipping":
        variables = {"freeShippingCodeDiscount": {**common, "destination": {"all": True}}}
        return CREATE_FREE_SHIPPING, "discountCodeFreeShippingCreate", variables
    if discount.kind == "discount_percent":
        assert discount.percent is not None
        # A fraction of 1 (0.15 for 15%), which Shopify's Float takes.
        value: dict[str, Any] = {"percentage": float(Decimal(discount.percent) / 100)}
    else:
        assert discount.amount is not None
        value = {"discountAmount": {"amount": discount.amount, "appliesOnEachItem": False}}
    gets = {"value": value, "items": {"all": True}}
    return (
        CREATE_BASIC,
        "discountCodeBasicCreate",
        {"basicCodeDiscount": {**common, "customerGets": gets}},
    )


def _url(store: Store) -> str:
    return str(current_app.config["SHOPIFY_ADMIN_URL"]).replace("{shop}", store.domain)


def _call(
    store: Store, query: str, variables: dict[str, Any]
) -> dict[str, Any] | Refused | Unavailable:
    """POST one GraphQL document; its ``data``, or why there is none."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Shopify-Access-Token": store.token,
        "User-Agent": "stampbook",
    }
    try:
        reply = egress.post(
            _url(store),
            body,
            headers,
            float(current_app.config["SHOPIFY_TIMEOUT_SECONDS"]),
            max_bytes=MAX_ANSWER_BYTES,
        )
    except egress.EgressFailed as failed:
        return Unavailable(failed.kind)
    except egress.UrlNotAllowed as refused:
        return Refused("url_not_allowed", str(refused.params.get("reason", "")))
    if reply.status in RETRYABLE_STATUSES or reply.status >= 500:
        return Unavailable(f"http_{reply.status}")
    if reply.status != 200:
        return Refused(f"http_{reply.status}", _said(reply.excerpt))
    try:
        answer = json.loads(reply.excerpt)
    except ValueError:
        return Unavailable("unreadable")
    if not isinstance(answer, dict):
        return Unavailable("unreadable")
    errors = answer.get("errors")
    if errors:
        codes = [_error_code(e) for e in errors] if isinstance(errors, list) else []
        if any(code in RETRYABLE_ERRORS for code in codes):
            return Unavailable(next(c for c in codes if c in RETRYABLE_ERRORS).lower())
        return Refused(next((c for c in codes if c), "graphql_error"), _said(reply.excerpt))
    data = answer.get("data")
    return data if isinstance(data, dict) else Unavailable("unreadable")


def _error_code(error: Any) -> str:
    if isinstance(error, dict) and isinstance(error.get("extensions"), dict):
        return str(error["extensions"].get("code") or "")
    return ""


def _said(excerpt: str) -> str:
    """What a refusal says, for the log and the receipt: its message(s), else its start."""
    try:
        answer = json.loads(excerpt)
    except ValueError:
        return excerpt[:200]
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if isinstance(errors, str):
        return errors[:200]
    if isinstance(errors, list):
        messages = [str(e.get("message")) for e in errors if isinstance(e, dict)]
        return "; ".join(messages)[:200]
    return excerpt[:200]


def create_discount(store: Store, discount: Discount) -> CreateAnswer:
    """Ask the store to make ``discount`` under its code."""
    query, root, variables = discount_input(discount)
    data = _call(store, query, variables)
    if not isinstance(data, dict):
        return data
    payload = data.get(root)
    if not isinstance(payload, dict):
        return Unavailable("unreadable")
    errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
    if any(_taken(error) for error in errors):
        return Taken()
    if errors:
        message = "; ".join(str(e.get("message") or "") for e in errors)[:200]
        return Refused(str(errors[0].get("code") or "user_error"), message)
    node = payload.get("codeDiscountNode")
    if isinstance(node, dict) and node.get("id"):
        return Created(str(node["id"]))
    return Unavailable("unreadable")


def _taken(error: dict[str, Any]) -> bool:
    """Shopify's "Code must be unique" (``TAKEN``, on the input's ``code``)."""
    field = error.get("field") or []
    return error.get("code") == "TAKEN" and (not field or field[-1] == "code")


def find_discount(store: Store, code: str) -> FindAnswer:
    """The discount the store holds under ``code`` (``Found(None)`` if none)."""
    data = _call(store, FIND, {"code": code})
    if not isinstance(data, dict):
        return data
    node = data.get("codeDiscountNodeByCode")
    if node is None:
        return Found(None)
    if not isinstance(node, dict) or not node.get("id"):
        return Unavailable("unreadable")
    discount = node.get("codeDiscount")
    title = discount.get("title") if isinstance(discount, dict) else None
    return Found(str(node["id"]), str(title) if title is not None else None)
