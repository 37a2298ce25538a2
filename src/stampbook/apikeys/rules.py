"""API keys without a database: their secrets, the part of one shown in lists, their scopes."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from stampbook.apikeys.models import ApiKeyScope

PREFIX = "sk_"  # tells a key from a user's token (``sb_``) at a glance, and to ``authenticate``
VISIBLE = 10  # characters of a key kept in the clear: "sk_" and 7 of its random part
MAX_LENGTH = 100  # a bearer secret longer than this is no key of ours: no hashing it
# How stale ``last_used_at`` may grow before a request records it again.
USE_RECORDED_EVERY = timedelta(minutes=1)
# What each scope grants besides itself.
IMPLIED = {ApiKeyScope.WRITE: (ApiKeyScope.READ,)}


def new_secret() -> str:
    """A key: ``sk_`` and 256 random bits (43 URL-safe characters)."""
    return PREFIX + secrets.token_urlsafe(32)


def visible_part(secret: str) -> str:
    return secret[:VISIBLE]


def looks_like_key(secret: str) -> bool:
    return secret.startswith(PREFIX) and len(secret) <= MAX_LENGTH


def with_implied(scopes: Iterable[str]) -> list[str]:
    """The scopes asked for with what they imply, once each, in the enum's order."""
    wanted = {ApiKeyScope(scope) for scope in scopes}
    wanted |= {implied for scope in set(wanted) for implied in IMPLIED.get(scope, ())}
    return [str(scope) for scope in ApiKeyScope if scope in wanted]
