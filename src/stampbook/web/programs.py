"""Program and task pages: tasks with their stamp buttons, the leaderboard, group stats,
joining; and the team's forms for programs and tasks."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user
from stampbook.errors import AppError
from stampbook.pagination import PageQuery
from stampbook.policy import Access, can, route
from stampbook.policy.programs import membership_of, shop_of
from stampbook.policy.tasks import StampAttempt
from stampbook.programs import queries, services
from stampbook.programs.schemas import LeaderboardQuery, ProgramIn, ProgramPatch
from stampbook.routing import PageBlueprint
from stampbook.shops.services import load_shop
from stampbook.tasks import queries as task_queries
from stampbook.tasks import services as tasks
from stampbook.tasks.schemas import StampQuery, StatsQuery, TaskIn
from stampbook.web import queries as pages
from stampbook.web import words
from stampbook.web.forms import TASK_FIELDS, ActionForm, ProgramForm, StampForm, TaskForm
from stampbook.web.helpers import (
    attempt,
    aware,
    field_errors,
    given,
    me,
    place_errors,
    validate,
)

bp = PageBlueprint("program_pages", __name__)

PROGRAM_FIELDS = (
    "name",
    "summary",
    "description",
    "color",
    "privacy_mode",
    "membership_mode",
    "stamp_system_type",
)
LEADERBOARD_PLACES = 10


@bp.get("/programs/<int:program_id>")
@route(Access.PUBLIC, action="program.view")
def program(program_id: int) -> str:
    actor = current_user()
    program = services.load_program(actor, program_id)
    mine = membership_of(actor, program)
    task_list, _ = task_queries.list_tasks(actor, program_id, PageQuery(limit=200))
    stampable = (
        {t.id for t in task_list if can(actor, "task.stamp", StampAttempt(t, mine))}
        if mine is not None and not program.is_archived
        else set()
    )
    stats = (
        task_queries.program_stats(actor, program_id, StatsQuery())
        if can(actor, "program.view_stats", program)
        else None
    )
    return render_template(
        "programs/program.html",
        program=program,
        shop=shop_of(program),
        mine=mine,
        tasks=task_list,
        stampable=stampable,
        leaderboard=queries.leaderboard(
            actor, program_id, LeaderboardQuery(limit=LEADERBOARD_PLACES)
        ).items,
        stats=stats,
        may_join=mine is None and actor is not None and can(actor, "membership.join", program),
        may_edit=can(actor, "program.edit", program),
        may_add_task=can(actor, "task.create", program),
        join_form=ActionForm(),
        stamp_form=StampForm(),
    )


@bp.post("/programs/<int:program_id>/join")
@route(Access.USER, action="membership.join")
def join(program_id: int) -> Response:
    result = attempt(lambda: services.join(me(), program_id))
    if isinstance(result, AppError):
        flash(result.detail, "danger")
    else:
        flash("Welcome aboard: you are a member now.", "success")
    return redirect(url_for("program_pages.program", program_id=program_id), 303)


@bp.post("/tasks/<int:task_id>/stamp")
@route(Access.USER, action="task.stamp", idempotent=True)
def stamp(task_id: int) -> Response:
    task = tasks.get_task(me(), task_id)
    form = StampForm()
    back = url_for("program_pages.program", program_id=task.program_id)
    if not form.validate_on_submit():
        flash("The stamp needs a membership and a quantity of at least 1.", "danger")
        return redirect(back, 303)
    result = attempt(
        lambda: tasks.stamp_task(
            me(),
            task_id=task_id,
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
            partial=bool(form.partial.data),
            note=form.note.data or None,
        )
    )
    if isinstance(result, AppError):
        flash(f"{task.name}: {result.detail}", "danger")
    else:
        flash(words.earned(result.points, result.breakdown, task.name), "success")
    return redirect(back, 303)


@bp.get("/tasks/<int:task_id>")
@route(Access.PUBLIC, action="task.view")
def task(task_id: int) -> str:
    actor = current_user()
    task = tasks.get_task(actor, task_id)
    program = services.load_program(actor, task.program_id)
    mine = membership_of(actor, program)
    own, _ = (
        task_queries.stamp_history(actor, task_id, StampQuery(membership_id=mine.id, limit=20))
        if mine is not None
        else ([], None)
    )
    history, _ = task_queries.stamp_history(actor, task_id, StampQuery(limit=20))
    owners = pages.membership_owners(s.membership_id for s in history)
    return render_template(
        "programs/task.html",
        task=task,
        program=program,
        mine=mine,
        own=own,
        history=history,
        owners=owners,
    )


def _program_data(form: ProgramForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in PROGRAM_FIELDS}


@bp.route("/shops/<int:shop_id>/programs/new", methods=["GET", "POST"])
@route(Access.USER, action="program.create")
def new_program(shop_id: int) -> Response | str | tuple[str, int]:
    load_shop(me(), shop_id, "program.create")
    form = ProgramForm()
    problems: list[str] = []
    if form.validate_on_submit():
        body, problems = validate(ProgramIn, given(_program_data(form)), form)
        if body is not None:
            created = services.create_program(me(), shop_id, **body.model_dump(mode="json"))
            flash(f"The program {created.name} is ready; add its tasks.", "success")
            return redirect(url_for("program_pages.program", program_id=created.id))
    status = 422 if form.errors or problems else 200
    return render_template(
        "programs/form.html", form=form, problems=problems, program=None, shop_id=shop_id
    ), status


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action="program.edit")
def edit_program(program_id: int) -> Response | str | tuple[str, int]:
    program = services.load_program(me(), program_id, "program.edit")
    form = ProgramForm(obj=program)
    problems: list[str] = []
    if form.validate_on_submit():
        data = {k: (v if v != "" else None) for k, v in _program_data(form).items()}
        body, problems = validate(ProgramPatch, data, form)
        if body is not None:
            result = attempt(
                lambda: services.update_program(
                    me(), program_id, body.model_dump(mode="json", exclude_unset=True)
                )
            )
            if not isinstance(result, AppError):
                flash("The program is saved.", "success")
                return redirect(url_for("program_pages.program", program_id=program_id))
            problems = place_errors(form, [("", result.detail)])
    status = 422 if form.errors or problems else 200
    return render_template(
        "programs/form.html", form=form, problems=problems, program=program, shop_id=None
    ), status


def _task_data(form: TaskForm) -> dict[str, Any]:
    data: dict[str, Any] = given(
        {
            "name": form.name.data,
            "summary": form.summary.data,
            "description": form.description.data,
            "privacy_mode": form.privacy_mode.data,
            "point_value": form.point_value.data,
            "allows_partial": bool(form.allows_partial.data),
            "point_value_partial": form.point_value_partial.data,
            "allows_multiple": bool(form.allows_multiple.data),
            "max_multiple": form.max_multiple.data,
            "target": form.target.data,
            "deadline": aware(form.deadline.data),
        }
    )
    if form.frequency_quantity.data:
        data["frequency_settings"] = {
            "quantity": form.frequency_quantity.data,
            "time_unit_quantity": form.frequency_span.data or 1,
            "time_unit": form.frequency_unit.data,
        }
    bonus: dict[str, Any] = given(
        {
            "first_time_only": form.first_time_bonus.data,
            "reach_total": form.completion_bonus.data,
        }
    )
    if form.streak_length.data or form.streak_points.data:
        bonus["streaks"] = [
            given(
                {
                    "length": form.streak_length.data,
                    "points": form.streak_points.data,
                    "period": form.streak_period.data,
                    "is_repeatable": bool(form.streak_repeats.data),
                }
            )
        ]
    if bonus:
        data["bonus_values"] = bonus
    return data


@bp.route("/programs/<int:program_id>/tasks/new", methods=["GET", "POST"])
@route(Access.USER, action="task.create")
def new_task(program_id: int) -> Response | str | tuple[str, int]:
    program = services.load_program(me(), program_id, "task.create")
    form = TaskForm()
    problems: list[str] = []
    if form.validate_on_submit():
        body, problems = validate(TaskIn, _task_data(form), form, TASK_FIELDS)
        if body is not None:
            fields = body.model_dump(exclude_unset=True)
            result = attempt(lambda: tasks.create_task(me(), program_id=program_id, fields=fields))
            if not isinstance(result, AppError):
                flash(f"The task {result.name} is ready to stamp.", "success")
                return redirect(url_for("program_pages.program", program_id=program_id))
            problems = place_errors(
                form, field_errors(result) or [("", result.detail)], TASK_FIELDS
            )
    status = 422 if form.errors or problems else 200
    return render_template(
        "programs/task_form.html", form=form, problems=problems, program=program
    ), status
