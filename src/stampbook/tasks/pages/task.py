"""The task page: a task's rules in plain words, my stamps and their notes, the stamps others
may see, the group's progress; stamping (myself, another member, a member found in the shop),
my notes on my stamps, and revoking."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.errors import AppError, Forbidden, NotFound
from stampbook.core.policy import Access, can, require, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import MembershipStatus, Program
from stampbook.programs.policy import membership_of, shop_of
from stampbook.programs.schemas import MembershipQuery
from stampbook.programs.words import points
from stampbook.shops import queries as shops_queries
from stampbook.shops.policy import ShopAction
from stampbook.tasks import queries, stamping, words
from stampbook.tasks.forms import MemberStampForm, NoteForm, StampForm, StampMemberForm
from stampbook.tasks.models import Stamp, Task
from stampbook.tasks.pages import MEMBER_CHOICES, member_label
from stampbook.tasks.policy import (
    RevokeAttempt,
    StampAttempt,
    TaskAction,
    may_stamp_others,
    program_of,
)
from stampbook.tasks.rules import TaskSettings, max_per_stamp
from stampbook.tasks.schemas import StampQuery
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import act, attempt, from_cursor, local_time, safe_next

bp = PageBlueprint("task_pages", __name__)
bp.add_app_template_filter(words.task_rules, "task_rules")

HISTORY = 20

# --- The task page --------------------------------------------------------------------------


def _chosen_member() -> int | None:
    wanted = request.args.get("membership_id", "")
    return int(wanted) if wanted.isdigit() and 0 < len(wanted) < 19 else None


def _most_at_once(settings: TaskSettings, my_total: int) -> tuple[int, str]:
    """The largest quantity one stamp may ask for, by the task's settings for the member,
    and the words saying why, for the stamp form's field (its ``max`` and its hint)."""
    most = max_per_stamp(settings)
    hint = ngettext(
        "One stamp counts at most %(num)s time.", "One stamp counts at most %(num)s times.", most
    )
    frequency = settings.frequency_settings
    if frequency is not None and frequency.quantity < most:
        most = frequency.quantity
        hint = ngettext(
            "At most %(num)s at once: the task allows no more in its period.",
            "At most %(num)s at once: the task allows no more in its period.",
            most,
        )
    if settings.target is not None and 0 < settings.target - my_total < most:
        most = settings.target - my_total
        hint = ngettext(
            "At most %(num)s more: then your target is reached.",
            "At most %(num)s more: then your target is reached.",
            most,
        )
    return most, hint


def _task_page(
    task_id: int,
    *,
    note: tuple[int, NoteForm] | None = None,
    typed: StampForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = current_user()
    task = queries.get_task(actor, task_id)
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
    settings = queries.effective_settings(task, mine.id) if mine is not None else None
    group_total, my_total = queries.task_progress(task, mine.id if mine is not None else None)
    more = (request.args.to_dict() | {"cursor": next_cursor}) if next_cursor else None
    most, most_hint = _most_at_once(settings, my_total) if settings is not None else (None, None)
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
        rules=words.task_rules(settings or task, program),
        own_rules=settings is not None and settings != task.settings(),
        target=(settings.target if settings is not None else task.target),
        group_total=group_total,
        my_total=my_total,
        may_stamp=mine is not None
        and live
        and can(actor, TaskAction.TASK_STAMP, StampAttempt(task, mine)),
        may_stamp_others=live and may_stamp_others(actor, task, program),
        may_edit=live and can(actor, TaskAction.TASK_EDIT, task),
        may_override=live and can(actor, TaskAction.TASK_OVERRIDE, task),
        stamp_form=typed or StampForm(),
        typed=typed,
        most=most,
        most_hint=most_hint,
        note=note,
        note_form=NoteForm(),
        action_form=ActionForm(),
    ), status


@bp.get("/tasks/<int:task_id>")
@route(Access.PUBLIC, action=TaskAction.TASK_VIEW)
def task(task_id: int) -> tuple[str, int]:
    return _task_page(task_id)


# --- Stamping -------------------------------------------------------------------------------


@bp.post("/tasks/<int:task_id>/stamp")
@route(Access.USER, action=TaskAction.TASK_STAMP, idempotent=True)
def stamp(task_id: int) -> Response | tuple[str, int]:
    task = queries.get_task(me(), task_id)
    form = StampForm()
    back = safe_next(url_for("program_pages.program", program_id=task.program_id))
    if not form.validate_on_submit():
        flash(_("The stamp needs a membership and a quantity of at least 1."), "danger")
        return redirect(back, 303)
    result = act(
        lambda: stamping.stamp_task(
            me(),
            task_id=task_id,
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
            partial=bool(form.partial.data),
            note=form.note.data or None,
        ),
        lambda stamped: words.earned(
            stamped.points, stamped.breakdown, task.name, program_of(task)
        ),
        refused=lambda error: _("%(task)s: %(problem)s", task=task.name, problem=error.detail),
    )
    if isinstance(result, AppError) and back == url_for("task_pages.task", task_id=task_id):
        # Refused from my own stamp form on the task page: show it again as I filled it in.
        mine = membership_of(me(), program_of(task))
        if mine is not None and form.membership_id.data == mine.id:
            return _task_page(task_id, typed=form, status=result.status)
    return redirect(back, 303)


