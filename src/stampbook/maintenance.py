"""Housekeeping that keeps tables small; safe to run any number of times, concurrently too."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from stampbook.accounts.models import Token
from stampbook.core import idempotency
from stampbook.core.db import db, utcnow


def purge_expired() -> dict[str, int]:
    keys = idempotency.purge_expired(current_app.config["IDEMPOTENCY_KEY_HOURS"])
    # Keep ended tokens a week for the audit trail, then drop them.
    result = db.session.execute(
        delete(Token).where(Token.expires_at < utcnow() - timedelta(days=7))
    )
    return {"idempotency_keys": keys, "tokens": int(getattr(result, "rowcount", 0) or 0)}
