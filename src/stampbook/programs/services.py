"""Program and membership use cases: create, edit, archive, join, invite, leave, merge.

Services never commit. Points move only through ``stampbook.ledger.book``. Locks are
taken in one order everywhere: program rows in id order, then membership rows in id order
(then task rows, inside the tasks domain), so concurrent merges and stamps cannot deadlock.

Helpers other domains use: :func:`load_program`, :func:`require_live` and, re-exported
from the policy, :func:`membership_of` and :func:`program_team`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.accounts.queries import confirmed_owner
from stampbook.core import clock, outbox
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.policy import Decision, decide, require
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.programs import expiring
from stampbook.programs.models import (
    Membership,
    MembershipMode,
    MembershipRole,
    MembershipStatus,
    Program,
)
from stampbook.programs.policy import (
    ProgramAction,
    membership_of,
    membership_row,
    program_team,
    shop_of,
)
from stampbook.programs.queries import load_membership, load_program
from stampbook.programs.rules import membership_permissions, require_live, stronger_role
from stampbook.shops.models import InvitationStatus, Shop, ShopInvitation

__all__ = [
    "accept_program_invitation",
    "add_customer",
    "add_membership",
    "archive_programs",
    "create_program",
    "delete_program",
    "end_membership",
    "invite",
    "join",
    "load_membership",
    "load_program",
    "membership_of",
    "program_team",
    "release_invited",
    "require_live",
    "update_membership",
    "update_program",
]

OPEN_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.INVITED)
# A new program's settings where its creator gives none (the columns' own defaults apply only
# at INSERT, after ``expiring.apply`` has checked them).
_DEFAULT_SETTINGS: dict[str, Any] = {
    "expiry_mode": "never",
    "expiry_warning_days": 30,
    "expiry_last_chance_days": 3,
}


# --- Programs -------------------------------------------------------------------------------


def create_program(actor: User, shop_id: int, **fields: Any) -> Program:
    """A new program. Its creator runs it through their place in the shop's team, and is
    not one of its members (they join like anyone else); only a ``personal`` program, a
    tracker of its creator's own, makes them its one member, with the ``manager`` role."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(thing="shop")
    require(actor, ProgramAction.PROGRAM_CREATE, shop)
    settings = {name: fields.pop(name) for name in expiring.SETTINGS & fields.keys()}
    program = Program(shop_id=shop.id, created_by=actor.id, **fields)
    expiring.apply(program, {**_DEFAULT_SETTINGS, **settings}, clock.now())
    db.session.add(program)
    db.session.flush()
    if program.membership_mode == MembershipMode.PERSONAL:
        db.session.add(
            Membership(program_id=program.id, user_id=actor.id, role_type=MembershipRole.MANAGER)
        )
    shop.order_program_ids = [*shop.order_program_ids, program.id]
    db.session.flush()
    return program


def update_program(actor: User, program_id: int, changes: dict[str, Any]) -> Program:
    program = load_program(actor, program_id, ProgramAction.PROGRAM_EDIT)
    require_live(program)
    if changes.get("membership_mode") == MembershipMode.PERSONAL:
        _check_can_become_personal(program)
    for field, value in changes.items():
        if field not in expiring.SETTINGS:
            setattr(program, field, value)
    if expiring.SETTINGS & changes.keys():
        expiring.apply(program, changes, clock.now())
    db.session.flush()
    return program


def _check_can_become_personal(program: Program) -> None:
    others = db.session.scalar(
        select(Membership.id).where(
            Membership.program_id == program.id,
            Membership.status.in_(OPEN_STATUSES),
            (Membership.user_id != program.created_by) | Membership.user_id.is_(None),
        )
    )
    pending = db.session.scalar(
        select(ShopInvitation.id).where(
            ShopInvitation.program_id == program.id,
            ShopInvitation.status == InvitationStatus.PENDING,
        )
    )
    if others is not None or pending is not None:
        raise Conflict(code="program_has_members")


