"""Tasks and stamps: who sees a task, who edits it, who stamps whom, who revokes.

A task is seen by whoever sees its program, as the task's ``privacy_mode`` allows
(``members``: the program's active members and team; ``private``: the team only). The
program's team (``stampbook.programs.policy.program_team``) runs its tasks: holders of
``edit_tasks`` (shop creator and managers, program managers, ``edit_programs``) control every
task; assistants (``create_tasks``) control the tasks they created or were assigned (a shop
role scoped to the task).

Who may stamp a membership, by the program's ``stamp_system_type``:

* the team stamps in every system: whoever holds ``stamp`` (stampers, managers, viewers
  given it), assistants only on the tasks they control;
* ``self``: a member stamps their own membership;
* ``members``: a member stamps any membership they can see in the program;
* ``stampers``: members do not stamp at all.

Whether a stamp may happen is decided in three places, each once. *Who* may stamp whom is
decided here, by the ``task.stamp`` rule (:func:`may_stamp_others` says, from the same parts,
whether a page offers stamping other members). The *state* of the membership (active) and of
the program (not archived) is checked by the stamping service
(``stampbook.tasks.stamping.stamp_task``), which asks the rule once. *When and how often*
(deadline, availability, partial stamps, frequency, limits) is decided by the pure rules,
``stampbook.tasks.rules.evaluate_stamp``, with the schedules (``stampbook.schedules``).

Revoking: program and shop managers at any time; whoever made the stamp within
``REVOKE_GRACE_PERIOD``. A stamp's personal note is its member's to edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.policy import Decision, in_shop, rule
from stampbook.programs.models import (
    Membership,
    MembershipRole,
    Program,
    ProgramPrivacy,
    StampSystem,
)
from stampbook.programs.policy import (
    ProgramTeamMember,
    may_see_membership,
    may_see_program,
    membership_of,
    program_shop_id,
    program_team,
)
from stampbook.programs.rules import ProgramPermission
from stampbook.tasks.models import Stamp, Task, TaskPrivacy
from stampbook.tasks.rules import within_grace_period


class TaskAction(StrEnum):
    """The actions this domain's rules decide."""

    PROGRAM_VIEW_STATS = "program.view_stats"
    STAMP_ANNOTATE = "stamp.annotate"
    STAMP_REVOKE = "stamp.revoke"
    TASK_CREATE = "task.create"
    TASK_DELETE = "task.delete"
    TASK_EDIT = "task.edit"
    TASK_OVERRIDE = "task.override"
    TASK_STAMP = "task.stamp"
    TASK_VIEW = "task.view"


@dataclass(frozen=True)
class StampAttempt:
    """Checked for ``task.stamp``: the actor stamps ``task`` for ``membership``."""

    task: Task
    membership: Membership


@dataclass(frozen=True)
class RevokeAttempt:
    """Checked for ``stamp.revoke``: ``now`` decides the grace period of whoever stamped."""

    stamp: Stamp
    task: Task
    now: datetime


def program_of(task: Task) -> Program:
    program = db.session.get(Program, task.program_id)
    assert program is not None  # a foreign key guarantees it
    return program


def _task_shop_id(task: Task) -> int:
    return program_shop_id(task.program_id)


def _stamp_shop_id(stamp: Stamp) -> int:
    task = db.session.get(Task, stamp.task_id)
    assert task is not None  # a foreign key guarantees it
    return _task_shop_id(task)


def _attempt_shop_id(attempt: StampAttempt) -> int | None:
    """The task's shop, if the member stamped is of it too (else none: hidden from keys)."""
    shop_id = _task_shop_id(attempt.task)
    return shop_id if program_shop_id(attempt.membership.program_id) == shop_id else None


# What a shop's API key may be decided on (core.policy).
in_shop(Task, _task_shop_id)
in_shop(Stamp, _stamp_shop_id)
in_shop(StampAttempt, _attempt_shop_id)
in_shop(RevokeAttempt, lambda attempt: _task_shop_id(attempt.task))


def controls_task(actor: User | None, team: ProgramTeamMember | None, task: Task) -> bool:
    """Edits, deletes, overrides the task (assistants: the tasks they created or are assigned)."""
    if actor is None or team is None:
        return False
    if team.is_manager or team.may(ProgramPermission.EDIT_TASKS):
        return True
    if team.shop_member is not None and team.shop_member.task_id == task.id:
        return True  # a shop role scoped to this task
    return team.may(ProgramPermission.CREATE_TASKS) and task.created_by == actor.id


def may_see_task(actor: User | None, task: Task) -> bool:
    if task.deleted_at is not None:
        return False
    program = program_of(task)
    if not may_see_program(actor, program):
        return False
    if task.privacy_mode == TaskPrivacy.PUBLIC or (actor is not None and actor.is_admin):
        return True
    if program_team(actor, program) is not None:
        return True
    return task.privacy_mode == TaskPrivacy.MEMBERS and membership_of(actor, program) is not None


