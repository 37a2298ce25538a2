"""Buddy requests, messages and posts: who sees them and who may act on them.

* A buddy request is its two people's business: its recipient accepts or declines it, its
  sender cancels it; anybody else gets 404.
* A message is seen by its sender and its recipient; only its sender edits or deletes it (the
  recipient gets 403, anybody else 404).
* A post is seen as its audience says: ``public``, everyone who may see the program it names
  (if any); ``program``, the program's active members and its team; ``invited``, the users
  it names; ``private``, its author only. The author always sees it. Its author edits it; its
  author and the program's managers (moderation) delete it.

The SQL helpers (:func:`seen_programs`, :func:`seen_tasks`, :func:`seen_rewards`,
:func:`visible_posts_clause`) say the same for lists, across shops, in the query itself. They
are never wider than the per-object rules of ``stampbook.programs.policy``, ``tasks`` and
``rewards`` (an archived program, say, is left out of others' lists).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, rule
from stampbook.people.models import BuddyRequest, Message, Post, PostAudience, PostRecipient
from stampbook.programs.models import (
    Membership,
    MembershipRole,
    MembershipStatus,
    Program,
    ProgramPrivacy,
)
from stampbook.programs.policy import (
    SEEN_STATUSES,
    may_see_program,
    membership_of,
    program_team,
)
from stampbook.rewards.models import Reward
from stampbook.shops.models import Role, Shop
from stampbook.shops.policy import visible_shops_clause
from stampbook.tasks.models import Task, TaskPrivacy


class PeopleAction(StrEnum):
    """The actions this domain's rules decide."""

    BUDDY_REQUEST_CANCEL = "buddy_request.cancel"
    BUDDY_REQUEST_RESPOND = "buddy_request.respond"
    MESSAGE_DELETE = "message.delete"
    MESSAGE_EDIT = "message.edit"
    POST_DELETE = "post.delete"
    POST_EDIT = "post.edit"
    POST_VIEW = "post.view"


# --- SQL: what a viewer sees, across shops ----------------------------------------------------


def team_shops(actor: User) -> Select[Any]:
    """Shops in whose team the actor is (creator or a role)."""
    return select(Shop.id).where(
        or_(
            Shop.created_by == actor.id,
            Shop.id.in_(select(Role.shop_id).where(Role.user_id == actor.id)),
        )
    )


def _my_programs(
    actor: User, statuses: tuple[str, ...], roles: tuple[str, ...] = ()
) -> Select[Any]:
    query = select(Membership.program_id).where(
        Membership.user_id == actor.id, Membership.status.in_(statuses)
    )
    return query.where(Membership.role_type.in_(roles)) if roles else query


def seen_programs(actor: User | None) -> Select[Any]:
    """Ids of the live programs the actor may see."""
    query = select(Program.id).join(Shop, Shop.id == Program.shop_id)
    query = query.where(Program.archived_at.is_(None))
    if actor is not None and actor.is_admin:
        return query.where(Shop.deleted_at.is_(None))
    public = Program.privacy_mode == ProgramPrivacy.PUBLIC
    if actor is None:
        return query.where(visible_shops_clause(None), public)
    return query.where(
        visible_shops_clause(actor),
        or_(
            public,
            Program.id.in_(_my_programs(actor, SEEN_STATUSES)),
            Program.shop_id.in_(team_shops(actor)),
        ),
    )


def program_insiders(actor: User) -> Select[Any]:
    """Programs where the actor is an active member or in the team."""
    return select(Program.id).where(
        or_(
            Program.id.in_(_my_programs(actor, (MembershipStatus.ACTIVE,))),
            Program.shop_id.in_(team_shops(actor)),
        )
    )


def seen_tasks(actor: User | None) -> ColumnElement[bool]:
    """SQL for "the actor may see this task" (on ``Task``)."""
    alive = and_(Task.deleted_at.is_(None), Task.program_id.in_(seen_programs(actor)))
    if actor is not None and actor.is_admin:
        return alive
    public = Task.privacy_mode == TaskPrivacy.PUBLIC
    if actor is None:
        return and_(alive, public)
    active = (MembershipStatus.ACTIVE,)
    team_roles = (MembershipRole.MANAGER, MembershipRole.ASSISTANT, MembershipRole.STAMPER)
    return and_(
        alive,
        or_(
            public,
            and_(
                Task.privacy_mode == TaskPrivacy.MEMBERS,
                Task.program_id.in_(_my_programs(actor, active)),
            ),
            Task.program_id.in_(_my_programs(actor, active, team_roles)),
            Task.program_id.in_(select(Program.id).where(Program.shop_id.in_(team_shops(actor)))),
        ),
    )


