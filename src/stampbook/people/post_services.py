"""Posts and reviews use cases. Services never commit.

A review (a rating of a task of the program, or of a reward of its shop) may earn points
once per user and item: a ``ReviewAward`` is unique per user and item, and a parallel review
that loses the race runs again and finds the item paid
(:func:`stampbook.people.services.unique_or_retry`). What it earns: the program's live
``review`` earning rule when it has one (its points, window and limit per member per period,
credited by loyalty: ``flows.reviews``, handed in by ``init_app``), else the shop's
``review_points`` through the ledger's book, as before rules existed. Deleting the review
takes back what it earned, as far as the member's balance still holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import exists, select

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import visible_owners
from stampbook.core import outbox
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, Forbidden, InsufficientPoints, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.policy import require
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.loyalty import queries as loyalty_queries
from stampbook.loyalty.models import EarningRule, RuleKind
from stampbook.people import rules
from stampbook.people.models import (
    Block,
    Post,
    PostAudience,
    PostRecipient,
    ReviewAward,
    ReviewItem,
)
from stampbook.people.policy import PeopleAction
from stampbook.people.services import unique_or_retry
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import ProgramAction, membership_of, program_team
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task


def _review_subject(
    program: Program, reward_id: int | None, task_id: int | None
) -> tuple[ReviewItem, int]:
    """The item reviewed: a task of the program or a reward of its shop (404 otherwise)."""
    if task_id is not None:
        task = db.session.get(Task, task_id)
        if task is None or task.deleted_at is not None or task.program_id != program.id:
            raise NotFound(thing="program_task")
        return ReviewItem.TASK, task.id
    assert reward_id is not None  # the schema requires one of the two
    reward = db.session.get(Reward, reward_id)
    if reward is None or reward.is_deleted or reward.shop_id != program.shop_id:
        raise NotFound(thing="program_reward")
    return ReviewItem.REWARD, reward.id


@dataclass(frozen=True)
class Review:
    """A review that may earn its author points: through which membership, of what."""

    actor: User
    post: Post
    program: Program
    membership: Membership
    item_type: ReviewItem
    item_id: int


@dataclass(frozen=True)
class Paid:
    """What a review earned: its points (campaigns' included) and the entry that paid them
    (the first, when a rule's campaigns added entries of their own)."""

    points: int
    entry_id: int


# How a program's review rule pays a review: the points and their entry, or None when the
# rule pays nothing now (outside its window, over its limit). Crediting a rule is loyalty's
# use case, which this domain does not call: ``flows.reviews`` hands it in (``init_app``).
RulePayer = Callable[[Review, EarningRule], Paid | None]
RULE_PAYER = "stampbook.people.review_rule_payer"


def init_app(app: Flask, rule_payer: RulePayer) -> None:
    app.extensions[RULE_PAYER] = rule_payer


def _pay_review(
    actor: User, post: Post, program: Program, membership: Membership, item: tuple[ReviewItem, int]
) -> int:
    if post.audience not in rules.PAYING_AUDIENCES:
        return 0  # the shop pays for reviews others can read
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
    if already:
        return 0
    review = Review(actor, post, program, membership, item_type, item_id)
    earning_rule = loyalty_queries.live_rule(program.id, RuleKind.REVIEW)
    if earning_rule is not None:
        pay_by_rule: RulePayer = current_app.extensions[RULE_PAYER]
        paid = pay_by_rule(review, earning_rule)
    else:
        paid = _pay_shop_points(review)
    if paid is None:
        return 0
    award = ReviewAward(
        user_id=actor.id,
        item_type=item_type,
        item_id=item_id,
        post_id=post.id,
        membership_id=membership.id,
        points=paid.points,
        entry_id=paid.entry_id,
    )
    # A parallel review of the same item that committed first wins; this transaction then
    # runs again and finds the item paid (the entry above is rolled back with it).
    with unique_or_retry():
        db.session.add(award)
    return paid.points


def _pay_shop_points(review: Review) -> Paid | None:
    """The shop's ``review_points``, for a program without a review rule."""
    shop = db.session.get(Shop, review.program.shop_id)
    assert shop is not None  # a foreign key guarantees it
    points = rules.review_points(shop.review_points, review.post.audience, False)
    if not points:
        return None
    entry = ledger.post(
        membership_id=review.membership.id,
        amount=points,
        kind=EntryKind.REVIEW,
        actor_id=review.actor.id,
        cause_type="review",
        cause_id=review.post.id,
        note=f"Review of {review.item_type} {review.item_id}",
    )
    return Paid(points, entry.id)


def _take_back(actor: User, award: ReviewAward) -> int:
    """Reverse what a deleted review earned (its rule's or the shop's entry and any campaign
    entries with it), each entry once, as far as the member's balance holds it: points spent
    since are not owed (a review is deleted whatever its author did with its points).
    Returns the points taken back."""
    entries = loyalty_queries.credited_entries(award.entry_id, award.points)
    if not entries:
        return 0
    reversed_ids = set(
        db.session.scalars(
            select(LedgerEntry.reverses_id).where(
                LedgerEntry.reverses_id.in_([e.id for e in entries])
            )
        )
    )
    taken = 0
    for entry in entries:
        if entry.id in reversed_ids:
            continue
        taken += _take_back_entry(actor, entry)
    return taken


def _take_back_entry(actor: User, entry: LedgerEntry) -> int:
    balance = db.session.scalar(
        select(Membership.balance)
        .where(Membership.id == entry.membership_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    want = min(entry.amount, balance or 0)
    for _attempt in (1, 2):
        if want <= 0:
            return 0
        try:
            with db.session.begin_nested():
                ledger.post(
                    membership_id=entry.membership_id,
                    amount=-want,
                    kind=EntryKind.REVERSAL,
                    actor_id=actor.id,
                    cause_type=entry.cause_type,
                    cause_id=entry.cause_id,
                    reverses_id=entry.id,
                )
            return want
        except InsufficientPoints as short:
            # The balance moved while it was read (points expired on the way): take what
            # it holds now.
            want = min(want, int(short.params.get("balance", 0)))
    return 0


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
        raise NotFound(thing="users", ids=", ".join(map(str, missing)), count=len(missing))
    blockers = db.session.scalars(
        select(Block.blocker_id).where(Block.blocker_id.in_(user_ids), Block.blocked_id == actor.id)
    ).first()
    if blockers is not None:
        raise Forbidden(code="blocked_by_user")
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
            raise NotFound(thing="program")
        require(actor, ProgramAction.PROGRAM_VIEW, program)
        membership = membership_of(actor, program)
        insider = membership is not None or program_team(actor, program) is not None
        if not insider:
            raise Forbidden(code="not_a_member")
    item = None
    if rating is not None:
        assert program is not None  # the schema requires a program for a review
        if membership is None:
            raise Forbidden(code="not_a_member")
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
    if program is not None and _is_shop_news(actor, post, program):
        outbox.record(
            OccurrenceType.POST_PUBLISHED,
            shop_id=program.shop_id,
            post_id=post.id,
            program_id=program.id,
            author_id=actor.id,
            excerpt=body[:NEWS_EXCERPT],
        )
    return post, points


# A team's post quoted this far in what announces it (the notification shortens it again).
NEWS_EXCERPT = 500


def _is_shop_news(actor: User, post: Post, program: Program) -> bool:
    """A public post (not a review) by the program's team: the shop's news to its members."""
    return (
        post.audience == PostAudience.PUBLIC
        and post.rating is None
        and program_team(actor, program) is not None
    )


def _load_post(actor: User | None, post_id: int, action: str) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(thing="post")
    require(actor, action, post)
    return post


def get_post(actor: User | None, post_id: int) -> Post:
    return _load_post(actor, post_id, PeopleAction.POST_VIEW)


def edit_post(
    actor: User, post_id: int, changes: dict[str, Any], *, now: datetime | None = None
) -> Post:
    post = _load_post(actor, post_id, PeopleAction.POST_EDIT)
    if post.author_id != actor.id:
        raise Forbidden(action=PeopleAction.POST_EDIT)
    if "rating" in changes and post.rating is None:
        raise Conflict(code="not_a_review")
    for field, value in changes.items():
        setattr(post, field, value)
    post.edited_at = now or utcnow()
    db.session.flush()
    return post


def delete_post(actor: User, post_id: int, *, now: datetime | None = None) -> None:
    """Soft: the row stays (a review's award points at it), its text goes. A review takes
    back what it earned; its award stays, so the item is not paid for again."""
    post = _load_post(actor, post_id, PeopleAction.POST_DELETE)
    if post.deleted_at is None and post.rating is not None:
        award = db.session.scalars(
            select(ReviewAward).where(ReviewAward.post_id == post.id)
        ).first()
        if award is not None:
            _take_back(actor, award)
    post.deleted_at = now or utcnow()
    post.body = ""
    db.session.flush()
