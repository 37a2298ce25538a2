"""Who may see what of a user: one decision, used by every route that shows user data.

Each section of a user (``stampbook.accounts.models.Section``) has a privacy level:

* ``public``: everyone, signed in or not;
* ``members``: the user's buddies and the people who share a shop with them (an active
  membership in one of its programs, a role in its team, or having created it);
* ``friends``: the user's buddies;
* ``private``: nobody.

The user always sees their own sections, platform admins see everyone's, and nobody sees a
deleted account's. :func:`visible_owners` decides for a whole list of users in at most one
query (buddies and co-members are asked together); :func:`may_see_section` is the same
decision for one user.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, literal, select, union, union_all

from stampbook.accounts.models import Privacy, Section, User, privacy_level
from stampbook.core.db import db
from stampbook.core.policy import Decision, rule
from stampbook.people.models import Buddy
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops.models import Role, Shop


class AccountAction(StrEnum):
    """The actions this domain's rules decide."""

    # Decided by the route itself: a user edits only their own account.
    USER_EDIT = "user.edit"
    USER_VIEW = "user.view"


def are_friends(viewer_id: int, owner_id: int) -> bool:
    return viewer_id == owner_id or owner_id in friends_among(viewer_id, [owner_id])


def friends_among(viewer_id: int, user_ids: Collection[int]) -> set[int]:
    """Those of ``user_ids`` who are the viewer's buddies, in one query."""
    if not user_ids:
        return set()
    return set(db.session.scalars(_friends_query(viewer_id, user_ids)))


def _friends_query(viewer_id: int, user_ids: Collection[int]) -> Select[tuple[int]]:
    ids = list(user_ids)
    return union_all(
        select(Buddy.user2_id).where(Buddy.user1_id == viewer_id, Buddy.user2_id.in_(ids)),
        select(Buddy.user1_id).where(Buddy.user2_id == viewer_id, Buddy.user1_id.in_(ids)),
    )  # type: ignore[return-value]


def shops_of(user_id: int) -> Select[tuple[int]]:
    """The ids of the live shops a user is in: member, team role or creator."""
    live = select(Shop.id).where(Shop.deleted_at.is_(None))
    return union(
        select(Program.shop_id)
        .join(Membership, Membership.program_id == Program.id)
        .where(
            Membership.user_id == user_id,
            Membership.status == MembershipStatus.ACTIVE,
            Program.shop_id.in_(live),
        ),
        select(Role.shop_id).where(Role.user_id == user_id, Role.shop_id.in_(live)),
        select(Shop.id).where(Shop.created_by == user_id, Shop.deleted_at.is_(None)),
    )  # type: ignore[return-value]


def _co_members_query(viewer_id: int, user_ids: Collection[int]) -> Select[tuple[int]]:
    ids = list(user_ids)
    mine = shops_of(viewer_id).subquery()
    return union_all(
        select(Membership.user_id)
        .join(Program, Program.id == Membership.program_id)
        .where(
            Membership.user_id.in_(ids),
            Membership.status == MembershipStatus.ACTIVE,
            Program.shop_id.in_(select(mine)),
        ),
        select(Role.user_id).where(Role.user_id.in_(ids), Role.shop_id.in_(select(mine))),
        select(Shop.created_by).where(Shop.created_by.in_(ids), Shop.id.in_(select(mine))),
    )  # type: ignore[return-value]


def _relations(
    viewer_id: int, friends_asked: set[int], members_asked: set[int]
) -> tuple[set[int], set[int]]:
    """(buddies, co-members) among the users asked, in one query."""
    parts = []
    if friends_asked:
        friends = _friends_query(viewer_id, friends_asked).subquery()
        parts.append(select(friends.c[0], literal(True)))
    if members_asked:
        members = _co_members_query(viewer_id, members_asked).subquery()
        parts.append(select(members.c[0], literal(False)))
    rows = db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]).all()
    buddies = {uid for uid, is_buddy in rows if is_buddy}
    return buddies, {uid for uid, is_buddy in rows if not is_buddy}


