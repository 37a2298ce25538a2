"""Buddies, requests, blocks, messages and posts for tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.db import utcnow
from stampbook.people.models import (
    Block,
    Buddy,
    BuddyRequest,
    Message,
    Post,
    PostAudience,
    PostRecipient,
)
from stampbook.people.rules import ordered_pair


def make_buddies(session: Session, a: User, b: User) -> Buddy:
    low, high = ordered_pair(a.id, b.id)
    buddy = Buddy(user1_id=low, user2_id=high)
    session.add(buddy)
    session.flush()
    return buddy


def make_request(session: Session, sender: User, recipient: User, **fields: Any) -> BuddyRequest:
    low, high = ordered_pair(sender.id, recipient.id)
    request = BuddyRequest(
        from_user_id=sender.id,
        to_user_id=recipient.id,
        user_low_id=low,
        user_high_id=high,
        **fields,
    )
    session.add(request)
    session.flush()
    return request


def make_block(session: Session, blocker: User, blocked: User) -> Block:
    block = Block(blocker_id=blocker.id, blocked_id=blocked.id)
    session.add(block)
    session.flush()
    return block


def make_message(
    session: Session,
    sender: User,
    recipient: User,
    body: str = "Hello",
    *,
    at: datetime | None = None,
    **fields: Any,
) -> Message:
    message = Message(
        from_user_id=sender.id,
        to_user_id=recipient.id,
        body=body,
        created_at=at or utcnow(),
        **fields,
    )
    session.add(message)
    session.flush()
    return message


def make_post(
    session: Session,
    author: User,
    body: str = "A post",
    *,
    audience: str = PostAudience.PUBLIC,
    recipients: list[User] | None = None,
    **fields: Any,
) -> Post:
    post = Post(author_id=author.id, body=body, audience=audience, **fields)
    session.add(post)
    session.flush()
    session.add_all(PostRecipient(post_id=post.id, user_id=r.id) for r in recipients or [])
    session.flush()
    return post
