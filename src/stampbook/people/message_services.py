"""Private messages use cases: writing (as the recipient's settings allow; blocks refuse it
either way), editing and deleting one's own, marking them read. Services never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select, update

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import AccountAction, may_see_section
from stampbook.core import outbox
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.policy import can, require
from stampbook.people.models import Message
from stampbook.people.policy import PeopleAction
from stampbook.people.services import person, refuse_blocks
from stampbook.programs.models import Program
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task


def _has_written(sender_id: int, recipient_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Message.from_user_id == sender_id, Message.to_user_id == recipient_id
                )
            )
        )
    )


def _check_about(
    actor: User, shop_id: int | None, program_id: int | None, task_id: int | None
) -> None:
    """What a message is about must be something its sender may see (404 otherwise)."""
    about: list[tuple[type[Shop | Program | Task], int | None, str]] = [
        (Shop, shop_id, "shop"),
        (Program, program_id, "program"),
        (Task, task_id, "task"),
    ]
    for model, object_id, kind in about:
        if object_id is None:
            continue
        found = db.session.get(model, object_id)
        if found is None or not can(actor, f"{kind}.view", found):
            raise NotFound(thing=kind)


def send_message(
    actor: User,
    *,
    to_user_id: int,
    body: str,
    shop_id: int | None = None,
    program_id: int | None = None,
    task_id: int | None = None,
    now: datetime | None = None,
) -> Message:
    """Write to someone whose settings allow it (``Section.MESSAGES``); anyone may answer a
    person who wrote to them. Blocks refuse it either way."""
    if to_user_id == actor.id:
        raise Conflict(code="self_message")
    recipient = person(to_user_id)
    answering = _has_written(recipient.id, actor.id)
    if not answering:
        require(actor, AccountAction.USER_VIEW, recipient)
    refuse_blocks(actor, recipient)
    if not answering and not may_see_section(actor, recipient, Section.MESSAGES):
        raise Forbidden(code="messages_not_allowed")
    _check_about(actor, shop_id, program_id, task_id)
    message = Message(
        from_user_id=actor.id,
        to_user_id=recipient.id,
        body=body,
        shop_id=shop_id,
        program_id=program_id,
        task_id=task_id,
        created_at=now or utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    outbox.record(
        OccurrenceType.MESSAGE_RECEIVED,
        shop_id=shop_id,
        message_id=message.id,
        sender_id=actor.id,
        recipient_id=recipient.id,
    )
    return message


def _own_message(actor: User, message_id: int, action: str) -> Message:
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound(thing="message")
    require(actor, action, message)
    if actor.id == message.to_user_id:
        raise Forbidden(action=action)
    if actor.id != message.from_user_id:
        raise NotFound(thing="message")  # admins too: messages are their two people's
    return message


def edit_message(
    actor: User, message_id: int, *, body: str, now: datetime | None = None
) -> Message:
    message = _own_message(actor, message_id, PeopleAction.MESSAGE_EDIT)
    message.body = body
    message.edited_at = now or utcnow()
    db.session.flush()
    return message


def delete_message(actor: User, message_id: int) -> None:
    db.session.delete(_own_message(actor, message_id, PeopleAction.MESSAGE_DELETE))
    db.session.flush()


def own_message(actor: User, message_id: int) -> Message:
    """A message its sender is about to edit (its recipient gets 403, anybody else 404)."""
    return _own_message(actor, message_id, PeopleAction.MESSAGE_EDIT)


def mark_read(
    actor: User, *, user_id: int, up_to_id: int | None = None, now: datetime | None = None
) -> int:
    """Mark the messages ``user_id`` sent me read (up to ``up_to_id``); how many changed."""
    if db.session.get(User, user_id) is None:
        raise NotFound(thing="user")
    conditions = [
        Message.to_user_id == actor.id,
        Message.from_user_id == user_id,
        Message.read_at.is_(None),
    ]
    if up_to_id is not None:
        conditions.append(Message.id <= up_to_id)
    marked = db.session.execute(
        update(Message)
        .where(*conditions)
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(marked.rowcount)  # type: ignore[attr-defined]
