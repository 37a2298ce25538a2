"""Task use cases: create, edit and delete a task, set and clear a member's override of it;
move a program's tasks in a merge.

Stamping, revoking and annotating stamps are in ``stampbook.tasks.stamping``; loading a task for
an actor, and the other reads, in ``stampbook.tasks.queries``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import case, delete, select, update

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Conflict, NotFound, ValidationFailed
from stampbook.core.policy import require
from stampbook.programs.queries import get_program
from stampbook.tasks import rules
from stampbook.tasks.models import Stamp, Task, TaskBonusAward, TaskOverride
from stampbook.tasks.policy import TaskAction
from stampbook.tasks.queries import get_task, membership_in, override_row
from stampbook.tasks.rules import OverrideSettings, TaskSettings

DETAIL_FIELDS = ("name", "summary", "description", "color", "icon", "privacy_mode")


# --- Tasks ----------------------------------------------------------------------------------


def _invalid(problems: Iterable[tuple[str, str]]) -> ValidationFailed:
    return ValidationFailed(
        [{"location": "json", "field": field, "message": message} for field, message in problems]
    )


def _conflicting(problems: Iterable[tuple[str, str]]) -> Conflict:
    """Options that break the rules together with what the task has now (not the body alone)."""
    problems = list(problems)
    return Conflict(
        code="invalid_settings",
        problems="; ".join(f"{field}: {message}" for field, message in problems),
        extra={
            "errors": [
                {"location": "json", "field": field, "message": message}
                for field, message in problems
            ]
        },
    )


def _validated_settings(values: dict[str, Any], *, merged: bool = False) -> TaskSettings:
    try:
        settings = TaskSettings.model_validate(
            {name: values[name] for name in TaskSettings.model_fields if name in values}
        )
    except ValidationError as error:
        raise _invalid(
            (".".join(str(part) for part in e["loc"]) or "_schema", e["msg"])
            for e in error.errors()
        ) from error
    problems = rules.check_settings(settings)
    if problems:
        raise _conflicting(problems) if merged else _invalid(problems)
    return settings


def create_task(actor: User | None, *, program_id: int, fields: dict[str, Any]) -> Task:
    program = get_program(program_id)
    require(actor, TaskAction.TASK_CREATE, program)
    assert actor is not None  # the rule lets no anonymous caller through
    if program.is_archived:
        raise Conflict(code="program_archived")
    settings = _validated_settings(fields)
    task = Task(program_id=program.id, created_by=actor.id)
    for name in DETAIL_FIELDS:
        if name in fields:
            setattr(task, name, fields[name])
    task.apply_settings(settings)
    db.session.add(task)
    db.session.flush()
    return task


def update_task(actor: User | None, *, task_id: int, changes: dict[str, Any]) -> Task:
    task = get_task(actor, task_id, TaskAction.TASK_EDIT)
    current = task.settings().model_dump()
    settings = _validated_settings(
        {**current, **{k: v for k, v in changes.items() if k in TaskSettings.model_fields}},
        merged=True,
    )
    for name in DETAIL_FIELDS:
        if name in changes:
            setattr(task, name, changes[name])
    task.apply_settings(settings)
    db.session.flush()
    return task


def delete_task(actor: User | None, *, task_id: int, now: datetime | None = None) -> None:
    """Hide the task; its stamps and the points they earned stay."""
    task = get_task(actor, task_id, TaskAction.TASK_DELETE)
    task.deleted_at = now or clock.now()
    db.session.flush()


def set_override(
    actor: User | None, *, task_id: int, membership_id: int, fields: dict[str, Any]
) -> TaskOverride:
    task = get_task(actor, task_id, TaskAction.TASK_OVERRIDE)
    membership = membership_in(task, membership_id)
    try:
        override = OverrideSettings.model_validate(fields)
    except ValidationError as error:
        raise _invalid(
            (".".join(str(part) for part in e["loc"]), e["msg"]) for e in error.errors()
        ) from error
    problems = rules.check_settings(rules.effective_settings(task.settings(), override))
    if problems:
        raise _conflicting(problems)
    row = override_row(task.id, membership.id)
    if row is None:
        row = TaskOverride(task_id=task.id, membership_id=membership.id)
        db.session.add(row)
    row.created_by = row.created_by or (actor.id if actor else None)
    data = override.model_dump(mode="json")
    row.target = override.target
    row.deadline = override.deadline
    row.availability_settings = data["availability_settings"]
    row.frequency_settings = data["frequency_settings"]
    db.session.flush()
    return row


def delete_override(actor: User | None, *, task_id: int, membership_id: int) -> None:
    task = get_task(actor, task_id, TaskAction.TASK_OVERRIDE)
    row = override_row(task.id, membership_in(task, membership_id).id)
    if row is None:
        raise NotFound(thing="override")
    db.session.delete(row)
    db.session.flush()


# --- Program merges -------------------------------------------------------------------------


def move_tasks(*, from_program_id: int, to_program_id: int, membership_map: dict[int, int]) -> int:
    """Move every task of one program to another, re-pointing merged memberships' rows.

    Called by program merges inside their unit of work (after they locked the memberships,
    which keeps the lock order). Stamps, overrides and bonus awards of the moved tasks that
    belong to a membership in ``membership_map`` (old id -> new id) follow it to the new
    membership. Returns how many tasks moved (deleted ones included: their history moves).
    """
    session = db.session
    session.flush()
    task_ids = list(session.scalars(select(Task.id).where(Task.program_id == from_program_id)))
    if not task_ids:
        return 0
    session.execute(
        update(Task)
        .where(Task.id.in_(task_ids))
        .values(program_id=to_program_id)
        .execution_options(synchronize_session=False)
    )
    mapping = {old: new for old, new in membership_map.items() if old != new}
    if mapping:
        _repoint_memberships(task_ids, mapping)
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Task | Stamp | TaskOverride | TaskBonusAward):
            session.expire(instance)
    return len(task_ids)


def _repoint_memberships(task_ids: list[int], mapping: dict[int, int]) -> None:
    session = db.session
    involved = set(mapping) | set(mapping.values())
    overrides = session.execute(
        select(TaskOverride.id, TaskOverride.membership_id, TaskOverride.task_id).where(
            TaskOverride.task_id.in_(task_ids), TaskOverride.membership_id.in_(involved)
        )
    ).all()
    awards = session.execute(
        select(
            TaskBonusAward.id,
            TaskBonusAward.membership_id,
            TaskBonusAward.task_id,
            TaskBonusAward.bonus_key,
        ).where(TaskBonusAward.task_id.in_(task_ids), TaskBonusAward.membership_id.in_(involved))
    ).all()
    doomed_overrides = _colliding([tuple(row) for row in overrides], mapping)
    doomed_awards = _colliding([tuple(row) for row in awards], mapping)
    if doomed_overrides:
        session.execute(delete(TaskOverride).where(TaskOverride.id.in_(doomed_overrides)))
    if doomed_awards:
        session.execute(delete(TaskBonusAward).where(TaskBonusAward.id.in_(doomed_awards)))
    old_ids = list(mapping)
    session.execute(
        update(Stamp)
        .where(Stamp.task_id.in_(task_ids), Stamp.membership_id.in_(old_ids))
        .values(membership_id=case(mapping, value=Stamp.membership_id))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(TaskOverride)
        .where(TaskOverride.task_id.in_(task_ids), TaskOverride.membership_id.in_(old_ids))
        .values(membership_id=case(mapping, value=TaskOverride.membership_id))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(TaskBonusAward)
        .where(TaskBonusAward.task_id.in_(task_ids), TaskBonusAward.membership_id.in_(old_ids))
        .values(membership_id=case(mapping, value=TaskBonusAward.membership_id))
        .execution_options(synchronize_session=False)
    )


def _colliding(rows: list[tuple[Any, ...]], mapping: dict[int, int]) -> list[int]:
    """Ids of rows ``(id, membership_id, *rest)`` whose re-pointed copy would duplicate another.

    Only possible when two old memberships map to one new membership; a row already on the
    new membership wins, then the oldest row.
    """
    seen: set[tuple[Any, ...]] = set()
    doomed: list[int] = []
    for row_id, membership_id, *rest in sorted(rows, key=lambda r: (r[1] in mapping, r[0])):
        identity = (mapping.get(membership_id, membership_id), *rest)
        if identity in seen:
            doomed.append(row_id)
        seen.add(identity)
    return doomed
