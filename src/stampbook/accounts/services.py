"""Account use cases. Services never commit: the unit of work around them does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from stampbook.accounts import passwords, tokens
from stampbook.accounts.models import DEFAULT_PRIVACY, Section, Token, TokenKind, User
from stampbook.db import db, utcnow
from stampbook.errors import Conflict, NotFound, Unauthorized
from stampbook.policy import require


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register(*, email: str, name: str, password: str, time_zone: str = "UTC") -> User:
    email = normalise_email(email)
    taken = db.session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if taken:
        raise Conflict("An account with this email exists.", code="email_taken")
    user = User(
        email=email, name=name, time_zone=time_zone, password_hash=passwords.hash_password(password)
    )
    db.session.add(user)
    db.session.flush()
    return user


def find_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


def check_credentials(*, email: str, password: str) -> User:
    """The user these credentials open; the same refusal whether or not the email exists."""
    user = db.session.scalars(
        select(User).where(User.email == normalise_email(email), User.deleted_at.is_(None))
    ).first()
    if not passwords.verify_password(user.password_hash if user else None, password) or not user:
        raise Unauthorized("The email or password is wrong.", code="invalid_credentials")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def log_in(*, email: str, password: str, kind: TokenKind) -> tuple[str, Token]:
    user = check_credentials(email=email, password=password)
    lifetime = timedelta(days=current_app.config["TOKEN_LIFETIME_DAYS"])
    return tokens.issue(user, kind=kind, lifetime=lifetime)


def log_out(token: Token) -> None:
    tokens.revoke(token)


def effective_privacy(user: User) -> dict[str, str]:
    return {section: user.privacy(Section(section)) for section in DEFAULT_PRIVACY}


def update_profile(user: User, changes: dict[str, Any]) -> User:
    for field, value in changes.items():
        if field == "privacy_settings":
            value = {**user.privacy_settings, **{str(k): str(v) for k, v in value.items()}}
        elif value is None and field in {"name", "time_zone"}:
            continue  # required fields cannot be emptied
        setattr(user, field, value)
    db.session.flush()
    return user


def change_password(
    user: User, *, old_password: str, new_password: str, keep_token_id: int | None = None
) -> None:
    """Set a new password; every other session and token of the user ends."""
    if not passwords.verify_password(user.password_hash, old_password):
        raise Unauthorized("The current password is wrong.", code="invalid_credentials")
    user.password_hash = passwords.hash_password(new_password)
    tokens.revoke_all(user.id, except_token_id=keep_token_id)


def delete_account(user: User) -> None:
    """Anonymise the user; memberships and ledger entries stay, so every point is accounted."""
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.name = "Deleted user"
    user.summary = user.description = user.color = user.icon = None
    user.password_hash = ""
    user.privacy_settings = dict.fromkeys(DEFAULT_PRIVACY, "private")
    user.deleted_at = utcnow()
    tokens.revoke_all(user.id)


def get_visible_user(actor: User | None, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    require(actor, "user.view", user)
    return user
