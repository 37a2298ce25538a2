"""Pure rules of programs: what each role may do, and how two memberships fold into one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stampbook.programs.models import MembershipRole, MembershipStatus
from stampbook.programs.rules import (
    ALL_PROGRAM_PERMISSIONS,
    ProgramPermission,
    from_shop_permissions,
    membership_permissions,
    merged_status,
    stronger_role,
)

ROLES = list(MembershipRole)
STATUSES = list(MembershipStatus)


def test_role_defaults() -> None:
    assert membership_permissions("manager", {}) == ALL_PROGRAM_PERMISSIONS
    assert membership_permissions("assistant", None) == {
        ProgramPermission.CREATE_TASKS,
        ProgramPermission.STAMP,
    }
    assert membership_permissions("stamper", {}) == {ProgramPermission.STAMP}
    assert membership_permissions("member", {}) == frozenset()


def test_settings_turn_permissions_on_and_off_and_ignore_unknown_names() -> None:
    granted = membership_permissions("stamper", {"stamp": False, "edit_tasks": True, "fly": True})
    assert granted == {ProgramPermission.EDIT_TASKS}


@pytest.mark.parametrize(
    ("shop_permissions", "expected"),
    [
        ({"edit_programs"}, {"edit_program", "create_tasks", "edit_tasks"}),
        ({"manage_members", "stamp"}, {"manage_members", "stamp"}),
        ({"create_rewards", "see_analytics"}, set()),
    ],
)
def test_shop_permissions_in_programs(shop_permissions: set[str], expected: set[str]) -> None:
    assert from_shop_permissions(frozenset(shop_permissions)) == expected


@settings(max_examples=50)
@given(st.sampled_from(ROLES), st.sampled_from(ROLES))
def test_the_stronger_role_holds_what_both_hold(first: str, second: str) -> None:
    chosen = stronger_role(first, second)
    assert chosen in {first, second}
    assert chosen == stronger_role(second, first)
    granted = membership_permissions(chosen, {})
    assert granted >= membership_permissions(first, {}) | membership_permissions(second, {})


@settings(max_examples=50)
@given(st.sampled_from(STATUSES), st.sampled_from(STATUSES))
def test_active_anywhere_means_active_after_a_merge(target: str, source: str) -> None:
    status = merged_status(target, source)
    if MembershipStatus.ACTIVE in {target, source}:
        assert status == MembershipStatus.ACTIVE
    else:
        assert status == target
