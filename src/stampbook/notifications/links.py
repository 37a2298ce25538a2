"""Addresses in messages: absolute (a mail client has no page to be relative to), and the
signed one-click unsubscribe link of marketing mail.

The unsubscribe token names the user, the shop and the kind, signed with the app's secret
and a salt of its own purpose (a token made for anything else never passes for one); it
carries no expiry, as a link in an old email must still work.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from stampbook.notifications.recipients import path

UNSUBSCRIBE_SALT = "stampbook.notifications.unsubscribe"


def external(relative: str) -> str:
    """``relative`` (a path) on the app's public address (``PUBLIC_URL``)."""
    config = current_app.config
    base = config.get("PUBLIC_URL") or (
        f"{config['PREFERRED_URL_SCHEME']}://{config.get('SERVER_NAME') or 'localhost:5000'}"
    )
    return base.rstrip("/") + relative


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    shop_id: int
    kind: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, shop_id: int, kind: str) -> str:
    return str(_serializer().dumps([user_id, shop_id, kind]))


def read_unsubscribe_token(token: str) -> Unsubscribe | None:
    """What a token says, or None for a token tampered with or made for something else."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(data, list)
        or len(data) != 3
        or not all(isinstance(n, int) for n in data[:2])
        or not isinstance(data[2], str)
    ):
        return None
    return Unsubscribe(data[0], data[1], data[2])


def unsubscribe_url(user_id: int, shop_id: int, kind: str) -> str:
    token = unsubscribe_token(user_id, shop_id, kind)
    return external(path("unsubscribe_pages.unsubscribe", token=token))