def archive_programs(program_ids: Iterable[int], now: datetime) -> None:
    """Retire programs: archived, open memberships archived, pending invitations revoked.

    Nothing is deleted: balances and entries stay readable through the memberships.
    """
    ids = list(program_ids)
    if not ids:
        return
    db.session.execute(
        update(Program)
        .where(Program.id.in_(ids), Program.archived_at.is_(None))
        .values(archived_at=now)
    )
    db.session.execute(
        update(Membership)
        .where(Membership.program_id.in_(ids), Membership.status.in_(OPEN_STATUSES))
        .values(status=MembershipStatus.ARCHIVED, edited_at=now)
    )
    db.session.execute(
        update(ShopInvitation)
        .where(
            ShopInvitation.program_id.in_(ids),
            ShopInvitation.status == InvitationStatus.PENDING,
        )
        .values(status=InvitationStatus.REVOKED, responded_at=now)
    )


def delete_program(actor: User, program_id: int, *, now: datetime | None = None) -> None:
    """Archive the program (shop creator or managers); members keep their balances."""
    program = load_program(actor, program_id, ProgramAction.PROGRAM_DELETE)
    require_live(program)
    archive_programs([program.id], now or utcnow())
    shop = shop_of(program)
    shop.order_program_ids = [i for i in shop.order_program_ids if i != program.id]
    db.session.flush()


# --- Memberships ----------------------------------------------------------------------------


def join(actor: User, program_id: int, *, now: datetime | None = None) -> Membership:
    """Join a ``public`` program yourself, come back to one you left, or take up an invitation."""
    program = load_program(actor, program_id)
    require_live(program)
    row = membership_row(actor.id, program.id)
    if row is not None and row.status == MembershipStatus.INVITED:
        close_invitations(program.id, actor.id, InvitationStatus.ACCEPTED, now or utcnow())
        row.status = MembershipStatus.ACTIVE
        db.session.flush()
        return _announce_joined(row, program)
    if decide(actor, ProgramAction.MEMBERSHIP_JOIN, program) is Decision.DENY:
        if program.membership_mode == MembershipMode.PERSONAL:
            raise Forbidden(code="personal_program")
        raise Forbidden(code="invitation_required")
    require(actor, ProgramAction.MEMBERSHIP_JOIN, program)
    if row is None:
        joined = _insert(Membership(program_id=program.id, user_id=actor.id))
        return _announce_joined(joined, program)
    if row.status == MembershipStatus.ACTIVE:
        raise Conflict(code="already_member", who="you")
    if row.status == MembershipStatus.REMOVED:
        raise Forbidden(code="removed")
    row.role_type = MembershipRole.MEMBER  # powers held before leaving are not restored
    row.status = MembershipStatus.ACTIVE
    db.session.flush()
    return _announce_joined(row, program)


def _announce_joined(membership: Membership, program: Program) -> Membership:
    """``member.joined``: a user's membership has just become active (joined, came back,
    took up an invitation). Unclaimed customers made by the team are not announced."""
    assert membership.user_id is not None
    outbox.record(
        OccurrenceType.MEMBER_JOINED,
        shop_id=program.shop_id,
        membership_id=membership.id,
        program_id=program.id,
        user_id=membership.user_id,
        role=membership.role_type,
    )
    return membership


def _insert(membership: Membership) -> Membership:
    try:
        with db.session.begin_nested():
            db.session.add(membership)
    except IntegrityError as error:
        # A concurrent request made the same membership; run again and see it.
        raise RetryTransaction() from error
    return membership


def add_customer(
    actor: User, program_id: int, *, email: str | None, external_id: str | None
) -> Membership:
    """An unclaimed customer's membership (no account yet), active at once, for the team."""
    program = load_program(actor, program_id, ProgramAction.MEMBERSHIP_MANAGE)
    require_live(program)
    _refuse_personal(program)
    email = email.strip().lower() if email else None
    taken = db.session.scalar(
        select(Membership.id).where(
            Membership.program_id == program.id,
            (Membership.email == email) if email else (Membership.external_id == external_id),
        )
    )
    if taken is not None:
        raise Conflict(code="already_member")
    membership = _insert(Membership(program_id=program.id, email=email, external_id=external_id))
    # If the address is already a confirmed account's, ``flows.claims`` hands it over.
    outbox.record(
        OccurrenceType.CUSTOMER_ADDED,
        shop_id=program.shop_id,
        membership_id=membership.id,
        program_id=program.id,
    )
    return membership


def _refuse_personal(program: Program) -> None:
    if program.membership_mode == MembershipMode.PERSONAL:
        raise Conflict(code="personal_program")


def _check_grant(actor: User, program: Program, role_type: str, settings: dict[str, Any]) -> None:
    """Nobody hands out more than they hold: granted permissions must be the actor's own."""
    team = program_team(actor, program)
    granted = membership_permissions(role_type, settings)
    if actor.is_admin:
        return
    if team is None or not granted <= team.permissions:
        raise Forbidden(code="escalation")