def may_stamp_as_team(actor: User | None, team: ProgramTeamMember | None, task: Task) -> bool:
    if team is None or not team.may(ProgramPermission.STAMP):
        return False
    if team.is_manager or team.may(ProgramPermission.EDIT_TASKS):
        return True
    if team.membership is not None and team.membership.role_type == MembershipRole.STAMPER:
        return True  # the program's stampers stamp every task
    scoped = team.shop_member is not None and team.shop_member.task_id is not None
    if scoped or team.role_type == MembershipRole.ASSISTANT:
        return controls_task(actor, team, task)
    return True  # e.g. a shop viewer given the "stamp" permission


def sees_all_history(actor: User | None, program: Program) -> bool:
    """The team sees every member's stamps; others as each member's privacy allows."""
    return (actor is not None and actor.is_admin) or program_team(actor, program) is not None


def _visible_then(actor: User | None, task: Task, allowed: bool) -> Decision:
    if not may_see_task(actor, task):
        return Decision.HIDDEN
    return Decision.ALLOW if allowed else Decision.DENY


@rule(TaskAction.TASK_VIEW)
def view_task(actor: User | None, task: Task) -> Decision:
    return Decision.ALLOW if may_see_task(actor, task) else Decision.HIDDEN


@rule(TaskAction.TASK_CREATE)
def create_task(actor: User | None, program: Program) -> Decision:
    """Checked on the program."""
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    team = program_team(actor, program)
    allowed = team is not None and team.may(ProgramPermission.CREATE_TASKS)
    return Decision.ALLOW if allowed else Decision.DENY


@rule(TaskAction.TASK_EDIT)
def edit_task(actor: User | None, task: Task) -> Decision:
    return _visible_then(
        actor, task, controls_task(actor, program_team(actor, program_of(task)), task)
    )


@rule(TaskAction.TASK_DELETE)
def delete_task(actor: User | None, task: Task) -> Decision:
    return edit_task(actor, task)


@rule(TaskAction.TASK_OVERRIDE)
def override_task(actor: User | None, task: Task) -> Decision:
    """Set or clear one member's target, deadline, availability or frequency."""
    return edit_task(actor, task)


@rule(TaskAction.TASK_STAMP)
def stamp_task(actor: User | None, attempt: StampAttempt) -> Decision:
    task, membership = attempt.task, attempt.membership
    if actor is None or not may_see_task(actor, task) or not may_see_membership(actor, membership):
        return Decision.HIDDEN
    program = program_of(task)
    if may_stamp_as_team(actor, program_team(actor, program), task):
        return Decision.ALLOW
    mine = membership_of(actor, program)
    if mine is None:
        return Decision.DENY
    system = program.stamp_system_type
    if system == StampSystem.SELF:
        return Decision.ALLOW if mine.id == membership.id else Decision.DENY
    return Decision.ALLOW if system == StampSystem.MEMBERS else Decision.DENY


def may_stamp_others(actor: User | None, task: Task, program: Program) -> bool:
    """Whether pages offer ``actor`` stamping other members of ``program`` on ``task``: admins,
    the team that stamps the task, and members where the members stamp each other.

    What a page offers only: each stamp is still decided, for its membership, by the
    ``task.stamp`` rule.
    """
    if actor is None:
        return False
    if actor.is_admin or may_stamp_as_team(actor, program_team(actor, program), task):
        return True
    members_stamp = program.stamp_system_type == StampSystem.MEMBERS
    return members_stamp and membership_of(actor, program) is not None


@rule(TaskAction.STAMP_REVOKE)
def revoke_stamp(actor: User | None, attempt: RevokeAttempt) -> Decision:
    stamp, task = attempt.stamp, attempt.task
    if actor is None:
        return Decision.HIDDEN
    team = program_team(actor, program_of(task))
    if team is not None and team.is_manager:
        return Decision.ALLOW
    if stamp.stamped_by == actor.id:
        return (
            Decision.ALLOW if within_grace_period(stamp.created_at, attempt.now) else Decision.DENY
        )
    membership = db.session.get(Membership, stamp.membership_id)
    seen = (
        membership is not None
        and may_see_task(actor, task)
        and may_see_membership(actor, membership)
    )
    return Decision.DENY if seen else Decision.HIDDEN


@rule(TaskAction.STAMP_ANNOTATE)
def annotate_stamp(actor: User | None, stamp: Stamp) -> Decision:
    """The personal note of a stamp: its member's."""
    membership = db.session.get(Membership, stamp.membership_id)
    if actor is None or membership is None:
        return Decision.HIDDEN
    if membership.user_id == actor.id:
        return Decision.ALLOW
    task = db.session.get(Task, stamp.task_id)
    seen = task is not None and may_see_task(actor, task) and may_see_membership(actor, membership)
    return Decision.DENY if seen else Decision.HIDDEN


@rule(TaskAction.PROGRAM_VIEW_STATS)
def view_stats(actor: User | None, program: Program) -> Decision:
    """The team; the members too unless the program is private."""
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    if program_team(actor, program) is not None:
        return Decision.ALLOW
    member = membership_of(actor, program) is not None
    return (
        Decision.ALLOW
        if member and program.privacy_mode != ProgramPrivacy.PRIVATE
        else Decision.DENY
    )
