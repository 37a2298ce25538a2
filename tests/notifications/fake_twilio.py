"""A Twilio-shaped Messages resource on loopback (a real HTTP server answering Twilio's
recorded replies), for the SMS tests: the ``twilio`` fixture is in this folder's conftest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask

from tests.webhooks.receiver import Receiver, Reply, receiving

ACCOUNT = "AC" + "1f" * 16
TOKEN = "test-auth-token"
FROM = "+15005550006"
TO = "+34600123456"
SID = "SM" + "9e" * 16
PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def queued(body: str = "Your receipt #7: Free coffee") -> bytes:
    """Twilio's 201 for a created message (its keys in the order the docs list them)."""
    uri = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{SID}"
    return json.dumps(
        {
            "account_sid": ACCOUNT,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": "Mon, 02 Mar 2026 10:00:00 +0000",
            "date_sent": None,
            "date_updated": "Mon, 02 Mar 2026 10:00:00 +0000",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": FROM,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": SID,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": TO,
            "uri": f"{uri}.json",
        }
    ).encode()


def twilio_error(status: int, code: int, message: str) -> Reply:
    """Twilio's error body: ``{code, message, more_info, status}``."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"Content-Type": "application/json"}
    if status == 429:
        headers["Retry-After"] = "1"
    return Reply(status, headers, body=json.dumps(body).encode())


UNSUBSCRIBED = twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")


def serve_twilio(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A Twilio-shaped Messages resource on 127.0.0.1 (private targets allowed, as in tests)."""
    with receiving() as fake:
        host, port = fake.server.server_address[:2]  # type: ignore[union-attr]
        monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
        monkeypatch.setitem(app.config, "SMS_URL", f"http://{host!s}:{port}{PATH}")
        monkeypatch.setitem(app.config, "SMS_ACCOUNT_SID", ACCOUNT)
        monkeypatch.setitem(app.config, "SMS_AUTH_TOKEN", TOKEN)
        monkeypatch.setitem(app.config, "SMS_FROM", FROM)
        yield fake
