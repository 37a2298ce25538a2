"""Programs, memberships and invitations: who sees them and who may act on them.

A program's **team** is everyone with a part in running it: the shop's team (creator,
managers, assistants, viewers; each with what their shop permissions grant in programs),
the program's creator while they are still in the shop's team, and members whose program
role is manager, assistant or stamper. Managers may do all but delete the program (shop
creator and shop managers only). Plain members see the program, stamp themselves as its
``stamp_system_type`` allows (the tasks domain decides) and spend points in the shop.

Who sees a program: its team; otherwise it must be alive in a visible shop and be
``public``, or the user must be an active or invited member (``members`` and ``private``
programs). An archived program is seen by its team and by anyone who was ever a member
(on the pages, and in the API's list with ``archived=true``: at its own API path it is gone).
Member lists: the team sees every membership with its balance; others see active members
whose own privacy lets them see their memberships (``Section.MEMBERSHIPS``), and in a
``private`` program only themselves.

Helpers for other domains: :func:`membership_of`, :func:`program_team`, :func:`shop_of`,
:func:`may_see_program`, :func:`may_see_membership`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select, true
from sqlalchemy.orm import aliased

from stampbook.accounts.models import Section, User
from stampbook.accounts.policy import may_see_section
from stampbook.core.db import AnySelect, IdType, cached_read, db
from stampbook.core.policy import Decision, decide, gone_when, in_shop, rule
from stampbook.core.zones import zone
from stampbook.programs.models import (
    Membership,
    MembershipMode,
    MembershipRole,
    MembershipStatus,
    Program,
    ProgramPrivacy,
)
from stampbook.programs.rules import (
    ALL_PROGRAM_PERMISSIONS,
    ProgramPermission,
    from_shop_permissions,
    membership_permissions,
)
from stampbook.shops.models import Role, Shop, ShopInvitation, ShopRoleType
from stampbook.shops.policy import (
    CREATOR,
    ShopAction,
    ShopPermission,
    TeamMember,
    may_see_shop,
    remember_role,
    team_member,
)


class ProgramAction(StrEnum):
    """The actions this domain's rules decide."""

    INVITATION_RESPOND = "invitation.respond"
    INVITATION_REVOKE = "invitation.revoke"
    MEMBERSHIP_JOIN = "membership.join"
    MEMBERSHIP_LEAVE = "membership.leave"
    MEMBERSHIP_MANAGE = "membership.manage"
    MEMBERSHIP_VIEW = "membership.view"
    PROGRAM_CREATE = "program.create"
    PROGRAM_DELETE = "program.delete"
    PROGRAM_EDIT = "program.edit"
    PROGRAM_MERGE = "program.merge"
    PROGRAM_VIEW = "program.view"


# Strongest first; the label of a team member is the strongest part they hold.
TEAM_RANK = {
    CREATOR: 5,
    ShopRoleType.MANAGER: 4,
    MembershipRole.ASSISTANT: 3,
    MembershipRole.STAMPER: 2,
    ShopRoleType.VIEWER: 1,
    MembershipRole.MEMBER: 0,
}
SEEN_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.INVITED)


@dataclass(frozen=True)
class ProgramTeamMember:
    """The actor's part in running one program."""

    role_type: str  # creator | manager | assistant | stamper | viewer | member
    permissions: frozenset[ProgramPermission]
    shop_member: TeamMember | None  # their place in the shop's team, if any
    membership: Membership | None  # their active membership in the program, if any

    @property
    def is_manager(self) -> bool:
        return self.role_type in {CREATOR, ShopRoleType.MANAGER}

    def may(self, permission: ProgramPermission) -> bool:
        return permission in self.permissions


def shop_of(program: Program) -> Shop:
    shop = db.session.get(Shop, program.shop_id)
    assert shop is not None  # a foreign key guarantees it
    return shop


