"""Tasks API: a program's tasks, stamping and revoking, histories, overrides, group stats."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.auth import current_user
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.programs.policy import ProgramAction
from stampbook.programs.queries import get_program
from stampbook.tasks import queries, services, stamping
from stampbook.tasks.policy import TaskAction
from stampbook.tasks.schemas import (
    OverrideIn,
    OverrideOut,
    RevocationOut,
    StampIn,
    StampNotePatch,
    StampOut,
    StampPage,
    StampQuery,
    StampResultOut,
    StatsOut,
    StatsQuery,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskPatch,
)

bp = ApiBlueprint("tasks", __name__, url_prefix="/api/v1", tag="Tasks")


@bp.get("/programs/<int:program_id>/tasks")
@route(
    Access.PUBLIC,
    action=TaskAction.TASK_VIEW,
    subject=get_program,
    subject_action=ProgramAction.PROGRAM_VIEW,
)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(TaskPage)
@bp.doc(summary="A program's tasks that the caller may see, newest first", responses=[404])
def list_tasks(program_id: int, query: PageQuery) -> dict[str, Any]:
    items, next_cursor = queries.list_tasks(current_user(), program_id, query)
    return {"items": items, "next_cursor": next_cursor}


@bp.post("/programs/<int:program_id>/tasks")
@route(Access.USER, action=TaskAction.TASK_CREATE, subject=get_program)
@bp.input(TaskIn, arg_name="body")
@bp.output(TaskOut, status_code=201)
@bp.doc(
    summary="Create a task (program managers, assistants, shop team)",
    responses=[403, 404, 409, 422],
)
def create_task(program_id: int, body: TaskIn) -> Any:
    return services.create_task(
        current_user(), program_id=program_id, fields=body.model_dump(exclude_unset=True)
    )


@bp.get("/tasks/<int:task_id>")
@route(Access.PUBLIC, action=TaskAction.TASK_VIEW)
@bp.output(TaskOut)
@bp.doc(summary="A task", responses=[404])
def get_task(task_id: int) -> Any:
    return queries.get_task(current_user(), task_id)


@bp.patch("/tasks/<int:task_id>")
@route(Access.USER, action=TaskAction.TASK_EDIT, subject=queries.get_task)
@bp.input(TaskPatch, arg_name="body")
@bp.output(TaskOut)
@bp.doc(
    operation_id="update_task",
    summary="Edit a task; null clears an optional option",
    responses=[403, 404, 422],
)
def patch_task(task_id: int, body: TaskPatch) -> Any:
    return services.update_task(
        current_user(), task_id=task_id, changes=body.model_dump(exclude_unset=True)
    )


@bp.delete("/tasks/<int:task_id>")
@route(Access.USER, action=TaskAction.TASK_DELETE)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Delete a task (its stamps and points stay)",
    description="The task is kept for its stamps and their entries, and gone for the API: "
    "its path and every path under it answer 404.",
    responses=[403, 404],
)
def delete_task(task_id: int) -> tuple[str, int]:
    services.delete_task(current_user(), task_id=task_id)
    return "", 204


@bp.put("/tasks/<int:task_id>/overrides/<int:membership_id>")
@route(Access.USER, action=TaskAction.TASK_OVERRIDE, subject=queries.get_task)
@bp.input(OverrideIn, arg_name="body")
@bp.output(OverrideOut)
@bp.doc(
    operation_id="set_override",
    summary="Set one member's own target, deadline, availability and frequency",
    responses=[403, 404, 422],
)
def put_override(task_id: int, membership_id: int, body: OverrideIn) -> Any:
    return services.set_override(
        current_user(), task_id=task_id, membership_id=membership_id, fields=body.model_dump()
    )


@bp.delete("/tasks/<int:task_id>/overrides/<int:membership_id>")
@route(Access.USER, action=TaskAction.TASK_OVERRIDE)
@bp.output({}, status_code=204)
@bp.doc(summary="Remove one member's override: the task's settings apply", responses=[403, 404])
def delete_override(task_id: int, membership_id: int) -> tuple[str, int]:
    services.delete_override(current_user(), task_id=task_id, membership_id=membership_id)
    return "", 204


@bp.get("/tasks/<int:task_id>/stamps")
@route(Access.PUBLIC, action=TaskAction.TASK_VIEW, subject=queries.get_task)
@bp.input(StampQuery, location="query", arg_name="query")
@bp.output(StampPage)
@bp.doc(
    summary="A task's stamps, newest first (others' as their task-history privacy allows)",
    responses=[404],
)
def list_stamps(task_id: int, query: StampQuery) -> dict[str, Any]:
    items, next_cursor = queries.stamp_history(current_user(), task_id, query)
    return {"items": items, "next_cursor": next_cursor}


@bp.post("/tasks/<int:task_id>/stamps")
@route(
    Access.USER,
    action=TaskAction.TASK_STAMP,
    idempotent=True,
    subject=queries.get_task,
    subject_action=TaskAction.TASK_VIEW,
)
@bp.input(StampIn, arg_name="body")
@bp.output(StampResultOut, status_code=201)
@bp.doc(
    operation_id="stamp_task",
    summary="Stamp a membership: earn the task's value and bonuses; accepts Idempotency-Key",
    description="Refusals: `stamp_not_allowed` (403), `membership_inactive`, "
    "`deadline_passed`, `task_unavailable`, `partial_not_allowed`, `max_reached`, "
    "`frequency_exceeded` (with `resets_at`) (409).",
    responses=[403, 404, 409, 422],
)
def create_stamp(task_id: int, body: StampIn) -> Any:
    return stamping.stamp_task(current_user(), task_id=task_id, **body.model_dump())


@bp.delete("/stamps/<int:stamp_id>")
@route(Access.USER, action=TaskAction.STAMP_REVOKE, idempotent=True)
@bp.output(RevocationOut)
@bp.doc(
    summary="Revoke a stamp: reverse what it earned; accepts Idempotency-Key",
    description="Managers at any time; whoever stamped within 15 minutes "
    "(`grace_period_over` after). `insufficient_points` if the points were spent, "
    "`already_revoked` the second time.",
    responses=[403, 404, 409],
)
def revoke_stamp(stamp_id: int) -> Any:
    return stamping.revoke_stamp(current_user(), stamp_id=stamp_id)


@bp.patch("/stamps/<int:stamp_id>")
@route(Access.USER, action=TaskAction.STAMP_ANNOTATE, subject=queries.get_stamp)
@bp.input(StampNotePatch, arg_name="body")
@bp.output(StampOut)
@bp.doc(summary="Write the personal note of one of my stamps", responses=[403, 404, 422])
def annotate_stamp(stamp_id: int, body: StampNotePatch) -> Any:
    return stamping.annotate_stamp(current_user(), stamp_id=stamp_id, note=body.note)


@bp.get("/programs/<int:program_id>/stats")
@route(Access.USER, action=TaskAction.PROGRAM_VIEW_STATS, subject=get_program)
@bp.input(StatsQuery, location="query", arg_name="query")
@bp.output(StatsOut)
@bp.doc(
    operation_id="get_program_stats",
    summary="Group stats: active members, points issued and spent, stamps per task",
    responses=[403, 404],
)
def program_stats(program_id: int, query: StatsQuery) -> dict[str, Any]:
    return queries.program_stats(current_user(), program_id, query)
