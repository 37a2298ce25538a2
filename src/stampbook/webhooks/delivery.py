"""Delivering outgoing webhooks: the outbox's consumer writes the messages, jobs send them.

- ``handle`` (the consumer "webhooks") runs in the outbox's dispatch: one message row per
  enabled endpoint of the occurrence's shop that wants its type, and after commit a
  ``deliver`` job for each. It never calls out itself.
- ``deliver(message_id)`` makes the attempt that is due: it claims the message with a
  conditional update committed before calling out (two workers never send one attempt
  twice, and no transaction stays open while a receiver takes its time), posts it through
  ``core.egress``, then records the attempt and plans the next one in a second transaction.
- Due attempts live in the database (``next_attempt_at``): a retry is also queued with its
  delay, and ``send_due`` (every minute, ``jobs.py``) queues whatever is due, so retries
  survive restarts and a claim lost with its worker (the claim's lease runs out).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select, update

from stampbook.core import clock, egress, outbox, unit_of_work
from stampbook.core.db import db, execute_core
from stampbook.core.jobs import job
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.webhooks import rules
from stampbook.webhooks.models import (
    DisabledReason,
    MessageStatus,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)

logger = logging.getLogger(__name__)

DUE_BATCH = 200
# A claimed attempt not recorded after this (its worker died) is due again.
LEASE_MARGIN = timedelta(seconds=60)


# --- The consumer ---------------------------------------------------------------------------


def body_of(type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The message body: ``{"type", "timestamp", "data"}``, as sent on every attempt."""
    return json.dumps(
        {"type": type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
    )


def new_message(
    endpoint_id: int, type: str, body: str, now: datetime, occurrence_id: int | None = None
) -> WebhookMessage:
    """A pending message, due now; its first attempt is queued after commit."""
    message = WebhookMessage(
        endpoint_id=endpoint_id,
        occurrence_id=occurrence_id,
        msg_id=rules.new_msg_id(),
        type=type,
        body=body,
        status=MessageStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    unit_of_work.after_commit(lambda: deliver.enqueue(message_id))
    return message


def handle(occurrence: Occurrence) -> None:
    """The outbox's consumer: a message for each enabled endpoint of the occurrence's shop
    that wants its type. Occurrences of no shop (buddies, private messages) go nowhere."""
    if occurrence.shop_id is None:
        return
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.shop_id == occurrence.shop_id, WebhookEndpoint.enabled.is_(True)
        )
    ).all()
    data = {**occurrence.payload, "shop_id": occurrence.shop_id, "occurrence_id": occurrence.id}
    body = body_of(occurrence.type, occurrence.occurred_at, data)
    now = clock.now()
    for endpoint in endpoints:
        if rules.wants(endpoint.event_types, occurrence.type):
            new_message(endpoint.id, occurrence.type, body, now, occurrence.id)


# --- One attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """What an attempt needs, read in the claim's transaction."""

    message_id: int
    endpoint_id: int
    msg_id: str
    url: str
    body: str
    secrets: tuple[str, ...]
    attempt: int  # this attempt's number in its series, from 1
    at: datetime  # when it was claimed, as it started


_CLAIM = (
    update(WebhookMessage)
    .where(
        WebhookMessage.id == bindparam("message_id"),
        WebhookMessage.status == MessageStatus.PENDING,
        WebhookMessage.next_attempt_at <= bindparam("now"),
        WebhookMessage.attempts == bindparam("attempts"),
    )
    .values(attempts=WebhookMessage.attempts + 1, next_attempt_at=bindparam("lease"))
    .returning(WebhookMessage.id)
)


def _timeout() -> float:
    return float(current_app.config["WEBHOOKS_TIMEOUT_SECONDS"])


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The secret, and during a rotation's grace period the previous one too."""
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and now < until:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