def shop_zone(program: Program) -> ZoneInfo:
    """The time zone of the program's shop: its days, periods and windows are the shop's."""
    return zone(shop_of(program).time_zone)


def program_shop_id(program_id: int) -> int:
    """The shop of a program (read from the identity map when the program is loaded)."""
    program = db.session.get(Program, program_id)
    assert program is not None  # a foreign key guarantees it
    return program.shop_id


# Built once: asked by nearly every request (see ``stampbook.core.db.with_parents``).
_MEMBERSHIP_ROW = select(Membership).where(
    Membership.program_id == bindparam("program_id"), Membership.user_id == bindparam("user_id")
)


def membership_row(user_id: int, program_id: int) -> Membership | None:
    """The user's membership in the program, whatever its status (one row per user)."""
    return cached_read(
        ("membership", user_id, program_id),
        lambda: db.session.scalars(
            _MEMBERSHIP_ROW, {"program_id": program_id, "user_id": user_id}
        ).first(),
    )


def remember_membership(membership: Membership) -> None:
    """A membership just loaded answers "is its user in its program?" for this request."""
    if membership.user_id is not None:
        key = ("membership", membership.user_id, membership.program_id)
        cached_read(key, lambda: membership)


_ActorRole = aliased(Role, name="actor_role")
_ActorMembership = aliased(Membership, name="actor_membership")


def with_actor_parts(query: AnySelect) -> AnySelect:
    """``query``, which joins a program and its shop, with two more columns: the actor's
    (the bind parameter ``actor_id``) role in the shop and membership in the program, None
    when they have none. The permission checks that follow ask for both; reading them with
    the object saves their round trips. Pass what it read to :func:`remember_actor_parts`."""
    actor_id = bindparam("actor_id", type_=IdType)
    return (
        query.add_columns(_ActorRole, _ActorMembership)
        .outerjoin(_ActorRole, and_(_ActorRole.shop_id == Shop.id, _ActorRole.user_id == actor_id))
        .outerjoin(
            _ActorMembership,
            and_(_ActorMembership.program_id == Program.id, _ActorMembership.user_id == actor_id),
        )
    )


def remember_actor_parts(
    actor: User | None,
    program: Program,
    shop: Shop,
    role: Role | None,
    membership: Membership | None,
) -> None:
    """What a :func:`with_actor_parts` query read answers :func:`role_of` and
    :func:`membership_row` for this request."""
    if actor is None:
        return
    remember_role(actor.id, shop.id, role)
    cached_read(("membership", actor.id, program.id), lambda: membership)


def membership_of(user: User | None, program: Program) -> Membership | None:
    """The user's active membership in the program, or None."""
    if user is None:
        return None
    row = membership_row(user.id, program.id)
    return row if row is not None and row.status == MembershipStatus.ACTIVE else None


def program_team(
    actor: User | None, program: Program, shop: Shop | None = None
) -> ProgramTeamMember | None:
    """The actor's part in running ``program``, or None for plain members and outsiders."""
    if actor is None:
        return None
    shop = shop or shop_of(program)
    shop_member = team_member(actor, shop)
    membership = membership_of(actor, program)
    parts: list[str] = []
    permissions: set[ProgramPermission] = set()
    if shop_member is not None:
        parts.append(shop_member.role_type)
        permissions |= from_shop_permissions(frozenset(shop_member.permissions))
        if program.created_by == actor.id:
            # The seed's "simple" mode: assistants control the programs they created.
            parts.append(ShopRoleType.MANAGER)
            permissions |= ALL_PROGRAM_PERMISSIONS
    if membership is not None:
        granted = membership_permissions(membership.role_type, membership.permission_settings)
        if membership.role_type != MembershipRole.MEMBER or granted:
            parts.append(membership.role_type)
            permissions |= granted
    if not parts:
        return None
    strongest = max(parts, key=lambda part: TEAM_RANK.get(part, 0))
    return ProgramTeamMember(strongest, frozenset(permissions), shop_member, membership)


