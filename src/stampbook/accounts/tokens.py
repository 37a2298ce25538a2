"""Bearer tokens: random secrets shown once; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from stampbook.accounts.models import Token, TokenKind, User
from stampbook.core.db import db, utcnow

PREFIX = "sb_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(user: User, *, kind: TokenKind, lifetime: timedelta) -> tuple[str, Token]:
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = Token(
        user_id=user.id,
        kind=kind,
        secret_hash=digest(secret),
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(token)
    db.session.flush()
    return secret, token


# Built once: every authenticated request runs it (see ``stampbook.core.db.with_parents``).
_ACTIVE = select(Token).where(
    Token.secret_hash == bindparam("secret_hash"),
    Token.kind == bindparam("kind"),
    Token.revoked_at.is_(None),
    Token.expires_at > bindparam("now"),
)


def find_active(secret: str, *, kind: TokenKind) -> Token | None:
    """The live token for ``secret``, with its user, in one query; None if unknown or ended."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return db.session.scalars(
        _ACTIVE, {"secret_hash": digest(secret), "kind": kind, "now": utcnow()}
    ).first()


def revoke(token: Token) -> None:
    token.revoked_at = utcnow()


def revoke_all(user_id: int, *, except_token_id: int | None = None) -> None:
    query = update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None))
    if except_token_id is not None:
        query = query.where(Token.id != except_token_id)
    db.session.execute(query.values(revoked_at=utcnow()))
