"""Forgotten passwords: a single-use link that expires, and the new password set with it.

The link's secret is random (256 bits) and only its SHA-256 is stored, like a token's: the
secret travels in the email alone (``flows.recovery`` sends it). Using a link ends it, every
other link of the account, and every session and API token of the account.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from stampbook.accounts import passwords, tokens
from stampbook.accounts.models import PasswordReset, User
from stampbook.accounts.queries import normalise_email
from stampbook.core.db import db, utcnow
from stampbook.core.errors import AppError

PREFIX = "pr_"


class ResetLinkRefused(AppError):
    # 404: the link the token names does not exist (any more): unknown, used, ended or
    # expired alike, so the answer tells nothing of which.
    status, code, title = 404, "reset_link_invalid", "No such reset link"


def start(email: str) -> tuple[User, str] | None:
    """A new reset link's secret for the live account of ``email``; None if there is none
    (the caller answers the same either way)."""
    user = db.session.scalars(
        select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None))
    ).first()
    if user is None:
        return None
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    db.session.add(
        PasswordReset(
            user_id=user.id,
            secret_hash=tokens.digest(secret),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    return user, secret


def is_usable(secret: str) -> bool:
    """Whether ``secret`` opens a link not used, not expired, of a live account (the page
    asks before showing its form)."""
    return _usable(secret) is not None


def _usable(secret: str) -> int | None:
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return db.session.scalar(
        select(PasswordReset.user_id)
        .join(User, User.id == PasswordReset.user_id)
        .where(
            PasswordReset.secret_hash == tokens.digest(secret),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
            User.deleted_at.is_(None),
        )
    )


def complete(*, secret: str, password: str) -> User:
    """Set the password of the link's account, once: the link is taken with a conditional
    ``UPDATE``, so two uses at once cannot both succeed."""
    if _usable(secret) is None:
        raise ResetLinkRefused()
    now = utcnow()
    user_id = db.session.scalar(
        update(PasswordReset)
        .where(
            PasswordReset.secret_hash == tokens.digest(secret),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordReset.user_id),
        execution_options={"synchronize_session": False},
    )
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise ResetLinkRefused()
    user.password_hash = passwords.hash_password(password)
    # Whoever knew the old password, or holds another link, is out.
    tokens.revoke_all(user.id)
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    return user