def may_see_program(actor: User | None, program: Program, shop: Shop | None = None) -> bool:
    shop = shop or shop_of(program)
    if actor is not None and actor.is_admin:
        return True
    if shop.is_deleted:
        return False
    if program_team(actor, program, shop) is not None:
        return True
    row = membership_row(actor.id, program.id) if actor is not None else None
    if program.is_archived:
        return row is not None or _sees_merge_target(actor, program)
    if not may_see_shop(actor, shop):
        return False
    if program.privacy_mode == ProgramPrivacy.PUBLIC:
        return True
    return row is not None and row.status in SEEN_STATUSES


def _sees_merge_target(actor: User | None, program: Program) -> bool:
    """Whoever sees the live program a program was merged into sees where it went."""
    if program.merged_into_id is None:
        return False
    target = db.session.get(Program, program.merged_into_id)
    return target is not None and not target.is_archived and may_see_program(actor, target)


def _live_and_seen(program: type[Program], actor: User | None) -> ColumnElement[bool]:
    public = and_(program.archived_at.is_(None), program.privacy_mode == ProgramPrivacy.PUBLIC)
    if actor is None:
        return public
    mine = exists().where(
        Membership.program_id == program.id,
        Membership.user_id == actor.id,
        Membership.status.in_(SEEN_STATUSES),
    )
    return or_(public, and_(program.archived_at.is_(None), mine))


def visible_programs_clause(actor: User | None, shop: Shop) -> ColumnElement[bool]:
    """SQL for :func:`may_see_program` over the programs of one shop the actor sees."""
    if (actor is not None and actor.is_admin) or team_member(actor, shop) is not None:
        return true()
    target = aliased(Program)
    merged_into_seen = and_(
        Program.archived_at.is_not(None),
        Program.merged_into_id.in_(select(target.id).where(_live_and_seen(target, actor))),
    )
    if actor is None:
        return or_(_live_and_seen(Program, actor), merged_into_seen)
    ever_mine = exists().where(Membership.program_id == Program.id, Membership.user_id == actor.id)
    return or_(
        _live_and_seen(Program, actor),
        and_(Program.archived_at.is_not(None), ever_mine),
        merged_into_seen,
    )


def may_see_membership(actor: User | None, membership: Membership) -> bool:
    if actor is not None and (actor.is_admin or membership.user_id == actor.id):
        return True
    program = db.session.get(Program, membership.program_id)
    assert program is not None
    shop = shop_of(program)
    if shop.is_deleted:
        return False
    if program_team(actor, program, shop) is not None:
        return True
    if membership.user_id is None or membership.status != MembershipStatus.ACTIVE:
        return False
    if program.privacy_mode == ProgramPrivacy.PRIVATE or not may_see_program(actor, program, shop):
        return False
    owner = db.session.get(User, membership.user_id)
    return owner is not None and may_see_section(actor, owner, Section.MEMBERSHIPS)


def is_invitee(actor: User | None, invitation: ShopInvitation) -> bool:
    if actor is None:
        return False
    if invitation.user_id is not None:
        return invitation.user_id == actor.id
    # By email: only for the account that confirmed it owns the address.
    return actor.email_verified and invitation.email == actor.email


# --- Rules ----------------------------------------------------------------------------------


def _team_may(actor: User | None, program: Program, permission: ProgramPermission) -> Decision:
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    team = program_team(actor, program)
    return Decision.ALLOW if team is not None and team.may(permission) else Decision.DENY


def _shop_manager_may(actor: User | None, program: Program) -> Decision:
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    member = team_member(actor, shop_of(program))
    allowed = member is not None and member.is_manager and member.may(ShopPermission.EDIT_PROGRAMS)
    return Decision.ALLOW if allowed else Decision.DENY


# A deleted or merged-away program is kept (archived, balances readable through the
# memberships) but gone for the API.
gone_when(Program, lambda program: program.is_archived)
# What a shop's API key may be decided on (core.policy).
in_shop(Program, lambda program: program.shop_id)
in_shop(Membership, lambda membership: program_shop_id(membership.program_id))


