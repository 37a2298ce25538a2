"""The online payments provider, in the shape of Stripe Checkout: a Checkout Session made for
an unpaid seat or consultation (the member is sent to its ``url``), a refund of a payment
intent, and the provider's webhook signature. No database: ``events.paying`` and
``consultations.paying`` decide what each answer does, and ``flows.payments`` which of them a
webhook event is for: the session's and the payment intent's ``metadata.kind``
(``registration`` or ``booking``; none means ``registration``, as sessions made before
bookings could be paid say nothing) with ``metadata.registration_id`` or
``metadata.booking_id``.

The API is ``PAYMENTS_URL`` (Stripe's by default) with the secret key ``PAYMENTS_SECRET_KEY``
as a bearer token; bodies are form-encoded as Stripe's are (``line_items[0][quantity]=1``),
each call carries an ``Idempotency-Key`` so that a call repeated (a lost answer, a second
click) makes nothing twice. The calls go through ``core.egress`` (address checks, no
redirects, a bounded time).

A webhook is signed in ``Stripe-Signature``: ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``,
each ``v1`` the HMAC-SHA256 of ``"{t}.{raw body}"`` keyed with ``PAYMENTS_WEBHOOK_SECRET``
(several while a secret is rolled). It is checked on the raw bytes, in constant time, and
only within ``TOLERANCE`` of the signed time (a captured delivery cannot be replayed later).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import current_app

from stampbook.core import egress

PROVIDER = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE = timedelta(minutes=5)
MAX_BODY_BYTES = 1024 * 1024
MAX_ANSWER_BYTES = 64 * 1024
# Stripe's bounds on a Checkout Session's ``expires_at``: 30 minutes to 24 hours ahead.
SESSION_MIN = timedelta(minutes=31)
SESSION_MAX = timedelta(hours=23, minutes=59)
RETRYABLE_STATUSES = frozenset({408, 409, 429})

# What a session pays for (``metadata.kind``).
REGISTRATION = "registration"
BOOKING = "booking"


@dataclass(frozen=True)
class Session:
    session_id: str
    url: str


@dataclass(frozen=True)
class Refunded:
    refund_id: str


@dataclass(frozen=True)
class Refused:
    """The provider said no and would say it again (a 4xx: a wrong key, a bad request)."""

    code: str
    message: str


@dataclass(frozen=True)
class Unavailable:
    """It may pass: no answer in time, no connection, 408, 409, 429, a 5xx, an unreadable
    answer."""

    reason: str


def configured() -> bool:
    """Whether online payments are set up (the secret key and the webhooks' secret)."""
    config = current_app.config
    return bool(config.get("PAYMENTS_SECRET_KEY") and config.get("PAYMENTS_WEBHOOK_SECRET"))


def session_expiry(hold_expires_at: datetime, now: datetime) -> datetime:
    """The session ends with the seat's hold, within Stripe's bounds: a hold ending in less
    than 31 minutes gets a session a little longer (a payment after the hold is refunded if
    the seat passed on, ``events.paying``), one held longer than a day a day's session (the
    member may start another)."""
    return min(max(hold_expires_at, now + SESSION_MIN), now + SESSION_MAX)


def session_form(
    *,
    amount: int,
    currency: str,
    name: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    registration_id: int | None = None,
    booking_id: int | None = None,
) -> list[tuple[str, str]]:
    """The form of ``POST /v1/checkout/sessions`` for one seat or one booking (amounts in
    minor units)."""
    if registration_id is not None:
        kind, key, reference = REGISTRATION, "registration_id", str(registration_id)
        client_reference = reference
    else:
        assert booking_id is not None
        kind, key, reference = BOOKING, "booking_id", str(booking_id)
        # Not digits alone: never read as a registration's id (``registration_of``).
        client_reference = f"booking-{reference}"
    return [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", currency.lower()),
        ("line_items[0][price_data][unit_amount]", str(amount)),
        ("line_items[0][price_data][product_data][name]", name[:250]),
        ("line_items[0][quantity]", "1"),
        ("success_url", success_url),
        ("cancel_url", cancel_url),
        ("client_reference_id", client_reference),
        ("metadata[kind]", kind),
        (f"metadata[{key}]", reference),
        # Copied onto the payment intent and its charge: a refund names what it paid for.
        ("payment_intent_data[metadata][kind]", kind),
        (f"payment_intent_data[metadata][{key}]", reference),
        ("expires_at", str(int(expires_at.timestamp()))),
    ]


def create_session(
    form: list[tuple[str, str]], idempotency_key: str
) -> Session | Refused | Unavailable:
    answer = _call("/v1/checkout/sessions", form, idempotency_key)
    if not isinstance(answer, dict):
        return answer
    session_id, url = answer.get("id"), answer.get("url")
    if (
        not isinstance(session_id, str)
        or not isinstance(url, str)
        or not url.startswith("https://")
    ):
        return Unavailable("unreadable answer")
    return Session(session_id=session_id, url=url)


def refund(payment_intent: str, idempotency_key: str) -> Refunded | Refused | Unavailable:
    """Refund a payment intent in full (``POST /v1/refunds``)."""
    answer = _call("/v1/refunds", [("payment_intent", payment_intent)], idempotency_key)
    if not isinstance(answer, dict):
        return answer
    refund_id = answer.get("id")
    if not isinstance(refund_id, str):
        return Unavailable("unreadable answer")
    return Refunded(refund_id=refund_id)


def _call(
    path: str, form: list[tuple[str, str]], idempotency_key: str
) -> dict[str, Any] | Refused | Unavailable:
    config = current_app.config
    headers = {
        "Authorization": f"Bearer {config['PAYMENTS_SECRET_KEY']}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Idempotency-Key": idempotency_key,
    }
    try:
        reply = egress.post(
            f"{config['PAYMENTS_URL']}{path}",
            urlencode(form).encode(),
            headers,
            float(config["PAYMENTS_TIMEOUT_SECONDS"]),
            max_bytes=MAX_ANSWER_BYTES,
        )
    except egress.EgressFailed as failed:
        return Unavailable(failed.kind)
    except egress.UrlNotAllowed:
        return Refused("url_not_allowed", "PAYMENTS_URL is not an address calls may go to")
    if reply.status in RETRYABLE_STATUSES or reply.status >= 500:
        return Unavailable(f"http_{reply.status}")
    try:
        body = json.loads(reply.excerpt)
    except ValueError:
        return Unavailable("unreadable answer")
    if not isinstance(body, dict):
        return Unavailable("unreadable answer")
    if reply.status >= 400:
        found = body.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        return Refused(
            str(error.get("code") or f"http_{reply.status}"), str(error.get("message") or "")[:300]
        )
    return body


def signed_parts(header: str | None) -> tuple[int, list[str]] | None:
    """The signed time and the ``v1`` signatures of a ``Stripe-Signature`` header."""
    if not header or len(header) > 2048:
        return None
    moment: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            moment = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if moment is None or not signatures:
        return None
    return moment, signatures


def signature(raw: bytes, moment: int, secret: str) -> str:
    return hmac.new(secret.encode(), f"{moment}.".encode() + raw, hashlib.sha256).hexdigest()


def verify(raw: bytes, header: str | None, secret: str | None, now: datetime) -> bool:
    """Whether ``raw`` is signed with ``secret`` within TOLERANCE of ``now``."""
    parts = signed_parts(header)
    if not secret or parts is None:
        return False
    moment, signatures = parts
    if abs(now.timestamp() - moment) > TOLERANCE.total_seconds():
        return False
    expected = signature(raw, moment, secret)
    matched = False
    for candidate in signatures:  # every candidate compared: no early answer
        matched |= hmac.compare_digest(expected, candidate)
    return matched


def object_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's ``data.object`` (a mapping, or empty)."""
    data = body.get("data")
    found = data.get("object") if isinstance(data, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def registration_of(resource: Mapping[str, Any]) -> int | None:
    """The registration a session or charge names in its metadata (or the session's
    ``client_reference_id``)."""
    metadata = resource.get("metadata")
    candidates = [metadata.get("registration_id") if isinstance(metadata, Mapping) else None]
    candidates.append(resource.get("client_reference_id"))
    for value in candidates:
        if isinstance(value, str) and value.isdigit() and len(value) <= 18:
            return int(value)
    return None


def kind_of(resource: Mapping[str, Any]) -> str | None:
    """What a session or charge pays for, as its metadata says (None when it says nothing)."""
    metadata = resource.get("metadata")
    kind = metadata.get("kind") if isinstance(metadata, Mapping) else None
    return kind if kind in (REGISTRATION, BOOKING) else None


def booking_of(resource: Mapping[str, Any]) -> int | None:
    """The booking a session or charge names in its metadata."""
    metadata = resource.get("metadata")
    value = metadata.get("booking_id") if isinstance(metadata, Mapping) else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def text_of(resource: Mapping[str, Any], key: str, limit: int = 120) -> str | None:
    value = resource.get(key)
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def int_of(resource: Mapping[str, Any], key: str) -> int | None:
    value = resource.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**15:
        return None
    return value
