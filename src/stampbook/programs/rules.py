"""Pure rules of programs and memberships: role ranks, permissions, merging two memberships."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from stampbook.core.errors import Conflict
from stampbook.programs.models import (
    ExpiryMode,
    Membership,
    MembershipRole,
    MembershipStatus,
    Program,
)
from stampbook.schedules.periods import local_date, local_midnight


class ProgramPermission(StrEnum):
    """What a program's team may do in it (``Membership.permission_settings`` toggles them)."""

    EDIT_PROGRAM = "edit_program"
    MANAGE_MEMBERS = "manage_members"  # invite, add, remove members and change their roles
    CREATE_TASKS = "create_tasks"
    EDIT_TASKS = "edit_tasks"  # every task of the program, not only one's own or assigned
    STAMP = "stamp"  # stamp other members (assistants: their own tasks only)


ALL_PROGRAM_PERMISSIONS = frozenset(ProgramPermission)
MEMBERSHIP_ROLE_DEFAULTS: dict[str, frozenset[ProgramPermission]] = {
    MembershipRole.MANAGER: ALL_PROGRAM_PERMISSIONS,
    MembershipRole.ASSISTANT: frozenset({ProgramPermission.CREATE_TASKS, ProgramPermission.STAMP}),
    MembershipRole.STAMPER: frozenset({ProgramPermission.STAMP}),
    MembershipRole.MEMBER: frozenset(),
}
# A shop permission (by name) and what it grants in each of the shop's programs.
SHOP_GRANTS: dict[str, frozenset[ProgramPermission]] = {
    "edit_programs": frozenset(
        {
            ProgramPermission.EDIT_PROGRAM,
            ProgramPermission.CREATE_TASKS,
            ProgramPermission.EDIT_TASKS,
        }
    ),
    "manage_members": frozenset({ProgramPermission.MANAGE_MEMBERS}),
    "stamp": frozenset({ProgramPermission.STAMP}),
}
MEMBERSHIP_RANK: dict[str, int] = {
    MembershipRole.MANAGER: 3,
    MembershipRole.ASSISTANT: 2,
    MembershipRole.STAMPER: 1,
    MembershipRole.MEMBER: 0,
}


def membership_permissions(
    role_type: str, settings: dict[str, Any] | None
) -> frozenset[ProgramPermission]:
    granted = set(MEMBERSHIP_ROLE_DEFAULTS.get(role_type, frozenset()))
    for name, on in (settings or {}).items():
        if name in ProgramPermission.__members__.values():
            (granted.add if on else granted.discard)(ProgramPermission(name))
    return frozenset(granted)


def from_shop_permissions(names: frozenset[str]) -> frozenset[ProgramPermission]:
    """What a shop team member may do in every program of the shop."""
    granted: set[ProgramPermission] = set()
    for name in names:
        granted |= SHOP_GRANTS.get(name, frozenset())
    return frozenset(granted)


def stronger_role(first: str, second: str) -> str:
    return first if MEMBERSHIP_RANK.get(first, 0) >= MEMBERSHIP_RANK.get(second, 0) else second


def merged_status(target: str, source: str) -> str:
    """The status of a user's target membership after a merge folds their source one into it.

    Active anywhere means active after: the user was in good standing in one of the two.
    """
    if MembershipStatus.ACTIVE in {target, source}:
        return MembershipStatus.ACTIVE
    return target


def identity_of(membership: Membership) -> tuple[str, Any] | None:
    if membership.user_id is not None:
        return ("user", membership.user_id)
    if membership.email is not None:
        return ("email", membership.email)
    if membership.external_id is not None:
        return ("external", membership.external_id)
    return None


def require_live(program: Program) -> None:
    """Refuse changes to a program that was deleted or merged away (it is read-only)."""
    if program.is_archived:
        raise Conflict(code="archived")


def lot_expires_at(earned_at: datetime, mode: str, days: int, zone: ZoneInfo) -> datetime:
    """When points earned at ``earned_at`` expire, in a program expiring lot by lot: at the
    end (the next midnight in the shop's ``zone``) of the day ``days`` later, or of the month
    or the year in which that day falls. Whole days: points earned on one day expire together,
    and a member reads one date, not a time."""
    day = local_date(earned_at + timedelta(days=days), zone)
    if mode == ExpiryMode.AFTER_DAYS:
        following = day + timedelta(days=1)
    elif mode == ExpiryMode.MONTH_END:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    elif mode == ExpiryMode.YEAR_END:
        following = date(day.year + 1, 1, 1)
    else:
        raise ValueError(f"{mode!r} does not expire lot by lot")
    return local_midnight(following, zone)