@rule(ProgramAction.PROGRAM_VIEW)
def view_program(actor: User | None, program: Program) -> Decision:
    return Decision.ALLOW if may_see_program(actor, program) else Decision.HIDDEN


@rule(ProgramAction.PROGRAM_CREATE)
def create_program(actor: User | None, shop: Shop) -> Decision:
    """Checked on the shop: the creator, managers and assistants (``create_programs``)."""
    if not may_see_shop(actor, shop):
        return Decision.HIDDEN
    member = team_member(actor, shop)
    allowed = member is not None and member.may(ShopPermission.CREATE_PROGRAMS)
    return Decision.ALLOW if allowed else Decision.DENY


@rule(ProgramAction.PROGRAM_EDIT)
def edit_program(actor: User | None, program: Program) -> Decision:
    return _team_may(actor, program, ProgramPermission.EDIT_PROGRAM)


@rule(ProgramAction.PROGRAM_DELETE)
def delete_program(actor: User | None, program: Program) -> Decision:
    """The shop's creator and managers only, not program managers."""
    return _shop_manager_may(actor, program)


@rule(ProgramAction.PROGRAM_MERGE)
def merge_program(actor: User | None, program: Program) -> Decision:
    """Checked on both programs, like ``program.delete`` (the source is archived)."""
    return _shop_manager_may(actor, program)


@rule(ProgramAction.MEMBERSHIP_VIEW)
def view_membership(actor: User | None, membership: Membership) -> Decision:
    return Decision.ALLOW if may_see_membership(actor, membership) else Decision.HIDDEN


@rule(ProgramAction.MEMBERSHIP_JOIN)
def join_program(actor: User | None, program: Program) -> Decision:
    """Checked on the program: joining by oneself is for ``public`` membership mode (and,
    in a personal program, for its creator coming back)."""
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    if program.membership_mode == MembershipMode.PUBLIC:
        return Decision.ALLOW
    own_tracker = program.membership_mode == MembershipMode.PERSONAL and (
        actor is not None and program.created_by == actor.id
    )
    return Decision.ALLOW if own_tracker else Decision.DENY


@rule(ProgramAction.MEMBERSHIP_MANAGE)
def manage_members(actor: User | None, program: Program) -> Decision:
    """Checked on the program: invite, add, change and remove its members."""
    return _team_may(actor, program, ProgramPermission.MANAGE_MEMBERS)


@rule(ProgramAction.MEMBERSHIP_LEAVE)
def leave_program(actor: User | None, membership: Membership) -> Decision:
    if actor is not None and membership.user_id == actor.id:
        return Decision.ALLOW if membership.status in SEEN_STATUSES else Decision.DENY
    return Decision.DENY if may_see_membership(actor, membership) else Decision.HIDDEN


@rule(ProgramAction.INVITATION_RESPOND)
def respond_to_invitation(actor: User | None, invitation: ShopInvitation) -> Decision:
    """Accept or decline: the invitee only; nobody else learns that it exists."""
    return Decision.ALLOW if is_invitee(actor, invitation) else Decision.HIDDEN


@rule(ProgramAction.INVITATION_REVOKE)
def revoke_invitation(actor: User | None, invitation: ShopInvitation) -> Decision:
    """Whoever may send it: ``shop.invite`` for shops, ``membership.manage`` for programs."""
    if invitation.program_id is not None:
        program = db.session.get(Program, invitation.program_id)
        assert program is not None
        decision = decide(actor, ProgramAction.MEMBERSHIP_MANAGE, program)
    else:
        decision = decide(actor, ShopAction.SHOP_INVITE, db.session.get(Shop, invitation.shop_id))
    if decision is Decision.HIDDEN and is_invitee(actor, invitation):
        return Decision.DENY  # the invitee declines instead
    return decision