def _check_may_change(actor: User, program: Program, membership: Membership) -> None:
    if actor.is_admin:
        return
    if membership.user_id == actor.id:
        raise Forbidden(code="own_role")
    shop = shop_of(program)
    if membership.user_id == shop.created_by:
        raise Forbidden(code="creator")
    _check_grant(actor, program, membership.role_type, membership.permission_settings)


def add_membership(
    actor: User,
    program_id: int,
    *,
    user_id: int | None = None,
    email: str | None = None,
    external_id: str | None = None,
    role_type: str | None = None,
) -> Membership:
    """``POST /programs/{id}/memberships``: join yourself, invite a user, or add a customer."""
    if user_id is not None:
        _, membership = _invite(
            actor, program_id, user_id=user_id, role_type=role_type or MembershipRole.MEMBER
        )
        assert membership is not None
        return membership
    if email is not None or external_id is not None:
        return add_customer(actor, program_id, email=email, external_id=external_id)
    return join(actor, program_id)


def invite(
    actor: User,
    program_id: int,
    *,
    user_id: int | None = None,
    email: str | None = None,
    role_type: str = MembershipRole.MEMBER,
) -> ShopInvitation:
    """Invite someone into a program; they become a member when they accept.

    A known invitee (by id, or by an email that has an account) also gets a membership in
    status ``invited`` at once, so the team sees them in the member list; an unknown email
    waits for the account that will hold it.
    """
    invitation, _ = _invite(actor, program_id, user_id=user_id, email=email, role_type=role_type)
    return invitation


