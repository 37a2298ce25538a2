"""Reads of posts and reviews: lists of the posts a viewer may see, and what the review form
of a reward or task needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, select

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.pagination import newest_first
from stampbook.loyalty import queries as loyalty_queries
from stampbook.loyalty.models import EarningRule, RuleKind
from stampbook.loyalty.rules import in_window
from stampbook.people.models import Post, PostRecipient, ReviewAward
from stampbook.people.policy import seen_rewards, seen_tasks, visible_posts_clause
from stampbook.people.schemas import PostOut, PostPage, PostQuery, UserRef
from stampbook.people.shared_queries import refs, subject_names
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task


def post_outs(
    viewer: User | None, posts: Sequence[Post], authors: Iterable[User] = ()
) -> list[PostOut]:
    """Posts with their authors; an invited post shows its recipients to its author only.
    The names of ``authors`` (users already loaded) are not read again."""
    names = {u.id: UserRef(id=u.id, name=u.name) for u in authors}
    names |= refs(p.author_id for p in posts if p.author_id not in names)
    own_invited = [p.id for p in posts if viewer is not None and p.author_id == viewer.id]
    recipients: dict[int, list[int]] = {}
    if own_invited:
        for post_id, user_id in db.session.execute(
            select(PostRecipient.post_id, PostRecipient.user_id)
            .where(PostRecipient.post_id.in_(own_invited))
            .order_by(PostRecipient.id)
        ):
            recipients.setdefault(post_id, []).append(user_id)
    return [
        PostOut(
            id=p.id,
            author=names[p.author_id],
            audience=p.audience,
            program_id=p.program_id,
            body=p.body,
            rating=p.rating,
            reward_id=p.reward_id,
            task_id=p.task_id,
            recipient_ids=recipients.get(p.id)
            if p.id in own_invited and p.audience == "invited"
            else None,
            created_at=p.created_at,
            edited_at=p.edited_at,
        )
        for p in posts
    ]


def list_posts(viewer: User | None, query: PostQuery, authors: Iterable[User] = ()) -> PostPage:
    """Posts the viewer may see, newest first (``authors``: as :func:`post_outs` takes them)."""
    posts = select(Post).where(visible_posts_clause(viewer))
    for column, value in (
        (Post.program_id, query.program_id),
        (Post.author_id, query.author_id),
        (Post.reward_id, query.reward_id),
        (Post.task_id, query.task_id),
    ):
        if value is not None:
            posts = posts.where(column == value)
    rows, next_cursor = newest_first(posts, Post.id, query)
    return PostPage(items=post_outs(viewer, rows, authors), next_cursor=next_cursor)


def post_subject_names(viewer: User | None, posts: Iterable[PostOut]) -> dict[tuple[str, int], str]:
    """The names of what ``posts`` are about (programs, rewards, tasks) that ``viewer`` sees."""
    posts = list(posts)
    return subject_names(
        viewer,
        program_ids=(p.program_id for p in posts),
        reward_ids=(p.reward_id for p in posts),
        task_ids=(p.task_id for p in posts),
    )


@dataclass(frozen=True)
class ReviewTarget:
    """A reward or task the viewer may review, and what reviewing it would earn."""

    kind: str  # "reward" or "task"
    item_id: int
    name: str
    review_points: int  # what a review earns (0: nothing); the most, if ``points_vary``
    paid: bool  # the shop has paid the viewer for reviewing it already
    programs: list[tuple[int, str]]  # the viewer's programs to review it through
    # The programs earn differently (one has a review rule, another pays the shop's points).
    points_vary: bool = False


def _earns(review_rule: EarningRule | None, shop_points: int, now: datetime) -> int:
    """What a review through a program earns: its rule's points (within its window), else
    the shop's."""
    if review_rule is None:
        return shop_points
    return review_rule.points if in_window(review_rule.starts_at, review_rule.ends_at, now) else 0


def review_target(
    viewer: User, *, reward_id: int | None = None, task_id: int | None = None
) -> ReviewTarget | None:
    """What the review form of a reward or task needs (None: the viewer does not see it).
    Three queries. A program with a live review rule earns by it (nothing outside its
    window), the others the shop's review points."""
    paid_for = exists().where(
        ReviewAward.user_id == viewer.id,
        ReviewAward.item_type == ("task" if task_id is not None else "reward"),
        ReviewAward.item_id == (task_id if task_id is not None else reward_id),
    )
    if task_id is not None:
        found = db.session.execute(
            select(Task.name, Shop.review_points, paid_for, Task.program_id)
            .join(Program, Program.id == Task.program_id)
            .join(Shop, Shop.id == Program.shop_id)
            .where(Task.id == task_id, seen_tasks(viewer))
        ).first()
        where: ColumnElement[bool] = Program.id == (found[3] if found else None)
        kind, item_id = "task", task_id
    elif reward_id is not None:
        found = db.session.execute(
            select(Reward.name, Shop.review_points, paid_for, Reward.shop_id)
            .join(Shop, Shop.id == Reward.shop_id)
            .where(Reward.id == reward_id, seen_rewards(viewer))
        ).first()
        where = Program.shop_id == (found[3] if found else None)
        kind, item_id = "reward", reward_id
    else:
        return None
    if found is None:
        return None
    programs = db.session.execute(
        select(Program.id, Program.name)
        .join(Membership, Membership.program_id == Program.id)
        .where(
            where,
            Membership.user_id == viewer.id,
            Membership.status == MembershipStatus.ACTIVE,
            Program.archived_at.is_(None),
        )
        .order_by(Program.name, Program.id)
    ).all()
    shop_points = int(found[1] or 0)
    review_rules = loyalty_queries.live_rules([int(i) for i, _name in programs], RuleKind.REVIEW)
    now = clock.now()
    earns = {_earns(review_rules.get(int(i)), shop_points, now) for i, _name in programs}
    return ReviewTarget(
        kind=kind,
        item_id=item_id,
        name=str(found[0]),
        review_points=max(earns, default=shop_points),
        paid=bool(found[2]),
        programs=[(int(i), str(name)) for i, name in programs],
        points_vary=len(earns) > 1,
    )
