"""Buddies and blocks use cases, and what a deleted account leaves of them. Services never
commit.

Races are settled by the database: a friendship and a pending request are unique per pair
(and a review award per user and item, ``stampbook.people.post_services``). A transaction
that loses such a race raises ``RetryTransaction`` (:func:`unique_or_retry`); the unit of
work runs it again, and the second run sees the winner's row (two people asking each other
at once become buddies once).

Blocking someone ends the friendship and the pending requests between the two, and refuses
their buddy requests and messages from then on (both ways: the blocker must unblock first).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.accounts.policy import AccountAction
from stampbook.core import outbox
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.policy import require
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.people import rules
from stampbook.people.buddy_queries import pending_request_between
from stampbook.people.models import Block, Buddy, BuddyRequest, RequestStatus
from stampbook.people.policy import PeopleAction


@contextmanager
def unique_or_retry() -> Iterator[None]:
    """A unique constraint refused a row a parallel transaction inserted first: run again."""
    try:
        yield
        db.session.flush()
    except IntegrityError as error:
        raise RetryTransaction() from error


def person(user_id: int) -> User:
    """A user who exists and has not deleted their account (404 otherwise)."""
    user = db.session.get(User, user_id)
    if user is None or user.is_deleted:
        raise NotFound(thing="user")
    return user


def _visible_person(actor: User, user_id: int) -> User:
    user = person(user_id)
    require(actor, AccountAction.USER_VIEW, user)
    return user


def blocked(blocker_id: int, blocked_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id))
        )
    )


def refuse_blocks(actor: User, other: User) -> None:
    """403 when either of the two blocked the other."""
    if blocked(actor.id, other.id):
        raise Forbidden(code="you_blocked_user")
    if blocked(other.id, actor.id):
        raise Forbidden(code="blocked_by_user")


def _buddy(a: int, b: int) -> Buddy | None:
    low, high = rules.ordered_pair(a, b)
    return db.session.scalars(
        select(Buddy).where(Buddy.user1_id == low, Buddy.user2_id == high)
    ).first()


# --- Buddies ----------------------------------------------------------------------------------


def send_request(actor: User, *, user_id: int, now: datetime | None = None) -> BuddyRequest:
    """Ask ``user_id`` to be buddies. When they had asked first, this accepts their request."""
    if user_id == actor.id:
        raise Conflict(code="self_request")
    other = _visible_person(actor, user_id)
    refuse_blocks(actor, other)
    if _buddy(actor.id, other.id) is not None:
        raise Conflict(code="already_buddies")
    pending = pending_request_between(actor.id, other.id)
    if pending is not None:
        if pending.from_user_id == actor.id:
            raise Conflict(code="request_pending", extra={"request_id": pending.id})
        _accept(pending, now or utcnow())
        return pending
    low, high = rules.ordered_pair(actor.id, other.id)
    request = BuddyRequest(
        from_user_id=actor.id,
        to_user_id=other.id,
        user_low_id=low,
        user_high_id=high,
        created_at=now or utcnow(),
    )
    with unique_or_retry():
        db.session.add(request)
    outbox.record(
        OccurrenceType.BUDDY_REQUESTED,
        shop_id=None,
        buddy_request_id=request.id,
        requester_id=actor.id,
        recipient_id=other.id,
    )
    return request


def _answer(request: BuddyRequest, status: RequestStatus, now: datetime) -> None:
    """Move a pending request on, if nobody moved it first (a conditional update)."""
    moved = db.session.execute(
        update(BuddyRequest)
        .where(BuddyRequest.id == request.id, BuddyRequest.status == RequestStatus.PENDING)
        .values(status=status, responded_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(code="not_pending")
    db.session.refresh(request)


def _accept(request: BuddyRequest, now: datetime) -> Buddy:
    _answer(request, RequestStatus.ACCEPTED, now)
    found = _buddy(request.from_user_id, request.to_user_id)
    if found is not None:
        return found
    buddy = Buddy(user1_id=request.user_low_id, user2_id=request.user_high_id, created_at=now)
    with unique_or_retry():
        db.session.add(buddy)
    outbox.record(
        OccurrenceType.BUDDY_ACCEPTED,
        shop_id=None,
        buddy_request_id=request.id,
        requester_id=request.from_user_id,
        accepter_id=request.to_user_id,
    )
    return buddy


def _load_request(actor: User, request_id: int, action: str) -> BuddyRequest:
    request = db.session.get(BuddyRequest, request_id)
    if request is None:
        raise NotFound(thing="buddy_request")
    require(actor, action, request)
    if actor.id not in (request.from_user_id, request.to_user_id):
        raise NotFound(thing="buddy_request")  # admins answer only their own
    return request


def accept_request(actor: User, request_id: int, *, now: datetime | None = None) -> Buddy:
    request = _load_request(actor, request_id, PeopleAction.BUDDY_REQUEST_RESPOND)
    if request.to_user_id != actor.id:
        raise Forbidden(action=PeopleAction.BUDDY_REQUEST_RESPOND)
    refuse_blocks(actor, person(request.from_user_id))
    return _accept(request, now or utcnow())


def decline_request(actor: User, request_id: int, *, now: datetime | None = None) -> BuddyRequest:
    request = _load_request(actor, request_id, PeopleAction.BUDDY_REQUEST_RESPOND)
    if request.to_user_id != actor.id:
        raise Forbidden(action=PeopleAction.BUDDY_REQUEST_RESPOND)
    _answer(request, RequestStatus.DECLINED, now or utcnow())
    return request


def cancel_request(actor: User, request_id: int, *, now: datetime | None = None) -> None:
    request = _load_request(actor, request_id, PeopleAction.BUDDY_REQUEST_CANCEL)
    if request.from_user_id != actor.id:
        raise Forbidden(action=PeopleAction.BUDDY_REQUEST_CANCEL)
    _answer(request, RequestStatus.CANCELLED, now or utcnow())


def remove_buddy(actor: User, *, user_id: int) -> None:
    buddy = _buddy(actor.id, user_id) if user_id != actor.id else None
    if buddy is None:
        raise NotFound(thing="buddy")
    db.session.delete(buddy)
    db.session.flush()


def _end_ties(a: int, b: int, now: datetime) -> None:
    """No friendship and no pending request between the two any more."""
    low, high = rules.ordered_pair(a, b)
    db.session.execute(delete(Buddy).where(Buddy.user1_id == low, Buddy.user2_id == high))
    db.session.execute(
        update(BuddyRequest)
        .where(
            BuddyRequest.user_low_id == low,
            BuddyRequest.user_high_id == high,
            BuddyRequest.status == RequestStatus.PENDING,
        )
        .values(status=RequestStatus.CANCELLED, responded_at=now)
        .execution_options(synchronize_session=False)
    )


# --- Blocks -----------------------------------------------------------------------------------


def block(actor: User, *, user_id: int, now: datetime | None = None) -> Block:
    """Block a user (any existing user, even one whose page you cannot see); idempotent."""
    if user_id == actor.id:
        raise Conflict(code="self_block")
    other = person(user_id)
    now = now or utcnow()
    found = db.session.scalars(
        select(Block).where(Block.blocker_id == actor.id, Block.blocked_id == other.id)
    ).first()
    if found is not None:
        return found
    _end_ties(actor.id, other.id, now)
    row = Block(blocker_id=actor.id, blocked_id=other.id, created_at=now)
    with unique_or_retry():
        db.session.add(row)
    return row


def unblock(actor: User, *, user_id: int) -> None:
    """Idempotent for a user that exists; an unknown user is 404."""
    if db.session.get(User, user_id) is None:
        raise NotFound(thing="user")
    db.session.execute(
        delete(Block).where(Block.blocker_id == actor.id, Block.blocked_id == user_id)
    )


# --- A deleted account ------------------------------------------------------------------------


def forget_user(user_id: int, *, now: datetime | None = None) -> None:
    """A deleted account keeps no friendship, pending request or block."""
    now = now or utcnow()
    mine = or_(Buddy.user1_id == user_id, Buddy.user2_id == user_id)
    db.session.execute(delete(Buddy).where(mine))
    db.session.execute(
        update(BuddyRequest)
        .where(
            or_(BuddyRequest.from_user_id == user_id, BuddyRequest.to_user_id == user_id),
            BuddyRequest.status == RequestStatus.PENDING,
        )
        .values(status=RequestStatus.CANCELLED, responded_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Block).where(or_(Block.blocker_id == user_id, Block.blocked_id == user_id))
    )
