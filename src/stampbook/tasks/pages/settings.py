"""The team's task pages: creating a task, editing it (every option, bonuses as rows),
deleting it, and members' own settings of it (per-member overrides)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import FieldList, Form, FormField

from stampbook.accounts.auth import me
from stampbook.core.errors import AppError, NotFound
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import MembershipStatus, StampSystem
from stampbook.programs.schemas import MembershipQuery
from stampbook.tasks import queries, services, words
from stampbook.tasks.forms import (
    BONUS_LISTS,
    OVERRIDE_FIELDS,
    TASK_FIELDS,
    OverrideForm,
    PickMemberForm,
    TaskForm,
)
from stampbook.tasks.models import Task
from stampbook.tasks.pages import MEMBER_CHOICES, member_label
from stampbook.tasks.policy import TaskAction, program_of
from stampbook.tasks.rules import BonusValues
from stampbook.tasks.schemas import OverrideIn, TaskIn, TaskPatch
from stampbook.ui.forms import IDENTITY_FIELDS, ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    act,
    aware,
    given,
    refusal_errors,
    save,
    viewer_zone,
)
from stampbook.ui.schedule_forms import place_form_errors, validate_form

bp = PageBlueprint("task_settings_pages", __name__)

DETAILS = (*IDENTITY_FIELDS, "privacy_mode")
OPTIONS = (
    "point_value",
    "point_value_partial",
    "max_multiple",
    "target",
    "group_target",
)

# --- Creating, editing, deleting a task ------------------------------------------------------


def _bonus_values(form: TaskForm) -> dict[str, Any]:
    bonus: dict[str, Any] = given(
        {
            "first_time_only": form.first_time_bonus.data,
            "reach_total": form.completion_bonus.data,
        }
    )
    for field_name, schema_name in BONUS_LISTS.items():
        bonus[schema_name] = getattr(form, field_name).value()
    if form.group_success_points.data is not None or form.group_success_min_members.data:
        bonus["group_success"] = given(
            {
                "points": form.group_success_points.data,
                "group_min_members": form.group_success_min_members.data,
            }
        )
    return bonus


def _frequency(form: TaskForm | OverrideForm) -> dict[str, Any] | None:
    if form.frequency_quantity.data is None:
        return None
    return {
        "quantity": form.frequency_quantity.data,
        "time_unit_quantity": form.frequency_span.data or 1,
        "time_unit": form.frequency_unit.data,
    }


def _availability(form: TaskForm | OverrideForm) -> dict[str, Any]:
    return {
        "must_stamp_during": bool(form.must_stamp_during.data),
        "schedules": form.schedules.value(),
    }


def _task_data(form: TaskForm, *, patch: bool) -> dict[str, Any]:
    """What the form says, as ``TaskIn`` (new) or ``TaskPatch`` (edit: empty clears)."""
    data: dict[str, Any] = {name: getattr(form, name).data for name in (*DETAILS, *OPTIONS)}
    data |= {
        "allows_partial": bool(form.allows_partial.data),
        "allows_multiple": bool(form.allows_multiple.data),
        "deadline": aware(form.deadline.data),
        "frequency_settings": _frequency(form),
        "availability_settings": _availability(form),
        "bonus_values": _bonus_values(form),
    }
    if patch:
        return {k: (None if v == "" else v) for k, v in data.items()}
    return given(data)


# The rules between a task's options, said for the form (the API's words name its fields).
SETTING_WORDS = {
    "Required when allows_partial is true.": _l("Needed when partial stamps are allowed."),
    "Must not exceed point_value.": _l("At most the points per stamp."),
    "Needs allows_multiple.": _l("Tick “One stamp may count several times” first."),
    "Required when must_stamp_during is true.": _l(
        "Say when the task is open, or untick the box refusing stamps at other times."
    ),
    "A completion bonus needs a target.": _l("Needs a target per member."),
    "A group success bonus needs a group_target.": _l("Needs a target of everyone together."),
    "Two bonuses have the same threshold.": _l("Two of these bonuses have the same threshold."),
}


def _refused(form: Form, fields: Mapping[str, str]) -> Callable[[AppError], list[str]]:
    """Where a service's refusal of a task's form goes: in words, next to the fields it names
    (``fields`` renames schema paths); what names no field is shown above the form."""

    def place(error: AppError) -> list[str]:
        said = [(field, str(SETTING_WORDS.get(m, m))) for field, m in refusal_errors(error)]
        return place_form_errors(form, said, fields)

    return place


def _has_errors(form: Form) -> bool:
    """Whether any input holds an error, inside rows and schedules too."""
    for field in form:
        if isinstance(field, FieldList):
            if getattr(field, "list_errors", None) or any(
                _has_errors(entry.form) if isinstance(entry, FormField) else entry.errors
                for entry in field.entries
            ):
                return True
        elif isinstance(field, FormField):
            if _has_errors(field.form):
                return True
        elif field.errors:
            return True
    return False


def _more_rows(form: TaskForm) -> bool:
    """The "another row" buttons: show the form again, with a blank row after the rows
    filled in (every list keeps one), and save nothing."""
    return request.method == "POST" and request.form.get("more", "") in BONUS_LISTS


def _task_form_page(
    form: TaskForm, problems: list[str], *, program: Any, task: Task | None
) -> tuple[str, int]:
    status = 422 if problems or _has_errors(form) else 200
    return render_template(
        "tasks/task_form.html", form=form, problems=problems, program=program, task=task
    ), status


@bp.route("/programs/<int:program_id>/tasks/new", methods=["GET", "POST"])
@route(Access.USER, action=TaskAction.TASK_CREATE)
def new_task(program_id: int) -> Response | tuple[str, int]:
    program = programs_queries.load_program(me(), program_id, TaskAction.TASK_CREATE)
    self_stamped = program.stamp_system_type != StampSystem.STAMPERS
    # Members who stamp themselves start from a limit: once a day, which the team may change.
    preset = self_stamped and request.method == "GET"
    form = TaskForm(data={"frequency_quantity": 1} if preset else None)
    problems: list[str] = []
    if not _more_rows(form) and form.validate_on_submit():
        saved = save(
            validate_form(TaskIn, _task_data(form, patch=False), form, TASK_FIELDS),
            lambda body: services.create_task(
                me(), program_id=program_id, fields=body.model_dump(exclude_unset=True)
            ),
            _refused(form, TASK_FIELDS),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The task %(name)s is ready to stamp.", name=saved.name), "success")
            if self_stamped and _unlimited(saved):
                flash(str(UNLIMITED_WARNING), "warning")
            return redirect(url_for("program_pages.program", program_id=program_id))
        problems = saved.problems
    if self_stamped and request.method == "GET":
        flash(str(SELF_STAMPING_NOTE), "warning")
    return _task_form_page(form, problems, program=program, task=None)


SELF_STAMPING_NOTE = _l(
    "Members stamp themselves in this program: the task starts with a limit of one stamp a "
    "day. Change it, or set opening times or a target; without any limit a member can give "
    "themself as many stamps as they like."
)
UNLIMITED_WARNING = _l(
    "This task has no limit and its members stamp themselves: they can give themselves as "
    "many stamps as they like. Edit it to set how often, when, or up to what target."
)


def _unlimited(task: Task) -> bool:
    """Nothing bounds how many stamps a member gives themself: no frequency, no times that
    refuse stamps, no target (a deadline only says until when)."""
    availability = task.availability_settings or {}
    return (
        not task.frequency_settings
        and not (availability.get("must_stamp_during") and availability.get("schedules"))
        and task.target is None
    )


def _local_wall(moment: datetime | None) -> datetime | None:
    """An instant as the viewer's wall clock shows it, for a ``datetime-local`` field."""
    return None if moment is None else moment.astimezone(viewer_zone()).replace(tzinfo=None)