def seen_rewards(actor: User | None) -> ColumnElement[bool]:
    """SQL for "the actor may see this reward" (on ``Reward``)."""
    shops = select(Shop.id).where(visible_shops_clause(actor))
    return and_(Reward.deleted_at.is_(None), Reward.shop_id.in_(shops))


def visible_posts_clause(actor: User | None) -> ColumnElement[bool]:
    """SQL for :func:`may_see_post` (on ``Post``)."""
    alive = Post.deleted_at.is_(None)
    if actor is not None and actor.is_admin:
        return alive
    public = and_(
        Post.audience == PostAudience.PUBLIC,
        or_(Post.program_id.is_(None), Post.program_id.in_(seen_programs(actor))),
    )
    if actor is None:
        return and_(alive, public)
    return and_(
        alive,
        or_(
            Post.author_id == actor.id,
            public,
            and_(
                Post.audience == PostAudience.PROGRAM,
                Post.program_id.in_(seen_programs(actor)),
                Post.program_id.in_(program_insiders(actor)),
            ),
            and_(
                Post.audience == PostAudience.INVITED,
                exists().where(PostRecipient.post_id == Post.id, PostRecipient.user_id == actor.id),
            ),
        ),
    )


# --- Per object -------------------------------------------------------------------------------


def may_see_post(actor: User | None, post: Post) -> bool:
    if post.deleted_at is not None:
        return False
    if actor is not None and (actor.is_admin or actor.id == post.author_id):
        return True
    program = db.session.get(Program, post.program_id) if post.program_id is not None else None
    if program is not None and not may_see_program(actor, program):
        return False
    if post.audience == PostAudience.PUBLIC:
        return True
    if actor is None:
        return False
    if post.audience == PostAudience.PROGRAM:
        assert program is not None  # a program post names its program
        return membership_of(actor, program) is not None or program_team(actor, program) is not None
    if post.audience == PostAudience.INVITED:
        return bool(
            db.session.scalar(
                select(
                    exists().where(
                        PostRecipient.post_id == post.id, PostRecipient.user_id == actor.id
                    )
                )
            )
        )
    return False


def _between(actor: User | None, sender_id: int, recipient_id: int) -> Decision:
    """The sender may; the recipient sees it but may not (403); others do not see it."""
    if actor is not None and actor.id == sender_id:
        return Decision.ALLOW
    if actor is not None and actor.id == recipient_id:
        return Decision.DENY
    return Decision.HIDDEN


@rule(PeopleAction.BUDDY_REQUEST_RESPOND)
def respond_to_request(actor: User | None, request: BuddyRequest) -> Decision:
    """Accept or decline: the recipient only (the sender sees it, but cancels instead)."""
    return _between(actor, request.to_user_id, request.from_user_id)


@rule(PeopleAction.BUDDY_REQUEST_CANCEL)
def cancel_request(actor: User | None, request: BuddyRequest) -> Decision:
    return _between(actor, request.from_user_id, request.to_user_id)


@rule(PeopleAction.MESSAGE_EDIT)
def edit_message(actor: User | None, message: Message) -> Decision:
    return _between(actor, message.from_user_id, message.to_user_id)


@rule(PeopleAction.MESSAGE_DELETE)
def delete_message(actor: User | None, message: Message) -> Decision:
    return _between(actor, message.from_user_id, message.to_user_id)


@rule(PeopleAction.POST_VIEW)
def view_post(actor: User | None, post: Post) -> Decision:
    return Decision.ALLOW if may_see_post(actor, post) else Decision.HIDDEN


@rule(PeopleAction.POST_EDIT)
def edit_post(actor: User | None, post: Post) -> Decision:
    if not may_see_post(actor, post):
        return Decision.HIDDEN
    return Decision.ALLOW if actor is not None and actor.id == post.author_id else Decision.DENY


@rule(PeopleAction.POST_DELETE)
def delete_post(actor: User | None, post: Post) -> Decision:
    """Its author, or the managers of the program it was posted in (moderation)."""
    if not may_see_post(actor, post):
        return Decision.HIDDEN
    if actor is not None and actor.id == post.author_id:
        return Decision.ALLOW
    program = db.session.get(Program, post.program_id) if post.program_id is not None else None
    team = program_team(actor, program) if program is not None else None
    return Decision.ALLOW if team is not None and team.is_manager else Decision.DENY
