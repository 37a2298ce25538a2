"""Reads of accounts: a user found by email."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


def confirmed_owner(email: str) -> User | None:
    """The live account that has confirmed it owns ``email``: the only one anything sent to
    an address may go to (an invitation, a customer's points)."""
    return db.session.scalars(
        select(User).where(
            User.email == normalise_email(email),
            User.deleted_at.is_(None),
            User.email_verified_at.is_not(None),
        )
    ).first()


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
    return {row[0]: row[1] for row in rows}
