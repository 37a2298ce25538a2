"""Task pages: a task's rules in plain words, my stamps and their notes, the stamps others
may see, revoking, the group's progress; stamping; and the team's task forms (every option,
bonuses as rows), deletion and per-member overrides.

The views belong to the program pages' blueprint (``program_pages``: one blueprint, two
modules); ``stampbook.programs.pages.program`` imports this module once its blueprint exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response
from wtforms import FieldList, Form, FormField

from stampbook.accounts.auth import current_user, me
from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.errors import AppError, Forbidden, NotFound
from stampbook.core.policy import Access, can, require, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs import queries as program_queries
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import MembershipStatus, Program, StampSystem
from stampbook.programs.policy import membership_of, program_team, shop_of
from stampbook.programs.schemas import MembershipQuery
from stampbook.shops import queries as shops_queries
from stampbook.tasks import queries, services, words
from stampbook.tasks.forms import (
    BONUS_LISTS,
    OVERRIDE_FIELDS,
    TASK_FIELDS,
    MemberStampForm,
    NoteForm,
    OverrideForm,
    PickMemberForm,
    StampForm,
    StampMemberForm,
    TaskForm,
)
from stampbook.tasks.models import Stamp, Task
from stampbook.tasks.policy import RevokeAttempt, StampAttempt, may_stamp_as_team, program_of
from stampbook.tasks.rules import BonusValues
from stampbook.tasks.schemas import OverrideIn, StampQuery, TaskIn, TaskPatch
from stampbook.ui.forms import IDENTITY_FIELDS, ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    act,
    attempt,
    aware,
    from_cursor,
    given,
    local_time,
    refusal_errors,
    safe_next,
    save,
    viewer_zone,
)
from stampbook.ui.schedule_forms import place_form_errors, validate_form

bp = PageBlueprint("task_pages", __name__)

HISTORY = 20
MEMBER_CHOICES = 200
DETAILS = (*IDENTITY_FIELDS, "privacy_mode")
OPTIONS = (
    "point_value",
    "point_value_partial",
    "max_multiple",
    "target",
    "group_target",
)

# --- The task page --------------------------------------------------------------------------


def _chosen_member() -> int | None:
    wanted = request.args.get("membership_id", "")
    return int(wanted) if wanted.isdigit() and 0 < len(wanted) < 19 else None


def _task_page(
    task_id: int, *, note: tuple[int, NoteForm] | None = None, status: int = 200
) -> tuple[str, int]:
    actor = current_user()
    task = services.get_task(actor, task_id)
    program = program_of(task)
    mine = membership_of(actor, program)
    live = not program.is_archived
    own: list[Stamp] = []
    if mine is not None:
        found, _cursor = queries.stamp_history(
            actor, task_id, StampQuery(membership_id=mine.id, limit=HISTORY)
        )
        own = list(found)
    chosen = _chosen_member()
    history, next_cursor = queries.stamp_history(
        actor, task_id, from_cursor(StampQuery, limit=HISTORY, membership_id=chosen)
    )
    now = clock.now()
    settings = services.effective_settings(task, mine.id) if mine is not None else None
    group_total, my_total = queries.task_progress(task, mine.id if mine is not None else None)
    more = (request.args.to_dict() | {"cursor": next_cursor}) if next_cursor else None
    return render_template(
        "tasks/task.html",
        task=task,
        program=program,
        shop=shop_of(program),
        mine=mine,
        own=own,
        history=history,
        chosen=chosen,
        more=more,
        owners=programs_queries.membership_owners([s.membership_id for s in history]),
        revocable=queries.revocable(actor, [*own, *history], task, now),
        rules=words.task_rules(settings or task),
        own_rules=settings is not None and settings != task.settings(),
        target=(settings.target if settings is not None else task.target),
        group_total=group_total,
        my_total=my_total,
        may_stamp=mine is not None and live and can(actor, "task.stamp", StampAttempt(task, mine)),
        may_stamp_others=_may_stamp_others(actor, task, program),
        may_edit=live and can(actor, "task.edit", task),
        may_override=live and can(actor, "task.override", task),
        stamp_form=StampForm(),
        note=note,
        note_form=NoteForm(),
        action_form=ActionForm(),
    ), status


@bp.get("/tasks/<int:task_id>")
@route(Access.PUBLIC, action="task.view")
def task(task_id: int) -> tuple[str, int]:
    return _task_page(task_id)


@bp.post("/tasks/<int:task_id>/stamp")
@route(Access.USER, action="task.stamp", idempotent=True)
def stamp(task_id: int) -> Response:
    task = services.get_task(me(), task_id)
    form = StampForm()
    back = safe_next(url_for("program_pages.program", program_id=task.program_id))
    if not form.validate_on_submit():
        flash(_("The stamp needs a membership and a quantity of at least 1."), "danger")
        return redirect(back, 303)
    act(
        lambda: services.stamp_task(
            me(),
            task_id=task_id,
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
            partial=bool(form.partial.data),
            note=form.note.data or None,
        ),
        lambda stamped: words.earned(stamped.points, stamped.breakdown, task.name),
        refused=lambda error: _("%(task)s: %(problem)s", task=task.name, problem=error.detail),
    )
    return redirect(back, 303)


def _may_stamp_others(actor: User | None, task: Task, program: Program) -> bool:
    """Whether the page offers stamping other members (the stamp itself is checked again)."""
    if actor is None or program.is_archived:
        return False
    if actor.is_admin or may_stamp_as_team(actor, program_team(actor, program), task):
        return True
    members_stamp = program.stamp_system_type == StampSystem.MEMBERS
    return members_stamp and membership_of(actor, program) is not None


@bp.get("/tasks/<int:task_id>/stamp-member")
@route(Access.USER, action="task.stamp")
def stamp_member(task_id: int) -> str:
    """Stamp another member of the program: the team, or members where they stamp each other."""
    task = services.get_task(me(), task_id)
    program = program_of(task)
    if not _may_stamp_others(me(), task, program):
        raise Forbidden(_("You may not stamp other members on this task."))
    found = program_queries.list_memberships(
        me(), program.id, MembershipQuery(limit=MEMBER_CHOICES, status=MembershipStatus.ACTIVE)
    )
    names = programs_queries.membership_owners(m.id for m in found.items)
    form = StampMemberForm()
    form.membership_id.choices = options((m.id, _member_label(m, names)) for m in found.items)
    return render_template("tasks/stamp_member.html", task=task, program=program, form=form)


# --- My notes, revoking ---------------------------------------------------------------------


def _stamp_of(actor: User, stamp_id: int) -> tuple[Stamp, Task]:
    """A stamp of a task the actor sees, and that task (404 otherwise)."""
    stamp = queries.get_stamp(stamp_id)
    if stamp is None:
        raise NotFound(_("No such stamp."))
    return stamp, services.get_task(actor, stamp.task_id)


@bp.post("/stamps/<int:stamp_id>/note")
@route(Access.USER, action="stamp.annotate")
def note(stamp_id: int) -> Response | tuple[str, int]:
    """Write (or clear) my personal note on one of my stamps."""
    stamp, task = _stamp_of(me(), stamp_id)
    require(me(), "stamp.annotate", stamp)
    form = NoteForm()
    if not form.validate_on_submit():
        return _task_page(task.id, note=(stamp.id, form), status=422)
    result = attempt(
        lambda: services.annotate_stamp(me(), stamp_id=stamp_id, note=form.note.data or None)
    )
    if isinstance(result, AppError):
        form.note.errors = [result.detail]
        return _task_page(task.id, note=(stamp.id, form), status=result.status)
    flash(_("Your note is saved.") if result.note else _("Your note is removed."), "success")
    return redirect(safe_next(url_for("task_pages.task", task_id=task.id)), 303)


@bp.route("/stamps/<int:stamp_id>/revoke", methods=["GET", "POST"])
@route(Access.USER, action="stamp.revoke", idempotent=True)
def revoke(stamp_id: int) -> Response | str:
    """Take a stamp back, after a confirmation: what it earned is reversed."""
    stamp, task = _stamp_of(me(), stamp_id)
    back = safe_next(url_for("task_pages.task", task_id=task.id))
    form = ActionForm()
    if not form.validate_on_submit():
        require(me(), "stamp.revoke", RevokeAttempt(stamp, task, clock.now()))
        who = programs_queries.membership_owners([stamp.membership_id]).get(stamp.membership_id)
        return render_template(
            "tasks/confirm.html",
            form=form,
            title=_("Revoke this stamp of %(task)s?", task=task.name),
            lines=[
                ngettext(
                    "Stamped for %(who)s on %(when)s: %(num)s point.",
                    "Stamped for %(who)s on %(when)s: %(num)s points.",
                    stamp.points,
                    who=who or _("a customer"),
                    when=local_time(stamp.created_at),
                ),
                _(
                    "Its points, and the bonuses it no longer earns, are taken back. If they "
                    "were spent already, the stamp cannot be revoked."
                ),
            ],
            button=_("Revoke the stamp"),
            danger=True,
            back=back,
            next=back,
        )
    result = attempt(lambda: services.revoke_stamp(me(), stamp_id=stamp_id))
    if isinstance(result, AppError):
        if result.status in (403, 404):
            raise result
        flash(result.detail, "danger")
    else:
        flash(
            ngettext(
                "The stamp is revoked: %(num)s point taken back.",
                "The stamp is revoked: %(num)s points taken back.",
                result.points,
            ),
            "success",
        )
    return redirect(back, 303)


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
@route(Access.USER, action="task.create")
def new_task(program_id: int) -> Response | tuple[str, int]:
    program = programs_queries.load_program(me(), program_id, "task.create")
    form = TaskForm()
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
            return redirect(url_for("program_pages.program", program_id=program_id))
        problems = saved.problems
    return _task_form_page(form, problems, program=program, task=None)


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
@route(Access.USER, action="task.edit")
def edit_task(task_id: int) -> Response | tuple[str, int]:
    task = services.get_task(me(), task_id, "task.edit")
    program = program_of(task)
    form = TaskForm(data=_form_values(task))
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
@route(Access.USER, action="task.delete")
def delete_task(task_id: int) -> Response | str:
    task = services.get_task(me(), task_id, "task.delete")
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


def _member_label(membership: Any, names: Mapping[int, str]) -> str:
    return (
        names.get(membership.id)
        or membership.email
        or membership.external_id
        or _("Member %(id)s", id=membership.id)
    )


@bp.get("/tasks/<int:task_id>/overrides")
@route(Access.USER, action="task.override")
def overrides(task_id: int) -> Response | str:
    """The members with their own settings of a task, and a choice of whom to give some."""
    task, rows = queries.list_overrides(me(), task_id)
    pick = PickMemberForm(request.args)
    if pick.membership_id.raw_data and pick.membership_id.raw_data[0].isdigit():
        chosen = int(pick.membership_id.raw_data[0])
        return redirect(url_for("task_pages.override", task_id=task_id, membership_id=chosen), 303)
    found = program_queries.list_memberships(
        me(),
        task.program_id,
        MembershipQuery(limit=MEMBER_CHOICES, status=MembershipStatus.ACTIVE),
    )
    names = programs_queries.membership_owners(
        [*(m.id for m in found.items), *(r.membership_id for r in rows)]
    )
    pick.membership_id.choices = options((m.id, _member_label(m, names)) for m in found.items)
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
@route(Access.USER, action="task.override")
def override(task_id: int, membership_id: int) -> Response | tuple[str, int]:
    """One member's own target, deadline, frequency and times for a task."""
    task = services.get_task(me(), task_id, "task.override")
    membership = programs_queries.load_membership(me(), membership_id)
    if membership.program_id != task.program_id:
        raise NotFound(_("No such membership in this task's program."))
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
            return redirect(url_for("task_pages.overrides", task_id=task_id), 303)
        problems = saved.problems
    names = programs_queries.membership_owners([membership.id])
    status = 422 if problems or _has_errors(form) else 200
    return render_template(
        "tasks/override_form.html",
        task=task,
        program=program_of(task),
        membership=membership,
        who=_member_label(membership, names),
        row=row,
        current=words.override_rules(row) if row is not None else [],
        form=form,
        problems=problems,
        remove_form=ActionForm(),
    ), status


@bp.post("/tasks/<int:task_id>/overrides/<int:membership_id>/delete")
@route(Access.USER, action="task.override")
def delete_override(task_id: int, membership_id: int) -> Response:
    services.get_task(me(), task_id, "task.override")
    act(
        lambda: services.delete_override(me(), task_id=task_id, membership_id=membership_id),
        _("Their own settings are removed: the task's apply."),
    )
    return redirect(url_for("task_pages.overrides", task_id=task_id), 303)


@bp.post("/shops/<int:shop_id>/stamp")
@route(Access.USER, action="task.stamp", idempotent=True)
def stamp_found_member(shop_id: int) -> Response:
    shops_queries.load_shop(me(), shop_id, "shop.search_members")
    form = MemberStampForm()
    back = url_for("shop_pages.find_member", shop_id=shop_id, q=request.form.get("q", ""))
    if not form.validate_on_submit():
        flash(_("Choose a task and a quantity of at least 1."), "danger")
        return redirect(back, 303)
    act(
        lambda: services.stamp_task(
            me(),
            task_id=int(form.task_id.data or 0),
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
        ),
        lambda stamped: words.earned(stamped.points, stamped.breakdown),
    )
    return redirect(back, 303)
