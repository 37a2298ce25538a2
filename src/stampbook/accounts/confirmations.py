"""Email verification: a single-use link that proves the address belongs to the user.

A link is made for the address the account has when it is sent, and confirms that address
alone: if the user changes their email before following it, it confirms nothing. Its secret
is random (256 bits) and only its SHA-256 is stored; the secret travels in the email alone
(``flows.confirmations`` sends it).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from stampbook.accounts import tokens
from stampbook.accounts.models import EmailConfirmation, User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import AppError

PREFIX = "ec_"


class ConfirmationLinkRefused(AppError):
    # 404 whatever the reason (unknown, used, expired, or for an address the account no
    # longer has): the answer tells nothing of which.
    status, code, title = 404, "confirmation_link_invalid", "No such confirmation link"


def start(user: User) -> str | None:
    """A new link's secret for the user's current address; None if there is nothing to
    confirm (a deleted account, or an address already confirmed)."""
    if user.is_deleted or user.email_verified:
        return None
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = timedelta(hours=current_app.config["EMAIL_CONFIRMATION_HOURS"])
    db.session.add(
        EmailConfirmation(
            user_id=user.id,
            email=user.email,
            secret_hash=tokens.digest(secret),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    return secret


def pending(secret: str) -> User | None:
    """The account whose current address ``secret`` confirms, if the link is still good
    (the page asks before showing its button)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    user: User | None = db.session.scalars(
        select(User)
        .join(EmailConfirmation, EmailConfirmation.user_id == User.id)
        .where(
            EmailConfirmation.secret_hash == tokens.digest(secret),
            EmailConfirmation.used_at.is_(None),
            EmailConfirmation.expires_at > utcnow(),
            EmailConfirmation.email == User.email,
            User.deleted_at.is_(None),
        )
    ).first()
    return user


def complete(secret: str) -> User:
    """Mark the link's address confirmed, once: the link is taken with a conditional
    ``UPDATE``, so two uses at once cannot both succeed."""
    user = pending(secret)
    if user is None:
        raise ConfirmationLinkRefused()
    now = utcnow()
    taken = db.session.scalar(
        update(EmailConfirmation)
        .where(
            EmailConfirmation.secret_hash == tokens.digest(secret),
            EmailConfirmation.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(EmailConfirmation.id),
        execution_options={"synchronize_session": False},
    )
    if taken is None:
        raise ConfirmationLinkRefused()
    if user.email_verified_at is None:
        user.email_verified_at = now
    # The address is proven: the other links sent to it have nothing left to do.
    db.session.execute(
        update(EmailConfirmation)
        .where(EmailConfirmation.user_id == user.id, EmailConfirmation.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    return user
