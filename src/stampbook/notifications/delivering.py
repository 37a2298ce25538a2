"""Sending deliveries: ``deliver(delivery_id)`` after commit, and the periodic job that sends
what is due (retries, points batches, what a lost job left).

A delivery is claimed with a conditional ``UPDATE`` (pending, due; it counts the attempt and
holds it for ``rules.SENDING_LEASE``), committed, and only then sent, outside any
transaction (a slow mail server holds no lock); the outcome is recorded in a second
transaction, with the attempt's row. A failure that may pass is tried again on the schedule
of ``rules.BACKOFF`` through ``next_attempt_at``, so retries survive restarts; a permanent
one, or one past the schedule, fails the delivery, logged at WARNING with its id. A marketing
message whose consent was withdrawn meanwhile, or a channel the user turned off, is
suppressed, not sent. One channel failing holds up no other: each delivery is its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from stampbook.accounts import phones
from stampbook.accounts.models import User
from stampbook.core import clock, unit_of_work
from stampbook.core.db import db
from stampbook.core.jobs import job
from stampbook.notifications import choices, links, rendering, rules
from stampbook.notifications.channels import Outgoing, SendFailed
from stampbook.notifications.channels.registry import SENDERS
from stampbook.notifications.kinds import KINDS, SECURITY, Channel, unconfirmed_marketing
from stampbook.notifications.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from stampbook.notifications.overrides import template_for

logger = logging.getLogger(__name__)

DUE_BATCH = 100


@dataclass(frozen=True)
class Outcome:
    outcome: AttemptOutcome
    detail: str | None = None
    retryable: bool = False
    provider_id: str | None = None
    opted_out: bool = False  # the address refuses this sender for good (SMS STOP)


def claim(delivery_id: int, now: datetime) -> bool:
    """Take a pending, due delivery for one attempt (others skip it meanwhile)."""
    taken = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
        )
        .values(attempts=Delivery.attempts + 1, next_attempt_at=now + rules.SENDING_LEASE)
        .returning(Delivery.id),
        execution_options={"synchronize_session": False},
    ).first()
    return taken is not None


def outgoing(delivery: Delivery) -> Outgoing | None:
    """The message a delivery sends, or None when it must not go (suppressed)."""
    user = db.session.get(User, delivery.user_id)
    kind = KINDS.get(delivery.kind) or SECURITY.get(delivery.kind)
    if user is None or user.is_deleted or kind is None:
        return None
    if not kind.security and not choices.channels_on(user.id, kind) & {delivery.channel}:
        return None
    if delivery.channel == Channel.SMS and phones.sms_number(user) != delivery.to:
        return None  # the number changed or opted out since the text was queued
    if kind.marketing and not choices.consents(user.id, delivery.shop_id):
        return None
    if unconfirmed_marketing(kind, user, delivery.channel):
        return None  # the address changed since the email was queued
    values = dict(delivery.context)
    if delivery.batch_key is not None:
        values["amount"] = delivery.points
    template = template_for(delivery.shop_id, delivery.kind, delivery.channel, delivery.language)
    words = rendering.render(template, values)
    link = links.external(delivery.link) if delivery.link else None
    text, headers, footer = words.text, {}, None
    if kind.marketing and delivery.shop_id is not None:
        unsubscribe = links.unsubscribe_url(user.id, delivery.shop_id, kind.name)
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        }
        with force_locale(delivery.language):
            footer = gettext(
                "Stop these messages from %(shop)s: %(link)s",
                shop=values.get("shop_name", ""),
                link=unsubscribe,
            )
    enclosure = None
    if delivery.channel == Channel.EMAIL and kind.enclosure is not None:
        enclosure = kind.enclosure(values, user.id, delivery.language)
    if enclosure is not None:
        text = f"{text}\n\n{enclosure.text}"
    if link:
        text = f"{text}\n\n{link}"
    if footer:
        text = f"{text}\n\n-- \n{footer}"
    html = None
    if delivery.channel == Channel.EMAIL:
        enclosed = enclosure.html if enclosure is not None else None
        html = rendering.html(words.text, link, footer, enclosed)
    inline = enclosure.inline if enclosure is not None else ()
    return Outgoing(
        delivery.channel, delivery.to, words.subject, text, html, headers, inline=inline
    )


def attempt(delivery_id: int, now: datetime) -> bool:
    """Claim the delivery in this transaction and, after commit, send it and record how it
    went (suppressed or unrenderable ones are recorded at once). False: not pending or due."""
    if not claim(delivery_id, now):
        return False
    delivery = db.session.get(Delivery, delivery_id, populate_existing=True)
    assert delivery is not None
    try:
        message = outgoing(delivery)
    except rendering.TemplateRefused as refused:
        _record(delivery, now, Outcome(AttemptOutcome.FAILED, refused.detail))
        return True
    if message is None:
        _record(delivery, now, Outcome(AttemptOutcome.SUPPRESSED, "no longer wanted"))
        return True
    delivery.subject = message.subject
    unit_of_work.after_commit(lambda: _send_then_record(delivery_id, message, now))
    return True


def _send(message: Outgoing) -> Outcome:
    sender = SENDERS.get(message.channel)
    if sender is None:
        return Outcome(AttemptOutcome.FAILED, f"no sender for channel {message.channel}")
    try:
        provider_id = sender(message)
    except SendFailed as failed:
        if failed.opted_out:
            return Outcome(AttemptOutcome.SUPPRESSED, failed.detail, opted_out=True)
        return Outcome(AttemptOutcome.RETRY, failed.detail, retryable=failed.retryable)
    except Exception as error:  # a sender's bug: logged, retried like an outage
        logger.exception("sender for %s raised", message.channel)
        return Outcome(AttemptOutcome.RETRY, f"{type(error).__name__}: {error}", retryable=True)
    return Outcome(AttemptOutcome.SENT, provider_id=provider_id)


def _send_then_record(delivery_id: int, message: Outgoing, now: datetime) -> None:
    result = _send(message)

    def record() -> None:
        if result.opted_out and message.channel == Channel.SMS:
            phones.record_opt_out(message.to, now)  # no later text is tried to it
        delivery = db.session.get(Delivery, delivery_id, populate_existing=True)
        if delivery is not None:
            _record(delivery, now, result)

    unit_of_work.run(record)


def _record(delivery: Delivery, now: datetime, result: Outcome) -> None:
    outcome = result.outcome
    if outcome == AttemptOutcome.SENT:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.provider_id = result.provider_id
        delivery.next_attempt_at = None
    elif outcome == AttemptOutcome.SUPPRESSED:
        delivery.status = DeliveryStatus.SUPPRESSED
        delivery.next_attempt_at = None
    else:
        later = rules.next_attempt(delivery.attempts, now) if result.retryable else None
        if later is None:
            outcome = AttemptOutcome.FAILED
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            logger.warning(
                "notification delivery %s (%s by %s to user %s) failed after %s attempts: %s",
                delivery.id,
                delivery.kind,
                delivery.channel,
                delivery.user_id,
                delivery.attempts,
                result.detail,
            )
        else:
            delivery.next_attempt_at = later
            logger.info(
                "notification delivery %s failed (attempt %s), next at %s: %s",
                delivery.id,
                delivery.attempts,
                later.isoformat(),
                result.detail,
            )
        delivery.last_error = result.detail
    if delivery.next_attempt_at is None and delivery.kind in SECURITY:
        # Done with: its link (a reset link's secret) is kept no longer than the sending.
        delivery.link = None
    db.session.add(
        DeliveryAttempt(
            delivery_id=delivery.id, attempted_at=now, outcome=outcome, detail=result.detail
        )
    )
    db.session.flush()


@job
def deliver(delivery_id: int) -> bool:
    """Enqueued after commit for each new delivery: try it now."""
    return attempt(delivery_id, clock.now())


def send_due(*, now: datetime | None = None, batch: int = DUE_BATCH) -> int:
    """Try every pending delivery whose time has come (retries, points batches, lost jobs),
    at most ``batch``; returns how many were taken."""
    now = now or clock.now()
    due = db.session.scalars(
        select(Delivery.id)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(batch)
    ).all()
    return sum(attempt(delivery_id, now) for delivery_id in due)
