"""Who is calling: a bearer token for the API (a user's token, or a shop's API key), a
session cookie for the pages."""

from __future__ import annotations

from flask import g, request, session

from stampbook.accounts import tokens
from stampbook.accounts.models import Token, TokenKind, User
from stampbook.apikeys import queries as apikeys_queries
from stampbook.apikeys import rules as apikeys_rules
from stampbook.apikeys import usage as apikeys_usage
from stampbook.core.errors import Unauthorized

SESSION_TOKEN = "token"


def authenticate(*, api: bool) -> User | None:
    """Resolve the caller; a presented but invalid bearer token is an error, not anonymity.

    A shop's API key (``sk_...``) is taken through the API alone: the caller is the key's
    maker, and ``g.api_key`` confines what they may do to the key's shop and scopes
    (``core.policy``, ``core.routing``). Pages never take keys.
    """
    g.token = None
    g.api_key = None
    if api:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            raise Unauthorized(code="invalid_token")
        if secret.strip().startswith(apikeys_rules.PREFIX):
            return _key_maker(secret.strip())
        token = tokens.find_active(secret.strip(), kind=TokenKind.API)
        if token is None or token.user.is_deleted:
            raise Unauthorized(code="invalid_token")
    else:
        cookie_secret = session.get(SESSION_TOKEN)
        if not isinstance(cookie_secret, str) or not cookie_secret:
            return None
        token = tokens.find_active(cookie_secret, kind=TokenKind.SESSION)
        if token is None or token.user.is_deleted:
            session.clear()
            return None
    g.token = token
    return token.user


def _key_maker(secret: str) -> User:
    """The maker of the live API key ``secret``; an unknown, revoked or orphaned key is
    refused as a bad token is."""
    found = apikeys_queries.find_live(secret)
    if found is None:
        raise Unauthorized(code="invalid_token")
    key, maker = found
    g.api_key = key
    apikeys_usage.note_use(key)
    return maker


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def current_token() -> Token | None:
    token: Token | None = g.get("token")
    return token


def me() -> User:
    """The signed-in user, on a route whose ``Access.USER`` guarantees one."""
    user = current_user()
    assert user is not None
    return user
