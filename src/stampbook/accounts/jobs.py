"""Housekeeping of accounts; safe to run any number of times, concurrently too."""

from __future__ import annotations

from datetime import timedelta

from huey import crontab
from sqlalchemy import delete

from stampbook.accounts.models import EmailConfirmation, PasswordReset, Token
from stampbook.core.db import db, utcnow
from stampbook.core.jobs import periodic

# Ended tokens stay a week for the audit trail, then go.
KEEP_ENDED_TOKENS = timedelta(days=7)


@periodic(crontab(minute="17"))
def purge_ended_tokens() -> int:
    """Drop tokens that ended more than a week ago; returns how many went."""
    result = db.session.execute(
        delete(Token).where(Token.expires_at < utcnow() - KEEP_ENDED_TOKENS)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@periodic(crontab(minute="17"))
def purge_ended_links() -> int:
    """Drop emailed links (password resets, email confirmations) that expired more than a
    week ago, used or not; returns how many went."""
    gone = 0
    for model in (PasswordReset, EmailConfirmation):
        result = db.session.execute(
            delete(model).where(model.expires_at < utcnow() - KEEP_ENDED_TOKENS)
        )
        gone += int(getattr(result, "rowcount", 0) or 0)
    return gone
