"""The accounts domain's part of the authorization suites (tests/reliability/authz_*.py):
a live password reset link and email confirmation link of the member's, which anyone holding
them may use."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from stampbook.accounts.models import EmailConfirmation, PasswordReset, User
from stampbook.core.db import utcnow

RESET_SECRET = "pr_authz-matrix-reset-link"
CONFIRMATION_SECRET = "ec_authz-matrix-confirmation-link"
NEW_PASSWORD = "a reset password 3"


def account_objects(session: Session, users: dict[str, User]) -> dict[str, Any]:
    """The member's reset and confirmation links (their secrets, where the URL takes them)."""
    now = utcnow()
    member = users["member"]
    session.add(
        PasswordReset(
            user_id=member.id,
            secret_hash=hashlib.sha256(RESET_SECRET.encode()).hexdigest(),
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
    )
    session.add(
        EmailConfirmation(
            user_id=member.id,
            email=member.email,
            secret_hash=hashlib.sha256(CONFIRMATION_SECRET.encode()).hexdigest(),
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
    )
    session.flush()
    return {"reset_secret": RESET_SECRET, "confirmation_secret": CONFIRMATION_SECRET}


RESET_BODY = {"token": RESET_SECRET, "new_password": NEW_PASSWORD}
RESET_FORM = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
CONFIRMATION_BODY = {"token": CONFIRMATION_SECRET}
