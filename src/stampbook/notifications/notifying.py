"""The outbox's consumer: occurrences become in-app notices and deliveries.

It runs inside the dispatch's transaction (``core.outbox``), writes rows and sends nothing:
a delivery is sent by the ``deliver`` job after commit (``delivering``). Each kind fed by the
occurrence (``kinds.KINDS``) goes to its recipients on the channels they keep on; marketing
only to those who consented for the shop.

Points are batched: what one member earns in one program within a minute is one notice
(updated: "You earned 10 points in Café Luna") and at most one email, sent when the minute
is over. Two concurrent dispatches cannot both open a batch: a batch still open is found and
added to with one conditional ``UPDATE``; where there is none, the new one's key (user,
program, fixed window, ``rules.batch_key``) is unique and the insert is an upsert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from stampbook.accounts import phones
from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.outbox import Occurrence
from stampbook.core.unit_of_work import after_commit
from stampbook.notifications import choices, rendering, rules
from stampbook.notifications.delivering import deliver
from stampbook.notifications.kinds import (
    SECURITY,
    Channel,
    Kind,
    kinds_for,
    unconfirmed_marketing,
)
from stampbook.notifications.models import Delivery, DeliveryStatus, Notification
from stampbook.notifications.overrides import template_for
from stampbook.notifications.recipients import Recipient, Values

CONSUMER_NAME = "notifications"


def handle(occurrence: Occurrence) -> None:
    """Every kind the occurrence feeds, to each of its recipients."""
    for kind in kinds_for(occurrence.type):
        for recipient in kind.recipients(occurrence):
            notify(kind, recipient, at=occurrence.occurred_at)


def notify(kind: Kind, recipient: Recipient, *, at: datetime) -> None:
    user = recipient.user
    if kind.marketing and not choices.consents(user.id, recipient.shop_id):
        return
    channels = choices.channels_on(user.id, kind)
    if Channel.IN_APP in channels:
        _in_app(kind, recipient, at)
    for channel in sorted(channels - {Channel.IN_APP}):
        if not unconfirmed_marketing(kind, user, channel):
            _delivery(kind, recipient, channel, at)


def send_security(kind_name: str, user: User, values: Values, *, link: str) -> None:
    """A security message (``kinds.SECURITY``) by email to ``user``, whatever their
    preferences; the ``deliver`` job sends it after commit and then forgets its link."""
    _delivery(SECURITY[kind_name], Recipient(user, None, values, link), Channel.EMAIL, utcnow())


def _words(kind: Kind, recipient: Recipient, values: dict[str, Any]) -> rendering.Rendered:
    language = choices.language(recipient.user)
    template = template_for(recipient.shop_id, kind.name, Channel.IN_APP, language)
    return rendering.render(template, values)


def _in_app(kind: Kind, recipient: Recipient, at: datetime) -> None:
    values = dict(recipient.values)
    if not kind.batched:
        words = _words(kind, recipient, values)
        db.session.add(
            Notification(
                user_id=recipient.user.id,
                shop_id=recipient.shop_id,
                kind=kind.name,
                title=words.subject,
                body=words.text,
                link=recipient.link,
                created_at=at,
                context=values,
            )
        )
        return
    notification_id, total = _add_to_batch(Notification, recipient, at, values, kind=kind.name)
    words = _words(kind, recipient, {**values, "amount": total})
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(title=words.subject, body=words.text, context={**values, "amount": total})
    )


def _delivery(kind: Kind, recipient: Recipient, channel: str, at: datetime) -> None:
    address = _address(recipient, channel)
    if address is None:
        return
    values = dict(recipient.values)
    if kind.batched:
        # Sent once the batch's minute is over, by the periodic job, with its total.
        _add_to_batch(Delivery, recipient, at, values, channel=channel, kind=kind.name)
        return
    delivery = Delivery(
        user_id=recipient.user.id,
        shop_id=recipient.shop_id,
        kind=kind.name,
        channel=channel,
        to=address,
        language=choices.language(recipient.user),
        context=values,
        link=recipient.link,
        status=DeliveryStatus.PENDING,
        next_attempt_at=at,
        created_at=at,
    )
    db.session.add(delivery)
    db.session.flush()
    delivery_id = delivery.id
    after_commit(lambda: deliver.enqueue(delivery_id))


def _address(recipient: Recipient, channel: str) -> str | None:
    """Where ``channel`` reaches the user: their email, or their phone unless it opted out
    of texts (none: no delivery is made)."""
    if channel == Channel.SMS:
        return phones.sms_number(recipient.user)
    return recipient.user.email if channel == Channel.EMAIL else None


# --- Batches ----------------------------------------------------------------------------------


def _open_batch(
    model: type[Notification] | type[Delivery], recipient: Recipient, at: datetime
) -> str | None:
    """The key of the user's batch in this program still open at ``at``, if any."""
    prefix = f"{recipient.user.id}:{recipient.program_id}:"
    query = select(model.batch_key).where(
        model.user_id == recipient.user.id,
        model.batch_key.startswith(prefix, autoescape=True),
        model.opened_at > at - rules.BATCH_WINDOW,
        model.opened_at <= at,
    )
    if model is Delivery:
        query = query.where(Delivery.status == DeliveryStatus.PENDING)
    return db.session.scalars(query.order_by(model.opened_at.desc()).limit(1)).first()


def _add_to_batch(
    model: type[Notification] | type[Delivery],
    recipient: Recipient,
    at: datetime,
    values: dict[str, Any],
    **columns: Any,
) -> tuple[int, int]:
    """Add the recipient's points to their open batch, or open one; (row id, new total)."""
    points = recipient.points
    key = _open_batch(model, recipient, at)
    if key is not None:
        row = db.session.execute(
            update(model)
            .where(model.batch_key == key)
            .values(points=model.points + points)
            .returning(model.id, model.points),
            execution_options={"synchronize_session": False},
        ).first()
        if row is not None:
            return int(row[0]), int(row[1])
    key = rules.batch_key(recipient.user.id, recipient.program_id or 0, at)
    insert_values: dict[str, Any] = {
        "user_id": recipient.user.id,
        "shop_id": recipient.shop_id,
        "batch_key": key,
        "opened_at": at,
        "points": points,
        "context": values,
        "link": recipient.link,
        "created_at": at,
        **columns,
    }
    if model is Notification:
        insert_values |= {"title": "", "body": ""}
    else:
        insert_values |= {
            "to": _address(recipient, columns["channel"]),
            "language": choices.language(recipient.user),
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": at + rules.BATCH_WINDOW,
        }
    statement = _upsert(model).values(**insert_values)
    row = db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["batch_key"], set_={"points": model.points + statement.excluded.points}
        ).returning(model.id, model.points),
        execution_options={"synchronize_session": False},
    ).one()
    return int(row[0]), int(row[1])


def _upsert(model: Any) -> Any:
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(model)
    return statement
