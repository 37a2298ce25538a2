"""Apple's push service for passes (APNs): telling a device that a pass it holds changed,
so that it asks the pass web service for the latest one. No database: ``devices.push`` decides
what each answer does.

A pass update is an empty JSON dictionary ``{}`` posted to ``/3/device/<push token>`` with the
pass type identifier as ``apns-topic`` (Apple's "Updating a pass"). Apple's service speaks
HTTP/2 with the pass certificate as the TLS client certificate, which cannot be reached from
here: the adapter posts that request to ``APNS_URL`` through ``core.egress`` (a relay that
holds the certificate and speaks HTTP/2 to Apple, or a fake in tests), and does nothing while
``APNS_URL`` is unset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app

from stampbook.core import egress

BODY = b"{}"
# Apple's answers meaning the token is no longer the device's: forget the registration.
GONE_REASONS = frozenset({"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"})


@dataclass(frozen=True)
class Pushed:
    apns_id: str | None


@dataclass(frozen=True)
class Gone:
    """The device no longer takes pushes for this token (410, or a bad token)."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """It may pass (no answer, 429, a 5xx) or will not (another 4xx): logged, not retried."""

    reason: str
    retryable: bool


def configured() -> bool:
    return bool(current_app.config.get("APNS_URL"))


def push(push_token: str, topic: str) -> Pushed | Gone | Failed:
    config = current_app.config
    url = f"{config['APNS_URL']}/3/device/{quote(push_token, safe='')}"
    headers = {"apns-topic": topic, "apns-priority": "5", "Content-Type": "application/json"}
    try:
        reply = egress.post(url, BODY, headers, float(config.get("WALLET_TIMEOUT_SECONDS") or 10))
    except egress.EgressFailed as failed:
        return Failed(failed.kind, retryable=True)
    except egress.UrlNotAllowed:
        return Failed("url_not_allowed", retryable=False)
    if reply.status == 200:
        return Pushed(reply.headers.get("apns-id"))
    reason = _reason(reply.excerpt) or f"http_{reply.status}"
    if reply.status == 410 or reason in GONE_REASONS:
        return Gone(reason)
    return Failed(reason, retryable=reply.status == 429 or reply.status >= 500)


def _reason(excerpt: str) -> str | None:
    try:
        body = json.loads(excerpt)
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) and len(reason) <= 60 else None
