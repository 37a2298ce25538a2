"""A user's phone for text messages: its form (E.164), whether a text may go to it, and the
opt-out an SMS provider reports.

Notifications' delivery reads :func:`sms_number` before addressing a text and calls
:func:`record_opt_out` when the provider answers that the number texted STOP (Twilio's
21610), so that no later text is tried; the user setting another number lifts it
(``services.update_profile``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from stampbook.accounts.models import User
from stampbook.core.db import db

# "+", then 8 to 15 digits, the first not 0: a number as E.164 writes it, with its country code.
E164 = r"^\+[1-9][0-9]{7,14}$"


def sms_number(user: User) -> str | None:
    """Where a text to ``user`` goes: their phone, unless it opted out (or there is none)."""
    return user.phone if user.sms_opted_out_at is None else None


def record_opt_out(phone: str, now: datetime) -> int:
    """Remember that ``phone`` refuses our texts, for every account holding it (at most
    once each: a later refusal keeps the first moment); returns how many accounts."""
    result = db.session.execute(
        update(User)
        .where(User.phone == phone, User.sms_opted_out_at.is_(None))
        .values(sms_opted_out_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    return int(getattr(result, "rowcount", 0) or 0)
