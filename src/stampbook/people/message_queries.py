"""Reads of private messages: a conversation's messages, the list of conversations, and who
one may open a conversation with."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import may_see_section
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import PageQuery, decode_cursor, encode_cursor, newest_first
from stampbook.people.models import Message
from stampbook.people.schemas import (
    ConversationOut,
    ConversationPage,
    MessageOut,
    MessagePage,
    MessageQuery,
)
from stampbook.people.shared_queries import refs


def messages(actor: User, query: MessageQuery) -> MessagePage:
    """My messages, both ways, newest first; keyset pages, so new messages never shift them."""
    me = actor.id
    if query.with_user_id is None:
        mine: ColumnElement[bool] = or_(Message.from_user_id == me, Message.to_user_id == me)
    else:
        other = query.with_user_id
        mine = or_(
            and_(Message.from_user_id == me, Message.to_user_id == other),
            and_(Message.from_user_id == other, Message.to_user_id == me),
        )
    rows, next_cursor = newest_first(select(Message).where(mine), Message.id, query)
    return MessagePage(items=[MessageOut.model_validate(m) for m in rows], next_cursor=next_cursor)


def conversations(actor: User, page: PageQuery) -> ConversationPage:
    """One row per person I exchanged messages with, the latest conversation first, with the
    latest message and how many of theirs I have not read. Two queries."""
    me = actor.id
    other = case((Message.from_user_id == me, Message.to_user_id), else_=Message.from_user_id)
    unread = case((and_(Message.to_user_id == me, Message.read_at.is_(None)), 1), else_=0)
    grouped = (
        select(
            other.label("other_id"),
            func.max(Message.id).label("last_id"),
            func.sum(unread).label("unread"),
        )
        .where(or_(Message.from_user_id == me, Message.to_user_id == me))
        .group_by(other)
        .subquery()
    )
    query = select(grouped.c.other_id, grouped.c.unread, Message).join(
        Message, Message.id == grouped.c.last_id
    )
    if page.cursor is not None:
        query = query.where(grouped.c.last_id < decode_cursor(page.cursor))
    rows = db.session.execute(query.order_by(grouped.c.last_id.desc()).limit(page.limit + 1)).all()
    rows, more = rows[: page.limit], len(rows) > page.limit
    names = refs(row[0] for row in rows)
    return ConversationPage(
        items=[
            ConversationOut(
                user=names[other_id],
                last_message=MessageOut.model_validate(message),
                unread_count=int(unread_count or 0),
            )
            for other_id, unread_count, message in rows
        ],
        next_cursor=encode_cursor(rows[-1][2].id) if more else None,
    )


def correspondent(actor: User, user_id: int) -> User:
    """Someone the actor may open a conversation with: a person they exchanged messages
    with, or whose page they may see (404 otherwise: a hidden person's name does not leak)."""
    other = db.session.get(User, user_id)
    if other is None or other.id == actor.id:
        raise NotFound(thing="user")
    if may_see_section(actor, other, Section.PAGE):
        return other
    exchanged = exists().where(
        or_(
            and_(Message.from_user_id == actor.id, Message.to_user_id == other.id),
            and_(Message.from_user_id == other.id, Message.to_user_id == actor.id),
        )
    )
    if db.session.scalar(select(exchanged)):
        return other
    raise NotFound(thing="user")
