"""Users and tokens for tests."""

from __future__ import annotations

import itertools
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from stampbook.accounts import passwords
from stampbook.accounts.models import Token, TokenKind, User
from stampbook.accounts.tokens import digest
from stampbook.core.db import utcnow

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


@cache
def password_hash() -> str:
    """Hashed once per run: argon2 is slow on purpose, tests make many users."""
    return passwords.hash_password(PASSWORD)


def make_user(session: Session, **fields: Any) -> User:
    n = next(_numbers)
    # An established account: its address confirmed (``email_verified_at=None`` for one not).
    fields.setdefault("email_verified_at", utcnow())
    user = User(
        email=fields.pop("email", f"user{n}@example.com"),
        name=fields.pop("name", f"User {n}"),
        password_hash=password_hash(),
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_token(
    session: Session,
    user: User,
    *,
    kind: TokenKind = TokenKind.API,
    lifetime: timedelta = timedelta(days=1),
) -> str:
    """A bearer secret for ``user``."""
    secret = f"sb_test{next(_numbers)}x{user.id}"
    now = utcnow()
    session.add(
        Token(
            user_id=user.id,
            kind=kind,
            secret_hash=digest(secret),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return secret


def auth(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(session, user)}"}
