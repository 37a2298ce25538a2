"""Pure rules of outgoing webhooks (Standard Webhooks): secrets, signatures, the retry
schedule with its jitter, and ``Retry-After``. No database, no clock of their own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from stampbook.core.occurrences import OccurrenceType

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
# The spec's schedule: the delay before each attempt, the first one immediate.
SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.2  # each delay is moved by up to ±20%, so failed receivers are not hit in step
# A Retry-After further away than this is read as this: a receiver cannot park a message.
RETRY_AFTER_CAP = timedelta(hours=24)
TEST_TYPE = "webhook.test"  # the test message's type: no endpoint subscribes to it
EVENT_TYPES = tuple(str(t) for t in OccurrenceType)
# What a shop's endpoints are sent: the types that belong to a shop (buddies, private
# messages and accounts belong to none, so no shop's endpoint hears of them).
_SHOPLESS = {
    OccurrenceType.BUDDY_REQUESTED,
    OccurrenceType.BUDDY_ACCEPTED,
    OccurrenceType.MESSAGE_RECEIVED,
    OccurrenceType.USER_REGISTERED,
    OccurrenceType.USER_EMAIL_CHANGED,
}
SHOP_TYPES = tuple(t for t in OccurrenceType if t not in _SHOPLESS)


def new_secret() -> str:
    """``whsec_`` and the base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_msg_id() -> str:
    return "msg_" + uuid.uuid4().hex


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` and the base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``, keyed with the
    secret's decoded bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signatures(secrets_in_use: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one signature per secret, space-separated."""
    return " ".join(signature(s, msg_id, timestamp, body) for s in secrets_in_use)


def wants(event_types: list[str], type: str) -> bool:
    """An endpoint's subscription: empty means every type."""
    return not event_types or type in event_types


def jittered(delay: timedelta, rng: random.Random | None = None) -> timedelta:
    return delay * (1 + (rng or random).uniform(-JITTER, JITTER))


def next_delay(attempts_made: int, rng: random.Random | None = None) -> timedelta | None:
    """How long after the ``attempts_made``-th failed attempt the next one comes; None when
    the schedule has run out."""
    if attempts_made >= len(SCHEDULE):
        return None
    return jittered(SCHEDULE[attempts_made], rng)


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as a delay from ``now``, at most
    RETRY_AFTER_CAP; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        delay = timedelta(seconds=int(text[:9]))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        delay = max(when - now, timedelta(0))
    return min(delay, RETRY_AFTER_CAP)


def succeeded(status: int) -> bool:
    return 200 <= status < 300
