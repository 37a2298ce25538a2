"""A payments provider in Stripe's shape on loopback, for the events' online payments: a real
HTTP server (threaded ``http.server``) answering ``POST /v1/checkout/sessions`` and
``POST /v1/refunds`` with the recorded payloads of ``stripe_payloads/`` (Stripe's documented
shapes), keeping what was asked (form fields, headers) and honouring ``Idempotency-Key`` as
Stripe does (the same key answers the first answer again).

Webhook events are the recorded ``event_*.json`` bodies with their ids filled in, signed as
Stripe signs them (``signed``). The ``fake_stripe`` fixture points the app at the server
(``PAYMENTS_URL``, private addresses allowed as in tests) with a secret key and a webhooks'
secret.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from flask import Flask

from stampbook.events import checkout

PAYLOADS = Path(__file__).parent / "stripe_payloads"
SECRET_KEY = "sk_test_51MtwBwLkdIwHu7ixFakeSecretKey0000000000"
WEBHOOK_SECRET = "whsec_test_5f3c8a1e9b2d4f6a8c0e2b4d6f8a0c2e"


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return data


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class FakeStripe:
    server: ThreadingHTTPServer
    calls: list[Call] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # scripted statuses, first first
    answered: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    made: int = 0

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)

    def sessions(self) -> list[Call]:
        return [call for call in self.calls if call.path == "/v1/checkout/sessions"]

    def refunds(self) -> list[Call]:
        return [call for call in self.calls if call.path == "/v1/refunds"]

    def respond(self, path: str, headers: dict[str, str], form: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.calls.append(Call(path, headers, form))
            key = headers.get("idempotency-key", "")
            if key and key in self.answered:
                return self.answered[key]
            if headers.get("authorization") != f"Bearer {SECRET_KEY}":
                return 401, {"error": {"type": "invalid_request_error", "message": "Bad key"}}
            if self.statuses:
                status = self.statuses.pop(0)
                if status >= 400:
                    return status, payload("error_invalid_request")
            self.made += 1
            if path == "/v1/checkout/sessions":
                answer = payload("checkout_session")
                answer["id"] = f"cs_test_fake{self.made:04d}"
                answer["url"] = f"https://checkout.stripe.com/c/pay/{answer['id']}"
                answer["amount_total"] = int(form["line_items[0][price_data][unit_amount]"])
                answer["currency"] = form["line_items[0][price_data][currency]"]
                answer["client_reference_id"] = form["client_reference_id"]
                answer["metadata"] = {
                    name[len("metadata[") : -1]: value
                    for name, value in form.items()
                    if name.startswith("metadata[")
                }
                answer["expires_at"] = int(form["expires_at"])
            elif path == "/v1/refunds":
                answer = payload("refund")
                answer["id"] = f"re_fake{self.made:04d}"
                answer["payment_intent"] = form["payment_intent"]
            else:
                return 404, {"error": {"type": "invalid_request_error", "message": "No route"}}
            if key:
                self.answered[key] = (200, answer)
            return 200, answer


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, answer = fake.respond(self.path, headers, dict(parse_qsl(body)))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def fake_stripe(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeStripe(server)
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    monkeypatch.setitem(app.config, "PAYMENTS_URL", f"http://127.0.0.1:{fake.port}")
    monkeypatch.setitem(app.config, "PAYMENTS_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "PAYMENTS_WEBHOOK_SECRET", WEBHOOK_SECRET)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def event_body(
    name: str,
    *,
    event_id: str,
    registration_id: int = 0,
    intent: str = "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    amount: int | None = None,
    booking_id: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A recorded webhook event for one registration, or a booking (``booking_id``: the
    metadata our sessions give a booking's payment); ``name``: completed, completed_delayed
    (a delayed method: unpaid yet), async_succeeded, async_failed, expired, refunded,
    customer_created."""
    files = {
        "completed": "event_checkout_session_completed",
        "completed_delayed": "event_checkout_session_completed_delayed",
        "async_succeeded": "event_checkout_session_async_payment_succeeded",
        "async_failed": "event_checkout_session_async_payment_failed",
        "expired": "event_checkout_session_expired",
        "refunded": "event_charge_refunded",
        "customer_created": "event_customer_created",
    }
    body = copy.deepcopy(payload(files[name]))
    body["id"] = event_id
    resource = body["data"]["object"]
    if "metadata" in resource and name != "customer_created":
        resource["metadata"] = (
            {"registration_id": str(registration_id)}
            if booking_id is None
            else {"kind": "booking", "booking_id": str(booking_id)}
        )
    if "client_reference_id" in resource:
        resource["client_reference_id"] = (
            str(registration_id) if booking_id is None else f"booking-{booking_id}"
        )
    if name != "expired" and "payment_intent" in resource:
        resource["payment_intent"] = intent
    if amount is not None:
        resource["amount_refunded" if name == "refunded" else "amount_total"] = amount
    resource.update(fields)
    return body


def signed(
    body: dict[str, Any] | bytes,
    *,
    secret: str = WEBHOOK_SECRET,
    at: float | None = None,
    extra_v1: list[str] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Stripe sends with it."""
    raw = body if isinstance(body, bytes) else json.dumps(body, indent=2).encode()
    moment = int(at if at is not None else time.time())
    v1 = [*(extra_v1 or []), checkout.signature(raw, moment, secret)]
    header = ",".join([f"t={moment}", *(f"v1={value}" for value in v1), "v0=deadbeef"])
    return raw, {"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"}