def _form_values(task: Task) -> dict[str, Any]:
    """The task's options as the form's fields hold them."""
    bonus = BonusValues.model_validate(task.bonus_values or {})
    frequency = task.frequency_settings or {}
    success = bonus.group_success
    values: dict[str, Any] = {name: getattr(task, name) for name in (*DETAILS, *OPTIONS)}
    values |= {
        "allows_partial": task.allows_partial,
        "allows_multiple": task.allows_multiple,
        "deadline": _local_wall(task.deadline),
        "frequency_quantity": frequency.get("quantity"),
        "frequency_span": frequency.get("time_unit_quantity", 1),
        "frequency_unit": frequency.get("time_unit", "day"),
        "must_stamp_during": (task.availability_settings or {}).get("must_stamp_during", False),
        "schedules": (task.availability_settings or {}).get("schedules", []),
        "first_time_bonus": bonus.first_time_only or None,
        "completion_bonus": bonus.reach_total or None,
        "group_success_points": success.points if success else None,
        "group_success_min_members": success.group_min_members if success else None,
    }
    for field_name, schema_name in BONUS_LISTS.items():
        values[field_name] = [item.model_dump() for item in getattr(bonus, schema_name)]
    return values


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=TaskAction.TASK_EDIT)
def edit_task(task_id: int) -> Response | tuple[str, int]:
    task = queries.get_task(me(), task_id, TaskAction.TASK_EDIT)
    program = program_of(task)
    form = TaskForm(data=_form_values(task))
    if (
        request.method == "GET"
        and program.stamp_system_type != StampSystem.STAMPERS
        and _unlimited(task)
    ):
        flash(str(UNLIMITED_WARNING), "warning")
    problems: list[str] = []
    if not _more_rows(form) and form.validate_on_submit():
        saved = save(
            validate_form(TaskPatch, _task_data(form, patch=True), form, TASK_FIELDS),
            lambda body: services.update_task(
                me(), task_id=task_id, changes=body.model_dump(exclude_unset=True)
            ),
            _refused(form, TASK_FIELDS),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The task %(name)s is saved.", name=saved.name), "success")
            return redirect(url_for("task_pages.task", task_id=task_id))
        problems = saved.problems
    return _task_form_page(form, problems, program=program, task=task)


@bp.route("/tasks/<int:task_id>/delete", methods=["GET", "POST"])
@route(Access.USER, action=TaskAction.TASK_DELETE)
def delete_task(task_id: int) -> Response | str:
    task = queries.get_task(me(), task_id, TaskAction.TASK_DELETE)
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template(
            "tasks/confirm.html",
            form=form,
            title=_("Delete the task %(name)s?", name=task.name),
            lines=[
                _(
                    "Nobody can stamp it any more. The stamps made and the points they earned "
                    "stay with the members."
                ),
                _("This cannot be undone."),
            ],
            button=_("Delete the task"),
            danger=True,
            back=url_for("task_pages.task", task_id=task.id),
        )
    services.delete_task(me(), task_id=task_id)
    flash(_("The task %(name)s is deleted.", name=task.name), "success")
    return redirect(url_for("program_pages.program", program_id=task.program_id), 303)


# --- Per-member overrides --------------------------------------------------------------------


@bp.get("/tasks/<int:task_id>/overrides")
@route(Access.USER, action=TaskAction.TASK_OVERRIDE)
def overrides(task_id: int) -> Response | str:
    """The members with their own settings of a task, and a choice of whom to give some."""
    task, rows = queries.list_overrides(me(), task_id)
    pick = PickMemberForm(request.args)
    if pick.membership_id.raw_data and pick.membership_id.raw_data[0].isdigit():
        chosen = int(pick.membership_id.raw_data[0])
        return redirect(
            url_for("task_settings_pages.override", task_id=task_id, membership_id=chosen), 303
        )
    found = programs_queries.list_memberships(
        me(),
        task.program_id,
        MembershipQuery(limit=MEMBER_CHOICES, status=MembershipStatus.ACTIVE),
    )
    names = programs_queries.membership_owners(
        [*(m.id for m in found.items), *(r.membership_id for r in rows)]
    )
    pick.membership_id.choices = options((m.id, member_label(m, names)) for m in found.items)
    return render_template(
        "tasks/overrides.html",
        task=task,
        program=program_of(task),
        rows=rows,
        names=names,
        pick=pick,
        form=ActionForm(),
        override_rules=words.override_rules,
    )


def _override_values(row: Any) -> dict[str, Any]:
    if row is None:
        return {}
    settings = row.settings()
    frequency = settings.frequency_settings
    availability = settings.availability_settings
    return {
        "target": settings.target,
        "deadline": _local_wall(settings.deadline),
        "frequency_quantity": frequency.quantity if frequency else None,
        "frequency_span": frequency.time_unit_quantity if frequency else 1,
        "frequency_unit": frequency.time_unit.value if frequency else "day",
        "own_availability": availability is not None,
        "must_stamp_during": availability.must_stamp_during if availability else False,
        "schedules": availability.schedules if availability else [],
    }


def _override_data(form: OverrideForm) -> dict[str, Any]:
    return {
        "target": form.target.data,
        "deadline": aware(form.deadline.data),
        "frequency_settings": _frequency(form),
        "availability_settings": _availability(form) if form.own_availability.data else None,
    }


@bp.route("/tasks/<int:task_id>/overrides/<int:membership_id>", methods=["GET", "POST"])
@route(Access.USER, action=TaskAction.TASK_OVERRIDE)
def override(task_id: int, membership_id: int) -> Response | tuple[str, int]:
    """One member's own target, deadline, frequency and times for a task."""
    task = queries.get_task(me(), task_id, TaskAction.TASK_OVERRIDE)
    membership = programs_queries.load_membership(me(), membership_id)
    if membership.program_id != task.program_id:
        raise NotFound(thing="task_membership")
    row = queries.get_override(me(), task_id, membership_id)
    form = OverrideForm(data=_override_values(row))
    problems: list[str] = []
    if form.validate_on_submit():
        saved = save(
            validate_form(OverrideIn, _override_data(form), form, OVERRIDE_FIELDS),
            lambda body: services.set_override(
                me(), task_id=task_id, membership_id=membership_id, fields=body.model_dump()
            ),
            _refused(form, OVERRIDE_FIELDS),
        )
        if not isinstance(saved, Unsaved):
            flash(_("Their own settings are saved."), "success")
            return redirect(url_for("task_settings_pages.overrides", task_id=task_id), 303)
        problems = saved.problems
    names = programs_queries.membership_owners([membership.id])
    status = 422 if problems or _has_errors(form) else 200
    return render_template(
        "tasks/override_form.html",
        task=task,
        program=program_of(task),
        membership=membership,
        who=member_label(membership, names),
        row=row,
        current=words.override_rules(row) if row is not None else [],
        form=form,
        problems=problems,
        remove_form=ActionForm(),
    ), status


@bp.post("/tasks/<int:task_id>/overrides/<int:membership_id>/delete")
@route(Access.USER, action=TaskAction.TASK_OVERRIDE)
def delete_override(task_id: int, membership_id: int) -> Response:
    queries.get_task(me(), task_id, TaskAction.TASK_OVERRIDE)
    act(
        lambda: services.delete_override(me(), task_id=task_id, membership_id=membership_id),
        _("Their own settings are removed: the task's apply."),
    )
    return redirect(url_for("task_settings_pages.overrides", task_id=task_id), 303)