def _claim(message_id: int, now: datetime) -> Claimed | None:
    message = db.session.get(WebhookMessage, message_id, populate_existing=True)
    if message is None or message.status != MessageStatus.PENDING:
        return None
    if message.next_attempt_at is None or message.next_attempt_at > now:
        return None
    endpoint = db.session.get(WebhookEndpoint, message.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        message.status, message.next_attempt_at = MessageStatus.FAILED, None
        return None
    lease = now + timedelta(seconds=_timeout()) + LEASE_MARGIN
    params = {"message_id": message_id, "now": now, "attempts": message.attempts, "lease": lease}
    if execute_core(_CLAIM, params).first() is None:
        return None  # another worker took it
    return Claimed(
        message_id=message_id,
        endpoint_id=endpoint.id,
        msg_id=message.msg_id,
        url=endpoint.url,
        body=message.body,
        secrets=_signing_secrets(endpoint, now),
        attempt=message.attempts + 1,
        at=now,
    )


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    response: str | None = None
    retry_after: str | None = None
    error: str | None = None  # timeout, connection, url_not_allowed
    seconds: float = 0.0


def _send(claimed: Claimed) -> Outcome:
    """Post the message, signed with the time it is sent (receivers allow a few minutes of
    skew from their own clock, so this is the wall clock's, not a pinned one)."""
    body = claimed.body.encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "stampbook-webhooks",
        "webhook-id": claimed.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": rules.signatures(claimed.secrets, claimed.msg_id, timestamp, body),
    }
    started = time.monotonic()
    try:
        reply = egress.post(claimed.url, body, headers, _timeout())
    except egress.UrlNotAllowed:
        return Outcome(error="url_not_allowed", seconds=time.monotonic() - started)
    except egress.EgressFailed as failed:
        return Outcome(error=failed.kind, seconds=time.monotonic() - started)
    return Outcome(
        status_code=reply.status,
        response=reply.excerpt,
        retry_after=reply.headers.get("retry-after"),
        seconds=reply.seconds,
    )


def _disable(endpoint: WebhookEndpoint, reason: DisabledReason, now: datetime) -> None:
    endpoint.enabled, endpoint.disabled_reason = False, reason
    outbox.record(
        OccurrenceType.WEBHOOK_ENDPOINT_DISABLED,
        shop_id=endpoint.shop_id,
        now=now,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        reason=str(reason),
    )


def _record(claimed: Claimed, outcome: Outcome, now: datetime) -> timedelta | None:
    """Log the attempt, and plan the next one: returns its delay, or None when done."""
    message = db.session.get(WebhookMessage, claimed.message_id, populate_existing=True)
    endpoint = db.session.get(WebhookEndpoint, claimed.endpoint_id, populate_existing=True)
    if message is None or endpoint is None:
        return None  # deleted with its endpoint meanwhile
    delay: timedelta | None = None
    if outcome.status_code is not None and rules.succeeded(outcome.status_code):
        message.status, message.next_attempt_at = MessageStatus.DELIVERED, None
        endpoint.failing_since = None
    else:
        endpoint.failing_since = endpoint.failing_since or now
        days = current_app.config["WEBHOOKS_DISABLE_AFTER_DAYS"]
        # Disabled once, announced once (another message's attempt may have done it).
        if endpoint.enabled and outcome.status_code == 410:
            _disable(endpoint, DisabledReason.GONE, now)
        elif endpoint.enabled and now - endpoint.failing_since >= timedelta(days=days):
            _disable(endpoint, DisabledReason.FAILING, now)
        if endpoint.enabled:
            delay = rules.next_delay(claimed.attempt)
        if delay is not None:
            later = rules.retry_after(outcome.retry_after, now)
            delay = max(delay, later) if later is not None else delay
            message.next_attempt_at = now + delay
        else:
            message.status, message.next_attempt_at = MessageStatus.FAILED, None
    db.session.add(
        WebhookAttempt(
            message_id=message.id,
            endpoint_id=endpoint.id,
            attempted_at=claimed.at,
            status_code=outcome.status_code,
            response=outcome.response,
            error=outcome.error,
            duration_ms=round(outcome.seconds * 1000),
            next_attempt_at=message.next_attempt_at,
        )
    )
    return delay


def attempt_delivery(message_id: int) -> bool:
    """Make the attempt due for this message, if any; True when one was made. Each step is
    its own transaction: the claim is committed before calling out, the outcome after."""
    claimed = unit_of_work.run(lambda: _claim(message_id, clock.now()))
    if claimed is None:
        return False
    outcome = _send(claimed)
    delay = unit_of_work.run(lambda: _record(claimed, outcome, clock.now()))
    if delay is not None:
        deliver.enqueue_in(delay.total_seconds(), message_id)
    return True


@job
def deliver(message_id: int) -> bool:
    """The attempt due for one message (queued after commit, and again for each retry)."""
    return attempt_delivery(message_id)


_DUE = (
    select(WebhookMessage.id)
    .where(
        WebhookMessage.status == MessageStatus.PENDING,
        WebhookMessage.next_attempt_at <= bindparam("now"),
    )
    .order_by(WebhookMessage.next_attempt_at)
    .limit(bindparam("batch"))
)


def due_messages(now: datetime, batch: int = DUE_BATCH) -> list[int]:
    return list(execute_core(_DUE, {"now": now, "batch": batch}).scalars())


def send_due(*, batch: int = DUE_BATCH) -> int:
    """Queue, after commit, a ``deliver`` job for each message due now; returns how many.
    (Each job claims its attempt, so a message queued twice is still sent once.)"""
    ids = due_messages(clock.now(), batch)

    def queue() -> None:
        for message_id in ids:
            deliver.enqueue(message_id)

    unit_of_work.after_commit(queue)
    return len(ids)
