"""Housekeeping of accounts: reset links long expired are dropped, live ones stay."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.jobs import purge_ended_password_resets
from stampbook.accounts.models import PasswordReset
from stampbook.core.db import utcnow
from stampbook.core.jobs import run_in_app
from tests.factories.accounts import make_user


def test_reset_links_expired_over_a_week_ago_are_dropped(app: Flask, session: Session) -> None:
    user = make_user(session)
    now = utcnow()
    for n, expired_ago in enumerate((timedelta(days=8), timedelta(days=6), -timedelta(hours=1))):
        session.add(
            PasswordReset(
                user_id=user.id,
                secret_hash=f"{n:064d}",
                created_at=now - expired_ago - timedelta(hours=1),
                expires_at=now - expired_ago,
            )
        )
    session.flush()
    with app.app_context():
        assert run_in_app(purge_ended_password_resets) == 1
    left = session.scalars(
        select(PasswordReset.secret_hash).where(PasswordReset.user_id == user.id)
    )
    assert sorted(left) == [f"{1:064d}", f"{2:064d}"]