@bp.get("/tasks/<int:task_id>/stamp-member")
@route(Access.USER, action=TaskAction.TASK_STAMP)
def stamp_member(task_id: int) -> str:
    """Stamp another member of the program: the team, or members where they stamp each other."""
    task = queries.get_task(me(), task_id)
    program = program_of(task)
    if program.is_archived or not may_stamp_others(me(), task, program):
        raise Forbidden(action=TaskAction.TASK_STAMP)
    found = programs_queries.list_memberships(
        me(), program.id, MembershipQuery(limit=MEMBER_CHOICES, status=MembershipStatus.ACTIVE)
    )
    names = programs_queries.membership_owners(m.id for m in found.items)
    form = StampMemberForm()
    form.membership_id.choices = options((m.id, member_label(m, names)) for m in found.items)
    return render_template("tasks/stamp_member.html", task=task, program=program, form=form)


@bp.post("/shops/<int:shop_id>/stamp")
@route(Access.USER, action=TaskAction.TASK_STAMP, idempotent=True)
def stamp_found_member(shop_id: int) -> Response:
    shops_queries.load_shop(me(), shop_id, ShopAction.SHOP_SEARCH_MEMBERS)
    form = MemberStampForm()
    back = url_for("shop_pages.find_member", shop_id=shop_id, q=request.form.get("q", ""))
    if not form.validate_on_submit():
        flash(_("Choose a task and a quantity of at least 1."), "danger")
        return redirect(back, 303)
    act(
        lambda: stamping.stamp_task(
            me(),
            task_id=int(form.task_id.data or 0),
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
        ),
        lambda stamped: words.earned(
            stamped.points, stamped.breakdown, named=_program_of_stamp(stamped.stamp)
        ),
    )
    return redirect(back, 303)


def _program_of_stamp(stamp: Stamp) -> Program:
    """The program whose points a stamp earned (its task's, both loaded by the stamping)."""
    return program_of(queries.get_task(me(), stamp.task_id))


# --- My notes, revoking ---------------------------------------------------------------------


def _stamp_of(actor: User, stamp_id: int) -> tuple[Stamp, Task]:
    """A stamp of a task the actor sees, and that task (404 otherwise)."""
    stamp = queries.get_stamp(stamp_id)
    if stamp is None:
        raise NotFound(thing="stamp")
    return stamp, queries.get_task(actor, stamp.task_id)


@bp.post("/stamps/<int:stamp_id>/note")
@route(Access.USER, action=TaskAction.STAMP_ANNOTATE)
def note(stamp_id: int) -> Response | tuple[str, int]:
    """Write (or clear) my personal note on one of my stamps."""
    stamp, task = _stamp_of(me(), stamp_id)
    require(me(), TaskAction.STAMP_ANNOTATE, stamp)
    form = NoteForm()
    if not form.validate_on_submit():
        return _task_page(task.id, note=(stamp.id, form), status=422)
    result = attempt(
        lambda: stamping.annotate_stamp(me(), stamp_id=stamp_id, note=form.note.data or None)
    )
    if isinstance(result, AppError):
        form.note.errors = [result.detail]
        return _task_page(task.id, note=(stamp.id, form), status=result.status)
    flash(_("Your note is saved.") if result.note else _("Your note is removed."), "success")
    return redirect(safe_next(url_for("task_pages.task", task_id=task.id)), 303)


@bp.route("/stamps/<int:stamp_id>/revoke", methods=["GET", "POST"])
@route(Access.USER, action=TaskAction.STAMP_REVOKE, idempotent=True)
def revoke(stamp_id: int) -> Response | str:
    """Take a stamp back, after a confirmation: what it earned is reversed."""
    stamp, task = _stamp_of(me(), stamp_id)
    back = safe_next(url_for("task_pages.task", task_id=task.id))
    form = ActionForm()
    if not form.validate_on_submit():
        require(me(), TaskAction.STAMP_REVOKE, RevokeAttempt(stamp, task, clock.now()))
        who = programs_queries.membership_owners([stamp.membership_id]).get(stamp.membership_id)
        return render_template(
            "tasks/confirm.html",
            form=form,
            title=_("Revoke this stamp of %(task)s?", task=task.name),
            lines=[
                _(
                    "Stamped for %(who)s on %(when)s: %(points)s.",
                    who=who or _("a customer"),
                    when=local_time(stamp.created_at),
                    points=points(stamp.points, program_of(task)),
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
    result = attempt(lambda: stamping.revoke_stamp(me(), stamp_id=stamp_id))
    if isinstance(result, AppError):
        if result.status in (403, 404):
            raise result
        flash(result.detail, "danger")
    else:
        flash(
            _(
                "The stamp is revoked: %(points)s taken back.",
                points=points(result.points, program_of(task)),
            ),
            "success",
        )
    return redirect(back, 303)
