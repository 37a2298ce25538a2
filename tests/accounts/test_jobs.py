"""Housekeeping of accounts: emailed links long expired are dropped, live ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.jobs import purge_ended_links
from stampbook.accounts.models import EmailConfirmation, PasswordReset
from stampbook.core.db import utcnow
from stampbook.core.jobs import run_in_app
from tests.factories.accounts import make_user


@pytest.mark.parametrize("model", [PasswordReset, EmailConfirmation])
def test_links_expired_over_a_week_ago_are_dropped(
    app: Flask, session: Session, model: type[PasswordReset] | type[EmailConfirmation]
) -> None:
    user = make_user(session)
    now = utcnow()
    extra = {"email": user.email} if model is EmailConfirmation else {}
    for n, expired_ago in enumerate((timedelta(days=8), timedelta(days=6), -timedelta(hours=1))):
        session.add(
            model(
                user_id=user.id,
                secret_hash=f"{n:064d}",
                created_at=now - expired_ago - timedelta(hours=1),
                expires_at=now - expired_ago,
                **extra,
            )
        )
    session.flush()
    with app.app_context():
        assert run_in_app(purge_ended_links) == 1
    left = session.scalars(select(model.secret_hash).where(model.user_id == user.id))
    assert sorted(left) == [f"{1:064d}", f"{2:064d}"]