def allows(level: Privacy, *, buddy: bool, co_member: bool) -> bool:
    """The rule itself, for someone other than the owner (the owner sees everything)."""
    if level is Privacy.PUBLIC:
        return True
    if level is Privacy.MEMBERS:
        return buddy or co_member
    return level is Privacy.FRIENDS and buddy


@dataclass(frozen=True)
class Owner:
    """What the privacy decision reads of a user, for lists that load these columns rather
    than whole users (a leaderboard of a hundred)."""

    id: int
    privacy_settings: dict[str, str]
    is_deleted: bool

    def privacy(self, section: Section) -> Privacy:
        return privacy_level(self.privacy_settings, section)


def visible_owners(
    viewer: User | None,
    owners: Sequence[User | Owner],
    section: Section,
    *,
    co_members: bool = False,
) -> set[int]:
    """The ids of ``owners`` whose ``section`` ``viewer`` may see: the one decision, in at most
    one query however many owners a list shows.

    ``co_members`` says the caller already knows that the viewer shares a shop with every
    owner (say, all are active members of a program the viewer is in): then only buddies are
    asked, and only of the owners who show the section to friends alone."""
    if viewer is not None and viewer.is_admin:
        return {owner.id for owner in owners}
    visible: set[int] = set()
    levels: dict[int, Privacy] = {}
    for owner in owners:
        level = owner.privacy(section)
        if viewer is not None and viewer.id == owner.id:
            visible.add(owner.id)
        elif owner.is_deleted or level is Privacy.PRIVATE:
            continue
        elif level is Privacy.PUBLIC:
            visible.add(owner.id)
        elif viewer is not None:
            levels[owner.id] = level
    if not levels or viewer is None:
        return visible
    if co_members:
        visible.update(uid for uid, level in levels.items() if level is Privacy.MEMBERS)
        friends_only = {uid for uid, level in levels.items() if level is Privacy.FRIENDS}
        return visible | friends_among(viewer.id, friends_only)
    members_asked = {uid for uid, level in levels.items() if level is Privacy.MEMBERS}
    buddies, sharing = _relations(viewer.id, set(levels), members_asked)
    for uid, level in levels.items():
        if allows(level, buddy=uid in buddies, co_member=uid in sharing):
            visible.add(uid)
    return visible


def visible_user_ids(
    viewer: User | None, user_ids: Collection[int], section: Section, *, co_members: bool = False
) -> set[int]:
    """:func:`visible_owners` for users known by id: at most two queries (the users, then
    their relations to the viewer) however many ids."""
    ids = set(user_ids)
    if not ids:
        return set()
    owners = db.session.scalars(select(User).where(User.id.in_(ids))).all()
    return visible_owners(viewer, owners, section, co_members=co_members)


def visible_sections(viewer: User | None, owner: User) -> set[Section]:
    """Every section of ``owner`` that ``viewer`` may see, in at most one query."""
    if viewer is not None and (viewer.is_admin or viewer.id == owner.id):
        return set(Section)
    if owner.is_deleted:
        return set()
    levels = {section: owner.privacy(section) for section in Section}
    buddy = co_member = False
    if viewer is not None:
        asked = set(levels.values())
        if asked & {Privacy.MEMBERS, Privacy.FRIENDS}:
            members_asked = {owner.id} if Privacy.MEMBERS in asked else set()
            buddies, co_members = _relations(viewer.id, {owner.id}, members_asked)
            buddy, co_member = owner.id in buddies, owner.id in co_members
    return {
        section
        for section, level in levels.items()
        if allows(level, buddy=buddy, co_member=co_member)
    }


def may_see_section(viewer: User | None, owner: User, section: Section) -> bool:
    return owner.id in visible_owners(viewer, [owner], section)


@rule(AccountAction.USER_VIEW)
def view_user(actor: User | None, user: User) -> Decision:
    return Decision.ALLOW if may_see_section(actor, user, Section.PAGE) else Decision.HIDDEN
