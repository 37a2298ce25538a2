"""A store's webhooks coming in (Shopify, DESIGN 8.4): received, checked and logged in the
request, their work done by a job.

The request (``receive``), in this order, so that nothing is computed on what may not be
trusted: a body over ``shopify.MAX_BODY_BYTES`` is refused (413) before it is read; the live
connection of ``X-Shopify-Shop-Domain`` is found; ``X-Shopify-Hmac-Sha256`` is checked
against the raw bytes with that connection's secret, in constant time (no connection, or no
match: 401 ``invalid_signature``, nothing written); only then is the body parsed. The
delivery is logged once per connection, topic and the signed body's id (an
``INSERT ... ON CONFLICT DO NOTHING`` on that unique key): Shopify's retries, and a captured
body sent again under a new ``X-Shopify-Webhook-Id`` header (which nothing signs), find the
row and change nothing. Shopify gets its 200 at once; ``process_delivery`` runs after commit.

The job (``process``) locks the delivery, does its topic's work in a savepoint, and records
the outcome on the row: processed, ignored (with why), or refused with the services' error
code (a currency mismatch, an archived program...; a refusal is final, never retried). An
unexpected failure leaves it pending for ``sweep`` (every minute: deliveries a lost job or
a failure left behind), ``MAX_TRIES`` times, then it is failed. The body is kept only until
the work is done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Insert
from werkzeug.datastructures import Headers

from stampbook.core import clock, json_body, outbox, unit_of_work
from stampbook.core.db import db, execute_core
from stampbook.core.errors import AppError, Conflict, Unauthorized
from stampbook.core.jobs import job
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.schemas import read_json
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.loyalty import crediting, integrations, ordering, shopify
from stampbook.loyalty.customers import customer, locked
from stampbook.loyalty.integration_queries import live_connection
from stampbook.loyalty.integration_schemas import DeliveryReceived
from stampbook.loyalty.models import (
    DeliveryOutcome,
    EarningRule,
    Integration,
    IntegrationDelivery,
    Order,
    RefundStatus,
    RuleKind,
)
from stampbook.loyalty.shopify import Topic
from stampbook.programs.models import Membership, Program

logger = logging.getLogger(__name__)

# Tries after the first before a delivery whose job keeps failing is given up (failed).
MAX_TRIES = 5
# A delivery still pending this long after it came is the sweep's (its job was lost).
SWEEP_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 200
# What a delivery did, or why it did nothing (said by ``integration_words.NOTES``); a refused
# or failed one has an error code instead (``core.wording``).
UNKNOWN_TOPIC = "unknown_topic"
ORDER_CREATED = "order_created"
TEST_ORDER = "test_order"
NO_CUSTOMER = "no_customer"
NOT_CANCELLED = "not_cancelled"
ORDER_EARNED = "order_earned"
ORDER_CANCELLED = "order_cancelled"
REFUND_APPLIED = "refund_applied"
REFUND_PARKED = "refund_parked"
SIGNUP_CREDITED = "signup_credited"
NO_SIGNUP_RULE = "no_signup_rule"
CUSTOMER_UPDATED = "customer_updated"
UNKNOWN_CUSTOMER = "unknown_customer"
CLAIMED_CUSTOMER = "claimed_customer"
STALE_UPDATE = "stale_update"
DISCONNECTED = "disconnected"

Outcome = tuple[DeliveryOutcome, str | None, dict[str, Any]]


# --- The request ----------------------------------------------------------------------------


def _claim_statement(dialect: Any) -> Insert:
    claim: Insert = (
        dialect.insert(IntegrationDelivery)
        .values(
            integration_id=bindparam("integration_id"),
            topic=bindparam("topic"),
            resource_key=bindparam("resource_key"),
            webhook_id=bindparam("webhook_id"),
            received_at=bindparam("received_at"),
            processed_at=bindparam("processed_at"),
            outcome=bindparam("outcome"),
            code=bindparam("code"),
            tries=0,
            payload=bindparam("payload"),
        )
        .on_conflict_do_nothing(index_elements=["integration_id", "topic", "resource_key"])
        .returning(IntegrationDelivery.id)
    )
    return claim


_CLAIM = {"postgresql": _claim_statement(postgresql), "sqlite": _claim_statement(sqlite)}


def too_large(content_length: int | None) -> bool:
    """Whether a body announced (or read) at this length is refused, before it is read."""
    return (content_length or 0) > shopify.MAX_BODY_BYTES


def receive(raw: bytes, headers: Headers, *, now: datetime | None = None) -> DeliveryReceived:
    """Check and log one delivery (``raw``: the body's bytes, at most MAX_BODY_BYTES);
    its work is queued for after the commit. Returns the answer for Shopify."""
    domain = shopify.store_domain(headers.get(shopify.DOMAIN_HEADER))
    integration = live_connection(domain) if domain is not None else None
    # Looked up through the module, so that a test can tell whether it was computed at all.
    if integration is None or not shopify.verify(
        raw, integration.secret, headers.get(shopify.HMAC_HEADER)
    ):
        raise Unauthorized(code="invalid_signature")
    body = read_json(raw, parse_float=Decimal)
    topic = shopify.topic_of(headers.get(shopify.TOPIC_HEADER))
    known = shopify.known_topic(topic)
    now = now or clock.now()
    acted_on = known is not None and known != Topic.ORDERS_CREATE
    reason = None if acted_on else (ORDER_CREATED if known else UNKNOWN_TOPIC)
    params = {
        "integration_id": integration.id,
        "topic": topic,
        "resource_key": shopify.resource_key(topic, body, raw),
        "webhook_id": (headers.get(shopify.WEBHOOK_ID_HEADER) or "")[:100] or None,
        "received_at": now,
        # What needs no work is done now, and its body is not kept.
        "processed_at": None if acted_on else now,
        "outcome": DeliveryOutcome.PENDING if acted_on else DeliveryOutcome.IGNORED,
        "code": reason,
        "payload": _text(raw) if acted_on else None,
    }
    claimed = execute_core(_CLAIM[db.session.get_bind().dialect.name], params).first()
    if claimed is None:
        first = db.session.scalars(
            select(IntegrationDelivery).where(
                IntegrationDelivery.integration_id == integration.id,
                IntegrationDelivery.topic == topic,
                IntegrationDelivery.resource_key == params["resource_key"],
            )
        ).one()
        return DeliveryReceived(delivery_id=first.id, outcome=first.outcome, duplicate=True)
    delivery_id = int(claimed[0])
    if acted_on:
        _queue(delivery_id)
    else:
        logger.info("store webhook %s ignored (topic %r)", delivery_id, topic)
    return DeliveryReceived(delivery_id=delivery_id, outcome=params["outcome"], duplicate=False)


def _text(raw: bytes) -> str:
    """The body as text, in the encoding JSON was sent in (Shopify's is UTF-8)."""
    return raw.decode(json.detect_encoding(raw))


# --- The job --------------------------------------------------------------------------------


@job
def process_delivery(delivery_id: int) -> None:
    """Do a logged delivery's work (queued after the request's commit, and by the sweep)."""
    process(delivery_id)


def process(delivery_id: int, *, now: datetime | None = None) -> IntegrationDelivery | None:
    """Do the delivery's work once: a delivery already done (a second job, the sweep racing
    the first) is left as it is."""
    delivery = db.session.scalars(
        select(IntegrationDelivery)
        .where(IntegrationDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if delivery is None or delivery.processed_at is not None or delivery.payload is None:
        return delivery
    integration = db.session.get(Integration, delivery.integration_id)
    assert integration is not None  # a foreign key guarantees it
    body = json_body.loads(delivery.payload, parse_float=Decimal)
    try:
        with db.session.begin_nested():
            outcome = _handle(integration, delivery.topic, body)
    except AppError as refusal:
        outcome = (DeliveryOutcome.REFUSED, refusal.code, _plain(refusal.params))
    except (RetryTransaction, DBAPIError):
        raise  # the unit of work runs the job again
    except Exception:
        logger.exception("store webhook %s failed (try %s)", delivery.id, delivery.tries + 1)
        delivery.tries += 1
        delivery.code = "internal_error"
        if delivery.tries > MAX_TRIES:
            _finish(delivery, (DeliveryOutcome.FAILED, "internal_error", {}), now)
        return delivery
    _finish(delivery, outcome, now)
    return delivery


def _finish(delivery: IntegrationDelivery, outcome: Outcome, now: datetime | None) -> None:
    delivery.outcome, delivery.code, delivery.params = outcome[0], outcome[1], outcome[2] or None
    delivery.processed_at = now or clock.now()
    delivery.payload = None  # the customer's data is not kept once its work is done
    db.session.flush()


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """An error's parameters as the log's JSON keeps them."""
    return {
        key: value if isinstance(value, int | str | bool) or value is None else str(value)
        for key, value in params.items()
    }


def _handle(integration: Integration, topic: str, body: Any) -> Outcome:
    known = Topic(topic)
    body = shopify.check_resource(known, body)
    if known == Topic.APP_UNINSTALLED:
        return _uninstalled(integration, body)
    program = db.session.get(Program, integration.program_id)
    assert program is not None  # a foreign key guarantees it
    if program.is_archived:
        raise Conflict(code="archived")
    if known == Topic.ORDERS_PAID:
        return _order(program, body, cancelled=False)
    if known == Topic.ORDERS_CANCELLED:
        if not shopify.is_cancelled(body):
            return DeliveryOutcome.IGNORED, NOT_CANCELLED, {}
        return _order(program, body, cancelled=True)
    if known == Topic.REFUNDS_CREATE:
        return _refund(program, body)
    if known == Topic.CUSTOMERS_CREATE:
        return _customer_created(program, body)
    return _customer_updated(program, body)


def _order(program: Program, body: Mapping[str, Any], *, cancelled: bool) -> Outcome:
    external_id, email = shopify.order_customer(body)
    if external_id is None and email is None:
        return DeliveryOutcome.IGNORED, NO_CUSTOMER, {}
    order = shopify.order_in(body, cancelled=cancelled)
    if order.test:
        ordering.take_order(program, order, source="shopify")  # recorded, ignored
        return DeliveryOutcome.IGNORED, TEST_ORDER, {}
    if external_id is not None:
        _store_customer(program, external_id, email)
    taken = ordering.take_order(program, order, source="shopify")
    if cancelled:
        return DeliveryOutcome.PROCESSED, ORDER_CANCELLED, {}
    return DeliveryOutcome.PROCESSED, ORDER_EARNED, {"points": taken.points_earned}


def _refund(program: Program, body: Mapping[str, Any]) -> Outcome:
    order_id = shopify.customer_id(body.get("order_id"))
    recorded = db.session.scalar(
        select(Order.currency).where(Order.program_id == program.id, Order.order_id == order_id)
    )
    currency = recorded or shopify.refund_currency(body) or program.currency
    refund = ordering.take_refund(program, shopify.refund_in(body, currency))
    if refund.status == RefundStatus.PARKED:
        return DeliveryOutcome.PROCESSED, REFUND_PARKED, {}
    return DeliveryOutcome.PROCESSED, REFUND_APPLIED, {"points": refund.points_clawed_back}


def _customer_created(program: Program, body: Mapping[str, Any]) -> Outcome:
    external_id = shopify.customer_id(body.get("id"))
    if external_id is None:
        raise shopify.invalid("id")
    member = _store_customer(program, external_id, shopify.email_of(body.get("email")))
    signup = db.session.scalars(
        select(EarningRule).where(
            EarningRule.program_id == program.id,
            EarningRule.kind == RuleKind.SIGNUP,
            EarningRule.deleted_at.is_(None),
        )
    ).first()
    if signup is None:
        return DeliveryOutcome.PROCESSED, NO_SIGNUP_RULE, {}
    credited = crediting.credit(
        signup, member, program, reference=crediting.signup_reference(member.id), actor_id=None
    )
    return DeliveryOutcome.PROCESSED, SIGNUP_CREDITED, {"points": credited.points}


def _customer_updated(program: Program, body: Mapping[str, Any]) -> Outcome:
    """An unclaimed customer's email follows the store's (a claimed one's is its account's),
    in the order of the store's own ``updated_at``."""
    external_id = shopify.customer_id(body.get("id"))
    if external_id is None:
        raise shopify.invalid("id")
    member = locked(program, Membership.external_id == external_id)
    if member is None:
        return DeliveryOutcome.IGNORED, UNKNOWN_CUSTOMER, {}
    if member.user_id is not None:
        return DeliveryOutcome.IGNORED, CLAIMED_CUSTOMER, {}
    # Shopify does not promise order: an update older than one applied changes nothing.
    updated = shopify.moment(body.get("updated_at"))
    if updated is not None:
        if member.store_updated_at is not None and updated <= member.store_updated_at:
            return DeliveryOutcome.IGNORED, STALE_UPDATE, {}
        member.store_updated_at = updated
    email = shopify.email_of(body.get("email"))
    if email is not None and email != member.email:
        other = locked(program, Membership.email == email)
        if other is not None:
            raise Conflict(code="customer_email_taken")
        member.email = email
        db.session.flush()
        outbox.record(
            OccurrenceType.CUSTOMER_EMAIL_CHANGED,
            shop_id=program.shop_id,
            membership_id=member.id,
            program_id=program.id,
        )
    return DeliveryOutcome.PROCESSED, CUSTOMER_UPDATED, {}


def _uninstalled(integration: Integration, body: Mapping[str, Any]) -> Outcome:
    """The store's own domain in the signed body must be the connection's."""
    if shopify.store_domain(body.get("myshopify_domain")) != integration.shop_domain:
        raise Conflict(code="shopify_payload_mismatch", topic=str(Topic.APP_UNINSTALLED))
    integrations.disable(integration)
    return DeliveryOutcome.PROCESSED, DISCONNECTED, {}


def _store_customer(program: Program, external_id: str, email: str | None) -> Membership:
    """The store's customer: found by their Shopify id; else the program's customer (or
    member) with their email, who is given that id; else a new unclaimed customer with
    both (the email only if no other membership of the program holds it)."""
    found = locked(program, Membership.external_id == external_id)
    if found is None and email is not None:
        by_email = locked(program, Membership.email == email)
        if by_email is not None and by_email.external_id is None:
            by_email.external_id = external_id
            db.session.flush()
            found = by_email
        elif by_email is not None:
            email = None  # another store customer's address: not held twice
    if found is not None:
        return customer(program, membership_id=found.id)
    return customer(program, external_id=external_id, email=email)


# --- The sweep ------------------------------------------------------------------------------


def sweep(*, now: datetime | None = None) -> int:
    """Queue the deliveries left pending a minute after they came (a job lost with its
    worker, or one that failed and may try again); how many."""
    due = db.session.scalars(
        select(IntegrationDelivery.id)
        .where(
            IntegrationDelivery.processed_at.is_(None),
            IntegrationDelivery.received_at < (now or clock.now()) - SWEEP_AFTER,
        )
        .order_by(IntegrationDelivery.id)
        .limit(SWEEP_BATCH)
    ).all()
    for delivery_id in due:
        _queue(delivery_id)
    return len(due)


# How long a worked delivery stays in the log. Forgetting it cannot pay twice: an order, a
# refund and a signup are each once by their own ids, whatever the log remembers.
KEEP_DELIVERIES = timedelta(days=30)


def purge(*, now: datetime | None = None) -> int:
    """Drop the log's deliveries worked more than KEEP_DELIVERIES ago; how many went."""
    result = db.session.execute(
        delete(IntegrationDelivery).where(
            IntegrationDelivery.processed_at < (now or clock.now()) - KEEP_DELIVERIES
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _queue(delivery_id: int) -> None:
    unit_of_work.after_commit(lambda: process_delivery.enqueue(delivery_id))