def _invite(
    actor: User,
    program_id: int,
    *,
    user_id: int | None = None,
    email: str | None = None,
    role_type: str,
) -> tuple[ShopInvitation, Membership | None]:
    program = load_program(actor, program_id, ProgramAction.MEMBERSHIP_MANAGE)
    require_live(program)
    _refuse_personal(program)
    _check_grant(actor, program, role_type, {})
    user = _invitee(user_id, email)
    if user is None:
        assert email is not None
        return _pending_by_email(actor, program, email.strip().lower(), role_type), None
    row = membership_row(user.id, program.id)
    if row is not None and row.status == MembershipStatus.ACTIVE:
        raise Conflict(code="already_member")
    if row is not None and row.status == MembershipStatus.INVITED:
        raise Conflict(code="already_invited")
    if row is None:
        row = _insert(
            Membership(
                program_id=program.id,
                user_id=user.id,
                role_type=role_type,
                status=MembershipStatus.INVITED,
            )
        )
    row.status = MembershipStatus.INVITED
    row.role_type = role_type
    invitation = ShopInvitation(
        shop_id=program.shop_id,
        program_id=program.id,
        user_id=user.id,
        role_type=role_type,
        created_by=actor.id,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, row


def _invitee(user_id: int | None, email: str | None) -> User | None:
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or user.is_deleted:
            raise NotFound(thing="user")
        return user
    assert email is not None
    # An address not confirmed by its account keeps the invitation by email until it is.
    return confirmed_owner(email)


def _pending_by_email(actor: User, program: Program, email: str, role_type: str) -> ShopInvitation:
    pending = db.session.scalar(
        select(ShopInvitation.id).where(
            ShopInvitation.program_id == program.id,
            ShopInvitation.email == email,
            ShopInvitation.status == InvitationStatus.PENDING,
        )
    )
    if pending is not None:
        raise Conflict(code="already_invited")
    invitation = ShopInvitation(
        shop_id=program.shop_id,
        program_id=program.id,
        email=email,
        role_type=role_type,
        created_by=actor.id,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def accept_program_invitation(actor: User, invitation: ShopInvitation) -> Membership:
    """Make the invitee an active member (called by the invitation services)."""
    assert invitation.program_id is not None
    program = db.session.get(Program, invitation.program_id)
    assert program is not None
    require_live(program)
    _refuse_personal(program)
    role_type = invitation.role_type or MembershipRole.MEMBER
    row = membership_row(actor.id, program.id)
    if row is None:
        joined = _insert(Membership(program_id=program.id, user_id=actor.id, role_type=role_type))
        return _announce_joined(joined, program)
    was_active = row.status == MembershipStatus.ACTIVE
    row.role_type = stronger_role(row.role_type, role_type) if was_active else role_type
    row.status = MembershipStatus.ACTIVE
    db.session.flush()
    return row if was_active else _announce_joined(row, program)


def release_invited(program_id: int, user_id: int, status: MembershipStatus) -> None:
    """An invitation answered no or withdrawn: the invited membership is closed."""
    row = membership_row(user_id, program_id)
    if row is not None and row.status == MembershipStatus.INVITED:
        row.status = status
        db.session.flush()


def close_invitations(
    program_id: int, user_id: int, status: InvitationStatus, now: datetime
) -> None:
    db.session.execute(
        update(ShopInvitation)
        .where(
            ShopInvitation.program_id == program_id,
            ShopInvitation.user_id == user_id,
            ShopInvitation.status == InvitationStatus.PENDING,
        )
        .values(status=status, responded_at=now)
    )


def update_membership(actor: User, membership_id: int, changes: dict[str, Any]) -> Membership:
    """Change a member's program role or permissions (program or shop managers)."""
    membership = load_membership(actor, membership_id)
    program = load_program(actor, membership.program_id, ProgramAction.MEMBERSHIP_MANAGE)
    require_live(program)
    if membership.status != MembershipStatus.ACTIVE:
        raise Conflict(code="not_active")
    _check_may_change(actor, program, membership)
    role_type = changes.get("role_type", membership.role_type)
    settings = changes.get("permission_settings", membership.permission_settings)
    if membership.user_id is None and role_type != MembershipRole.MEMBER:
        raise Conflict(code="customer_is_member")
    _check_grant(actor, program, role_type, settings)
    membership.role_type = role_type
    membership.permission_settings = dict(settings)
    db.session.flush()
    return membership


def end_membership(actor: User, membership_id: int, *, now: datetime | None = None) -> Membership:
    """Leave (your own membership) or remove (the team). The balance and entries stay."""
    now = now or utcnow()
    membership = load_membership(actor, membership_id)
    program = db.session.get(Program, membership.program_id)
    assert program is not None
    if membership.user_id == actor.id:
        require(actor, ProgramAction.MEMBERSHIP_LEAVE, membership)
        ended, answer = MembershipStatus.LEFT, InvitationStatus.DECLINED
    else:
        require(actor, ProgramAction.MEMBERSHIP_MANAGE, program)
        require_live(program)
        if membership.status not in OPEN_STATUSES:
            raise Conflict(code="not_active")
        _check_may_change(actor, program, membership)
        ended, answer = MembershipStatus.REMOVED, InvitationStatus.REVOKED
    if membership.status == MembershipStatus.INVITED and membership.user_id is not None:
        close_invitations(program.id, membership.user_id, answer, now)
    membership.status = ended
    db.session.flush()
    return membership


# --- Merging --------------------------------------------------------------------------------


def lock_programs(ids: list[int]) -> dict[int, Program]:
    rows = db.session.scalars(
        select(Program)
        .where(Program.id.in_(ids))
        .order_by(Program.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {program.id: program for program in rows}


def move_invitations(source: Program, target: Program, now: datetime) -> None:
    """Pending invitations follow their program, unless the target already covers them."""
    pending = db.session.scalars(
        select(ShopInvitation).where(
            ShopInvitation.program_id.in_([source.id, target.id]),
            ShopInvitation.status == InvitationStatus.PENDING,
        )
    ).all()
    covered = {(i.user_id, i.email) for i in pending if i.program_id == target.id}
    for invitation in pending:
        if invitation.program_id != source.id:
            continue
        in_target = membership_row(invitation.user_id, target.id) if invitation.user_id else None
        if (invitation.user_id, invitation.email) in covered or (
            in_target is not None and in_target.status != MembershipStatus.INVITED
        ):
            invitation.status = InvitationStatus.REVOKED
            invitation.responded_at = now
        else:
            invitation.program_id = target.id


def end_memberships(user_id: int) -> None:
    """A deleted account leaves its programs (and declines its pending invitations); balances
    and entries stay as they are."""
    db.session.execute(
        update(Membership)
        .where(
            Membership.user_id == user_id,
            Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.INVITED]),
        )
        .values(status=MembershipStatus.LEFT)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(ShopInvitation)
        .where(ShopInvitation.user_id == user_id, ShopInvitation.status == InvitationStatus.PENDING)
        .values(status=InvitationStatus.DECLINED, responded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
