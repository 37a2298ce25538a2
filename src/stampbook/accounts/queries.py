"""Reads of accounts: a user found by email."""

from __future__ import annotations

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()
