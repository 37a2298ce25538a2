"""Google Wallet: the "Save to Google Wallet" link, and the loyalty object kept up to date
through the Google Wallet API. No database: the jobs decide what each answer does.

- The link is ``https://pay.google.com/gp/v/save/<JWT>``: an RS256 JWT signed with the
  service account's key, ``aud`` ``google``, ``typ`` ``savetowallet``, whose payload holds the
  ``loyaltyClasses`` and ``loyaltyObjects`` to save (Google makes them when the member saves).
- An update is ``PATCH {GOOGLE_WALLET_URL}/walletobjects/v1/loyaltyObject/{id}`` with the
  fields that moved, under an OAuth access token got from ``GOOGLE_OAUTH_TOKEN_URL`` with the
  service account's signed assertion (RFC 7523, scope ``wallet_object.issuer``). Both go
  through ``core.egress``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from flask import current_app

from stampbook.core import egress
from stampbook.wallets import signing

SAVE_URL = "https://pay.google.com/gp/v/save/"
SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Updated:
    pass


@dataclass(frozen=True)
class Failed:
    reason: str
    retryable: bool


def save_link(
    account: signing.ServiceAccount,
    *,
    loyalty_class: dict[str, Any],
    loyalty_object: dict[str, Any],
    origins: list[str],
    now: int,
) -> str:
    claims = {
        "iss": account.client_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": now,
        "origins": origins,
        "payload": {"loyaltyClasses": [loyalty_class], "loyaltyObjects": [loyalty_object]},
    }
    return SAVE_URL + signing.jwt_rs256(claims, account.private_key, account.private_key_id)


def _timeout() -> float:
    return float(current_app.config.get("WALLET_TIMEOUT_SECONDS") or 10)


def _send(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> Any:
    """The answer's JSON, or Failed."""
    try:
        reply = egress.post(
            url, body, headers, _timeout(), max_bytes=MAX_ANSWER_BYTES, method=method
        )
    except egress.EgressFailed as failed:
        return Failed(failed.kind, retryable=True)
    except egress.UrlNotAllowed:
        return Failed("url_not_allowed", retryable=False)
    if reply.status >= 400:
        return Failed(f"http_{reply.status}", retryable=reply.status == 429 or reply.status >= 500)
    try:
        return json.loads(reply.excerpt)
    except ValueError:
        return Failed("unreadable answer", retryable=True)


def access_token(account: signing.ServiceAccount, now: int) -> str | Failed:
    token_url = current_app.config["GOOGLE_OAUTH_TOKEN_URL"]
    assertion = signing.jwt_rs256(
        {
            "iss": account.client_email,
            "scope": SCOPE,
            "aud": token_url,
            "iat": now,
            "exp": now + 3600,
        },
        account.private_key,
        account.private_key_id,
    )
    form = urlencode({"grant_type": GRANT, "assertion": assertion}).encode()
    answer = _send(token_url, form, {"Content-Type": "application/x-www-form-urlencoded"})
    if isinstance(answer, Failed):
        return answer
    token = answer.get("access_token") if isinstance(answer, dict) else None
    return token if isinstance(token, str) and token else Failed("no token", retryable=True)


def patch_object(
    account: signing.ServiceAccount, object_id: str, fields: dict[str, Any], now: int
) -> Updated | Failed:
    token = access_token(account, now)
    if isinstance(token, Failed):
        return token
    url = (
        f"{current_app.config['GOOGLE_WALLET_URL']}/walletobjects/v1/loyaltyObject/"
        f"{quote(object_id, safe='')}"
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    answer = _send(url, json.dumps(fields).encode(), headers, method="PATCH")
    return answer if isinstance(answer, Failed) else Updated()
