"""Who may see what of a user: one function, used by every route that shows user data."""

from __future__ import annotations

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from stampbook.accounts.models import Privacy, Section, User
from stampbook.db import db
from stampbook.policy import Decision, rule
from stampbook.programs.models import Membership, MembershipStatus, Program


def share_a_shop_or_program(viewer_id: int, owner_id: int) -> bool:
    """True when both have an active membership in programs of one shop."""
    mine, theirs = aliased(Membership), aliased(Membership)
    my_program, their_program = aliased(Program), aliased(Program)
    query = select(
        exists().where(
            mine.user_id == viewer_id,
            mine.status == MembershipStatus.ACTIVE,
            my_program.id == mine.program_id,
            theirs.user_id == owner_id,
            theirs.status == MembershipStatus.ACTIVE,
            their_program.id == theirs.program_id,
            and_(my_program.shop_id == their_program.shop_id),
        )
    )
    return bool(db.session.scalar(query))


def are_friends(viewer_id: int, owner_id: int) -> bool:
    """Buddies. The buddy domain (issue 7) is not built yet, so "friends" is as "private"."""
    return viewer_id == owner_id


def may_see_section(viewer: User | None, owner: User, section: Section) -> bool:
    if viewer is not None and (viewer.id == owner.id or viewer.is_admin):
        return True
    if owner.is_deleted:
        return False
    level = owner.privacy(section)
    if level is Privacy.PUBLIC:
        return True
    if viewer is None or level is Privacy.PRIVATE:
        return False
    if level is Privacy.FRIENDS:
        return are_friends(viewer.id, owner.id)
    return share_a_shop_or_program(viewer.id, owner.id) or are_friends(viewer.id, owner.id)


@rule("user.view")
def view_user(actor: User | None, user: User) -> Decision:
    return Decision.ALLOW if may_see_section(actor, user, Section.PAGE) else Decision.HIDDEN
