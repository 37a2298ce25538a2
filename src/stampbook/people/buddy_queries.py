"""Reads of buddies, buddy requests and blocks.

Every list costs a fixed number of queries whatever its length: users are loaded in one
batch per page, privacy is decided for a page at once (``visible_owners``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import visible_owners
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import PageQuery, newest_first
from stampbook.people import rules
from stampbook.people.models import Block, Buddy, BuddyRequest, RequestStatus
from stampbook.people.schemas import (
    BlockOut,
    BlockPage,
    BuddyOut,
    BuddyPage,
    BuddyRequestOut,
    BuddyRequestPage,
    BuddyRequestQuery,
    UserRef,
)
from stampbook.people.shared_queries import refs, visible_owner


def _users(user_ids: Collection[int]) -> list[User]:
    if not user_ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(list(user_ids)))))


def _buddy_of(me: int) -> Any:
    return case((Buddy.user1_id == me, Buddy.user2_id), else_=Buddy.user1_id)


def _mine(me: int) -> ColumnElement[bool]:
    return or_(Buddy.user1_id == me, Buddy.user2_id == me)


def my_buddies(actor: User, page: PageQuery) -> BuddyPage:
    rows, next_cursor = newest_first(select(Buddy).where(_mine(actor.id)), Buddy.id, page)
    names = refs(rules.other_of((b.user1_id, b.user2_id), actor.id) for b in rows)
    return BuddyPage(
        items=[
            BuddyOut(
                user=names[rules.other_of((b.user1_id, b.user2_id), actor.id)], since=b.created_at
            )
            for b in rows
        ],
        next_cursor=next_cursor,
    )


def _shown_buddies(viewer: User | None, owner: User, buddies: Sequence[Buddy]) -> list[BuddyOut]:
    """An owner's buddies, each shown only if their own buddies section is visible too: being
    someone's buddy is part of both people's lists."""
    ids = [rules.other_of((b.user1_id, b.user2_id), owner.id) for b in buddies]
    people = {u.id: u for u in _users(ids)}
    return _buddy_outs(
        viewer, [(b, people[uid]) for uid, b in zip(ids, buddies, strict=True) if uid in people]
    )


def _buddy_outs(viewer: User | None, pairs: Sequence[tuple[Buddy, User]]) -> list[BuddyOut]:
    """``(buddy row, the other person)`` pairs, as :func:`_shown_buddies` shows them (one
    privacy decision for all)."""
    shown = visible_owners(viewer, [u for _b, u in pairs if not u.is_deleted], Section.BUDDIES)
    return [
        BuddyOut(user=UserRef(id=u.id, name=u.name), since=b.created_at)
        for b, u in pairs
        if u.id in shown
    ]


def user_buddies(viewer: User | None, user_id: int, page: PageQuery) -> BuddyPage:
    """Another user's buddies, as their privacy allows (404 when hidden). A page may hold
    fewer than ``limit`` items: buddies who hide their own list are left out of it."""
    owner = visible_owner(viewer, user_id)
    if owner.id not in visible_owners(viewer, [owner], Section.BUDDIES):
        raise NotFound(thing="buddies")
    rows, next_cursor = newest_first(select(Buddy).where(_mine(owner.id)), Buddy.id, page)
    return BuddyPage(items=_shown_buddies(viewer, owner, rows), next_cursor=next_cursor)


def page_buddies(viewer: User | None, owner: User, limit: int) -> list[UserRef]:
    """The newest ``limit`` of ``owner``'s buddies, for their page: those :func:`user_buddies`
    shows, in one query and one privacy decision."""
    rows = db.session.execute(
        select(Buddy, User)
        .join(User, User.id == _buddy_of(owner.id))
        .where(_mine(owner.id))
        .order_by(Buddy.id.desc())
        .limit(limit)
    ).all()
    return [b.user for b in _buddy_outs(viewer, [(b, u) for b, u in rows])]


def request_outs(requests: Sequence[BuddyRequest]) -> list[BuddyRequestOut]:
    names = refs([r.from_user_id for r in requests] + [r.to_user_id for r in requests])
    return [
        BuddyRequestOut(
            id=r.id,
            from_user=names[r.from_user_id],
            to_user=names[r.to_user_id],
            status=RequestStatus(r.status),
            created_at=r.created_at,
            responded_at=r.responded_at,
        )
        for r in requests
    ]


def buddy_requests(actor: User, query: BuddyRequestQuery) -> BuddyRequestPage:
    side = BuddyRequest.to_user_id if query.direction == "incoming" else BuddyRequest.from_user_id
    rows, next_cursor = newest_first(
        select(BuddyRequest).where(side == actor.id, BuddyRequest.status == RequestStatus.PENDING),
        BuddyRequest.id,
        query,
    )
    return BuddyRequestPage(items=request_outs(rows), next_cursor=next_cursor)


def buddy_out(actor: User, buddy: Buddy) -> BuddyOut:
    other = rules.other_of((buddy.user1_id, buddy.user2_id), actor.id)
    return BuddyOut(user=refs([other])[other], since=buddy.created_at)


def block_out(block: Block) -> BlockOut:
    return BlockOut(user=refs([block.blocked_id])[block.blocked_id], created_at=block.created_at)


def my_blocks(actor: User, page: PageQuery) -> BlockPage:
    rows, next_cursor = newest_first(
        select(Block).where(Block.blocker_id == actor.id), Block.id, page
    )
    names = refs(b.blocked_id for b in rows)
    return BlockPage(
        items=[BlockOut(user=names[b.blocked_id], created_at=b.created_at) for b in rows],
        next_cursor=next_cursor,
    )


def pending_request_between(viewer_id: int, owner_id: int) -> BuddyRequest | None:
    """The pending buddy request between two people, whichever way it goes."""
    if viewer_id == owner_id:
        return None
    low, high = rules.ordered_pair(viewer_id, owner_id)
    return db.session.scalars(
        select(BuddyRequest).where(
            BuddyRequest.user_low_id == low,
            BuddyRequest.user_high_id == high,
            BuddyRequest.status == RequestStatus.PENDING,
        )
    ).first()
