"""People use cases: buddies, blocks, messages, posts and reviews. Services never commit.

Races are settled by the database: a friendship and a pending request are unique per pair,
a review award per user and item. A transaction that loses such a race raises
``RetryTransaction``; the unit of work runs it again, and the second run sees the winner's
row (two people asking each other at once become buddies once).

Blocking someone ends the friendship and the pending requests between the two, and refuses
their buddy requests and messages from then on (both ways: the blocker must unblock first).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import may_see_section, visible_owners
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.policy import can, require
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.people import rules
from stampbook.people.models import (
    Block,
    Buddy,
    BuddyRequest,
    Message,
    Post,
    PostAudience,
    PostRecipient,
    RequestStatus,
    ReviewAward,
    ReviewItem,
)
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import membership_of, program_team
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task


@contextmanager
def _unique_or_retry() -> Iterator[None]:
    """A unique constraint refused a row a parallel transaction inserted first: run again."""
    try:
        yield
        db.session.flush()
    except IntegrityError as error:
        raise RetryTransaction() from error


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.is_deleted:
        raise NotFound("No such user.")
    return user


def _visible_person(actor: User, user_id: int) -> User:
    user = _person(user_id)
    require(actor, "user.view", user)
    return user


def blocked(blocker_id: int, blocked_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id))
        )
    )


def _refuse_blocks(actor: User, other: User) -> None:
    if blocked(actor.id, other.id):
        raise Forbidden("You blocked this user; unblock them first.", code="you_blocked_user")
    if blocked(other.id, actor.id):
        raise Forbidden("This user does not accept anything from you.", code="blocked_by_user")


def _buddy(a: int, b: int) -> Buddy | None:
    low, high = rules.ordered_pair(a, b)
    return db.session.scalars(
        select(Buddy).where(Buddy.user1_id == low, Buddy.user2_id == high)
    ).first()


def _pending_between(a: int, b: int) -> BuddyRequest | None:
    low, high = rules.ordered_pair(a, b)
    return db.session.scalars(
        select(BuddyRequest).where(
            BuddyRequest.user_low_id == low,
            BuddyRequest.user_high_id == high,
            BuddyRequest.status == RequestStatus.PENDING,
        )
    ).first()


# --- Buddies ----------------------------------------------------------------------------------


def send_request(actor: User, *, user_id: int, now: datetime | None = None) -> BuddyRequest:
    """Ask ``user_id`` to be buddies. When they had asked first, this accepts their request."""
    if user_id == actor.id:
        raise Conflict("You cannot be your own buddy.", code="self_request")
    other = _visible_person(actor, user_id)
    _refuse_blocks(actor, other)
    if _buddy(actor.id, other.id) is not None:
        raise Conflict("You are buddies already.", code="already_buddies")
    pending = _pending_between(actor.id, other.id)
    if pending is not None:
        if pending.from_user_id == actor.id:
            raise Conflict(
                "You asked already; wait for an answer.",
                code="request_pending",
                request_id=pending.id,
            )
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
    with _unique_or_retry():
        db.session.add(request)
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
        raise Conflict("This request was answered or cancelled already.", code="not_pending")
    db.session.refresh(request)


def _accept(request: BuddyRequest, now: datetime) -> Buddy:
    _answer(request, RequestStatus.ACCEPTED, now)
    found = _buddy(request.from_user_id, request.to_user_id)
    if found is not None:
        return found
    buddy = Buddy(user1_id=request.user_low_id, user2_id=request.user_high_id, created_at=now)
    with _unique_or_retry():
        db.session.add(buddy)
    return buddy


def _load_request(actor: User, request_id: int, action: str) -> BuddyRequest:
    request = db.session.get(BuddyRequest, request_id)
    if request is None:
        raise NotFound("No such buddy request.")
    require(actor, action, request)
    if actor.id not in (request.from_user_id, request.to_user_id):
        raise NotFound("No such buddy request.")  # admins answer only their own
    return request


def accept_request(actor: User, request_id: int, *, now: datetime | None = None) -> Buddy:
    request = _load_request(actor, request_id, "buddy_request.respond")
    if request.to_user_id != actor.id:
        raise Forbidden("Only the person asked can accept.")
    _refuse_blocks(actor, _person(request.from_user_id))
    return _accept(request, now or utcnow())


def decline_request(actor: User, request_id: int, *, now: datetime | None = None) -> BuddyRequest:
    request = _load_request(actor, request_id, "buddy_request.respond")
    if request.to_user_id != actor.id:
        raise Forbidden("Only the person asked can decline.")
    _answer(request, RequestStatus.DECLINED, now or utcnow())
    return request


def cancel_request(actor: User, request_id: int, *, now: datetime | None = None) -> None:
    request = _load_request(actor, request_id, "buddy_request.cancel")
    if request.from_user_id != actor.id:
        raise Forbidden("Only its sender can cancel a request; decline it instead.")
    _answer(request, RequestStatus.CANCELLED, now or utcnow())


def remove_buddy(actor: User, *, user_id: int) -> None:
    buddy = _buddy(actor.id, user_id) if user_id != actor.id else None
    if buddy is None:
        raise NotFound("This user is not your buddy.")
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
        raise Conflict("You cannot block yourself.", code="self_block")
    other = _person(user_id)
    now = now or utcnow()
    found = db.session.scalars(
        select(Block).where(Block.blocker_id == actor.id, Block.blocked_id == other.id)
    ).first()
    if found is not None:
        return found
    _end_ties(actor.id, other.id, now)
    row = Block(blocker_id=actor.id, blocked_id=other.id, created_at=now)
    with _unique_or_retry():
        db.session.add(row)
    return row


def unblock(actor: User, *, user_id: int) -> None:
    """Idempotent for a user that exists; an unknown user is 404."""
    if db.session.get(User, user_id) is None:
        raise NotFound("No such user.")
    db.session.execute(
        delete(Block).where(Block.blocker_id == actor.id, Block.blocked_id == user_id)
    )


# --- Messages ---------------------------------------------------------------------------------


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
            raise NotFound(f"No such {kind}.")


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
        raise Conflict("Write to someone else.", code="self_message")
    recipient = _person(to_user_id)
    answering = _has_written(recipient.id, actor.id)
    if not answering:
        require(actor, "user.view", recipient)
    _refuse_blocks(actor, recipient)
    if not answering and not may_see_section(actor, recipient, Section.MESSAGES):
        raise Forbidden(
            "This user's settings do not let you message them.", code="messages_not_allowed"
        )
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
    return message


def _own_message(actor: User, message_id: int, action: str) -> Message:
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound("No such message.")
    require(actor, action, message)
    if actor.id == message.to_user_id:
        raise Forbidden("Only its sender may change a message.")
    if actor.id != message.from_user_id:
        raise NotFound("No such message.")  # admins too: messages are their two people's
    return message


def edit_message(
    actor: User, message_id: int, *, body: str, now: datetime | None = None
) -> Message:
    message = _own_message(actor, message_id, "message.edit")
    message.body = body
    message.edited_at = now or utcnow()
    db.session.flush()
    return message


def delete_message(actor: User, message_id: int) -> None:
    db.session.delete(_own_message(actor, message_id, "message.delete"))
    db.session.flush()


def own_message(actor: User, message_id: int) -> Message:
    """A message its sender is about to edit (its recipient gets 403, anybody else 404)."""
    return _own_message(actor, message_id, "message.edit")


def mark_read(
    actor: User, *, user_id: int, up_to_id: int | None = None, now: datetime | None = None
) -> int:
    """Mark the messages ``user_id`` sent me read (up to ``up_to_id``); how many changed."""
    if db.session.get(User, user_id) is None:
        raise NotFound("No such user.")
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


# --- Posts and reviews ------------------------------------------------------------------------


def _review_subject(
    program: Program, reward_id: int | None, task_id: int | None
) -> tuple[ReviewItem, int]:
    """The item reviewed: a task of the program or a reward of its shop (404 otherwise)."""
    if task_id is not None:
        task = db.session.get(Task, task_id)
        if task is None or task.deleted_at is not None or task.program_id != program.id:
            raise NotFound("No such task in this program.")
        return ReviewItem.TASK, task.id
    assert reward_id is not None  # the schema requires one of the two
    reward = db.session.get(Reward, reward_id)
    if reward is None or reward.is_deleted or reward.shop_id != program.shop_id:
        raise NotFound("No such reward in this program's shop.")
    return ReviewItem.REWARD, reward.id


def _pay_review(
    actor: User, post: Post, program: Program, membership: Membership, item: tuple[ReviewItem, int]
) -> int:
    shop = db.session.get(Shop, program.shop_id)
    assert shop is not None  # a foreign key guarantees it
    item_type, item_id = item
    already = db.session.scalar(
        select(
            exists().where(
                ReviewAward.user_id == actor.id,
                ReviewAward.item_type == item_type,
                ReviewAward.item_id == item_id,
            )
        )
    )
    points = rules.review_points(shop.review_points, post.audience, bool(already))
    if not points:
        return 0
    entry = ledger.post(
        membership_id=membership.id,
        amount=points,
        kind=EntryKind.REVIEW,
        actor_id=actor.id,
        cause_type="review",
        cause_id=post.id,
        note=f"Review of {item_type} {item_id}",
    )
    award = ReviewAward(
        user_id=actor.id,
        item_type=item_type,
        item_id=item_id,
        post_id=post.id,
        membership_id=membership.id,
        points=points,
        entry_id=entry.id,
    )
    # A parallel review of the same item that committed first wins; this transaction then
    # runs again and finds the item paid (the entry above is rolled back with it).
    with _unique_or_retry():
        db.session.add(award)
    return points


def _recipients(actor: User, user_ids: list[int]) -> list[User]:
    """The users an invited post is for: each must exist and show you their page (404), and
    none may have blocked you (403). Two queries and a privacy check, however many."""
    if not user_ids:
        return []
    found = db.session.scalars(
        select(User).where(User.id.in_(user_ids), User.deleted_at.is_(None))
    ).all()
    seen = visible_owners(actor, found, Section.PAGE)
    missing = sorted(set(user_ids) - seen)
    if missing:
        raise NotFound(f"No such user: {', '.join(map(str, missing))}.")
    blockers = db.session.scalars(
        select(Block.blocker_id).where(Block.blocker_id.in_(user_ids), Block.blocked_id == actor.id)
    ).first()
    if blockers is not None:
        raise Forbidden("A recipient does not accept anything from you.", code="blocked_by_user")
    return list(found)


def create_post(
    actor: User,
    *,
    body: str,
    audience: PostAudience = PostAudience.PUBLIC,
    program_id: int | None = None,
    recipient_ids: list[int] | None = None,
    rating: int | None = None,
    reward_id: int | None = None,
    task_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Post, int]:
    """Post; a review (``rating`` with a reward or task) may earn the shop's review points.
    Returns the post and the points it earned."""
    program: Program | None = None
    membership: Membership | None = None
    if program_id is not None:
        program = db.session.get(Program, program_id)
        if program is None:
            raise NotFound("No such program.")
        require(actor, "program.view", program)
        membership = membership_of(actor, program)
        insider = membership is not None or program_team(actor, program) is not None
        if not insider:
            raise Forbidden("Only the program's members post in it.", code="not_a_member")
    item = None
    if rating is not None:
        assert program is not None  # the schema requires a program for a review
        if membership is None:
            raise Forbidden("Only the program's members review.", code="not_a_member")
        item = _review_subject(program, reward_id, task_id)
    recipients = _recipients(actor, recipient_ids or [])
    post = Post(
        author_id=actor.id,
        audience=audience,
        program_id=program_id,
        body=body,
        rating=rating,
        reward_id=reward_id,
        task_id=task_id,
        created_at=now or utcnow(),
    )
    db.session.add(post)
    db.session.flush()
    db.session.add_all(PostRecipient(post_id=post.id, user_id=r.id) for r in recipients)
    points = 0
    if item is not None and program is not None and membership is not None:
        points = _pay_review(actor, post, program, membership, item)
    db.session.flush()
    return post, points


def _load_post(actor: User | None, post_id: int, action: str) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("No such post.")
    require(actor, action, post)
    return post


def get_post(actor: User | None, post_id: int) -> Post:
    return _load_post(actor, post_id, "post.view")


def edit_post(
    actor: User, post_id: int, changes: dict[str, Any], *, now: datetime | None = None
) -> Post:
    post = _load_post(actor, post_id, "post.edit")
    if post.author_id != actor.id:
        raise Forbidden("Only its author edits a post.")
    if "rating" in changes and post.rating is None:
        raise Conflict("Only a review has a rating.", code="not_a_review")
    for field, value in changes.items():
        setattr(post, field, value)
    post.edited_at = now or utcnow()
    db.session.flush()
    return post


def delete_post(actor: User, post_id: int, *, now: datetime | None = None) -> None:
    """Soft: the row stays (a review's award points at it), its text goes."""
    post = _load_post(actor, post_id, "post.delete")
    post.deleted_at = now or utcnow()
    post.body = ""
    db.session.flush()


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
