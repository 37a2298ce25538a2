"""Program pages: a program with its tasks and stamp buttons, my streaks, the leaderboard,
members and group stats; joining and leaving; my points history; and the team's program
forms (create, edit, archive). The task pages are in ``stampbook.tasks.pages``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core import clock
from stampbook.core.errors import AppError, Conflict
from stampbook.core.pagination import HistoryQuery, PageQuery
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.ledger import queries as ledger
from stampbook.ledger import words as ledger_words
from stampbook.ledger.policy import LedgerAction
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.programs import queries, services
from stampbook.programs import queries as programs_queries
from stampbook.programs import words as program_words
from stampbook.programs.forms import (
    PROGRAM_FIELDS,
    SELF_STAMPING_HINT,
    HistoryFilterForm,
    MemberFilterForm,
    ProgramForm,
)
from stampbook.programs.models import Membership, MembershipStatus, Program, StampSystem
from stampbook.programs.policy import ProgramAction, membership_of, program_team, shop_of
from stampbook.programs.queries import get_program
from stampbook.programs.schemas import LeaderboardQuery, MembershipQuery, ProgramIn, ProgramPatch
from stampbook.shops.queries import load_shop
from stampbook.tasks import queries as task_queries
from stampbook.tasks import words
from stampbook.tasks.policy import StampAttempt, TaskAction
from stampbook.tasks.schemas import StatsQuery
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import (
    Unsaved,
    act,
    day_range,
    given,
    save,
    validate,
    viewer_zone,
)
from stampbook.ui.parts import program_parts

bp = PageBlueprint("program_pages", __name__)
# A program's points in its own words, on every page: ``{{ n | points(program) }}``.
bp.add_app_template_filter(program_words.points, "points")
bp.add_app_template_global(program_words.points, "points")

LEADERBOARD_PLACES = 10
FULL_LEADERBOARD = 100
MEMBERS_PER_PAGE = 50
ENTRIES_PER_PAGE = 30


@bp.get("/programs/<int:program_id>")
@route(Access.PUBLIC, action=ProgramAction.PROGRAM_VIEW)
def program(program_id: int) -> str:
    actor = current_user()
    program = programs_queries.load_program(actor, program_id)
    mine = membership_of(actor, program)
    if mine is not None:
        programs_queries.settle_due([mine])
    task_list, _cursor = task_queries.list_tasks(actor, program_id, PageQuery(limit=200))
    live = not program.is_archived
    stampable = (
        {t.id for t in task_list if can(actor, TaskAction.TASK_STAMP, StampAttempt(t, mine))}
        if mine is not None and live
        else set()
    )
    stats = (
        task_queries.program_stats(actor, program_id, StatsQuery())
        if can(actor, TaskAction.PROGRAM_VIEW_STATS, program)
        else None
    )
    return render_template(
        "programs/program.html",
        program=program,
        shop=shop_of(program),
        mine=mine,
        expiring=_expiring(mine, program),
        tasks=task_list,
        stampable=stampable,
        streaks=_streak_lines(
            task_queries.my_streaks(actor, program, task_list, clock.now()), program
        ),
        leaderboard=queries.leaderboard(
            actor, program_id, LeaderboardQuery(limit=LEADERBOARD_PLACES)
        ).items,
        stats=stats,
        may_join=mine is None
        and actor is not None
        and live
        and can(actor, ProgramAction.MEMBERSHIP_JOIN, program),
        may_leave=mine is not None,
        may_edit=live and can(actor, ProgramAction.PROGRAM_EDIT, program),
        may_delete=live and can(actor, ProgramAction.PROGRAM_DELETE, program),
        may_merge=live and can(actor, ProgramAction.PROGRAM_MERGE, program),
        may_manage_members=live and can(actor, ProgramAction.MEMBERSHIP_MANAGE, program),
        # Its customers' list, imports and points activity (loyalty's pages).
        may_see_customers=can(actor, LoyaltyAction.CUSTOMERS_VIEW, program),
        may_add_task=live and can(actor, TaskAction.TASK_CREATE, program),
        join_form=ActionForm(),
        parts=program_parts(actor, program, mine),
    )


def _streak_lines(
    streaks: list[task_queries.StreakProgress], program: Program
) -> list[tuple[task_queries.StreakProgress, str, list[str]]]:
    """Each streak in progress, said, with how far each of its next bonuses is."""
    lines = []
    for streak in streaks:
        upcoming = [
            words.next_streak_bonus(bonus, streak.length, program) for bonus in streak.bonuses
        ]
        lines.append(
            (
                streak,
                words.streak_now(streak.length, streak.period, current=streak.current),
                [said for said in upcoming if said],
            )
        )
    return lines


@bp.post("/programs/<int:program_id>/join")
@route(Access.USER, action=ProgramAction.MEMBERSHIP_JOIN)
def join(program_id: int) -> Response:
    act(lambda: services.join(me(), program_id), _("Welcome aboard: you are a member now."))
    return redirect(url_for("program_pages.program", program_id=program_id), 303)


@bp.route("/programs/<int:program_id>/leave", methods=["GET", "POST"])
@route(Access.USER, action=ProgramAction.MEMBERSHIP_LEAVE)
def leave(program_id: int) -> Response | str:
    """Leave a program, after a confirmation: the points and history stay."""
    program = programs_queries.load_program(me(), program_id)
    mine = membership_of(me(), program)
    back = url_for("program_pages.program", program_id=program_id)
    if mine is None:
        flash(_("You are not a member of this program."), "danger")
        return redirect(back, 303)
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template(
            "tasks/confirm.html",
            form=form,
            title=_("Leave %(name)s?", name=program.name),
            lines=[
                ngettext(
                    "Your %(points)s stays with your membership: you can see it in your "
                    "points history, and it is yours again if you come back.",
                    "Your %(points)s stay with your membership: you can see them in "
                    "your points history, and they are yours again if you come back.",
                    mine.balance,
                    points=program_words.points(mine.balance, program),
                ),
                _("You will no longer stamp its tasks or spend its points."),
            ],
            button=_("Leave %(name)s", name=program.name),
            back=back,
        )
    left = act(
        lambda: services.end_membership(me(), mine.id),
        _("You left %(name)s; your points stay with you.", name=program.name),
    )
    if isinstance(left, AppError):
        return redirect(back, 303)
    return redirect(url_for("shop_pages.shop", shop_id=program.shop_id), 303)


@bp.get("/programs/<int:program_id>/leaderboard")
@route(Access.PUBLIC, action=ProgramAction.PROGRAM_VIEW)
def leaderboard(program_id: int) -> str:
    actor = current_user()
    program = programs_queries.load_program(actor, program_id)
    board = queries.leaderboard(actor, program_id, LeaderboardQuery(limit=FULL_LEADERBOARD))
    return render_template(
        "programs/leaderboard.html",
        program=program,
        shop=shop_of(program),
        mine=membership_of(actor, program),
        leaderboard=board.items,
    )


@bp.get("/programs/<int:program_id>/members")
@route(Access.PUBLIC, action=ProgramAction.MEMBERSHIP_VIEW)
def members(program_id: int) -> str:
    """The program's members and balances, as the API lists them (privacy decides)."""
    actor = current_user()
    program = programs_queries.load_program(actor, program_id)
    team = actor is not None and (actor.is_admin or program_team(actor, program) is not None)
    form = MemberFilterForm(request.args)
    form.validate()
    status = form.status.data if team and form.status.data else None
    try:
        query = MembershipQuery(
            limit=MEMBERS_PER_PAGE,
            cursor=request.args.get("cursor") or None,
            status=MembershipStatus(status) if status else None,
        )
    except (ValidationError, ValueError):  # a mangled cursor or status: start again
        query = MembershipQuery(limit=MEMBERS_PER_PAGE)
    found = queries.list_memberships(actor, program_id, query)
    more = (request.args.to_dict() | {"cursor": found.next_cursor}) if found.next_cursor else None
    return render_template(
        "programs/members.html",
        program=program,
        shop=shop_of(program),
        members=found.items,
        names=programs_queries.membership_owners(m.id for m in found.items),
        team=team,
        may_manage=team and can(actor, ProgramAction.MEMBERSHIP_MANAGE, program),
        histories={
            m.id for m in found.items if can(actor, LedgerAction.MEMBERSHIP_VIEW_ENTRIES, m)
        },
        role_words=program_words.ROLE_WORDS,
        member_statuses=program_words.MEMBER_STATUSES,
        form=form,
        more=more,
    )


@bp.route("/programs/<int:program_id>/delete", methods=["GET", "POST"])
@route(Access.USER, action=ProgramAction.PROGRAM_DELETE)
def delete_program(program_id: int) -> Response | str | tuple[str, int]:
    """Archive a program (the shop's managers), after a confirmation."""
    program = programs_queries.load_program(me(), program_id, ProgramAction.PROGRAM_DELETE)
    back = url_for("program_pages.program", program_id=program_id)
    form = ActionForm()
    if not form.validate_on_submit():
        if program.is_archived:
            raise Conflict(code="archived")
        return render_template(
            "tasks/confirm.html",
            form=form,
            title=_("Archive %(name)s?", name=program.name),
            lines=[
                _(
                    "Its members can no longer join, stamp or spend its points; their balances "
                    "and histories stay readable."
                ),
                _("This cannot be undone."),
            ],
            button=_("Archive %(name)s", name=program.name),
            danger=True,
            back=back,
        )
    archived = act(
        lambda: services.delete_program(me(), program_id),
        _("The program %(name)s is archived.", name=program.name),
    )
    if isinstance(archived, AppError):
        return redirect(back, 303)
    return redirect(url_for("shop_pages.shop", shop_id=program.shop_id), 303)


@bp.get("/memberships/<int:membership_id>/history")
@route(Access.USER, action=LedgerAction.MEMBERSHIP_VIEW_ENTRIES)
def points_history(membership_id: int) -> tuple[str, int]:
    """A membership's points: every ledger entry, newest first, by period, page by page."""
    membership = programs_queries.load_membership(
        me(), membership_id, LedgerAction.MEMBERSHIP_VIEW_ENTRIES
    )
    form = HistoryFilterForm(request.args)
    form.validate()
    since, until = day_range(form.since.data, form.until.data)
    try:
        query = HistoryQuery(
            limit=ENTRIES_PER_PAGE,
            cursor=request.args.get("cursor") or None,
            since=since,
            until=until,
        )
    except ValidationError:  # a mangled cursor: start from the newest
        query = HistoryQuery(limit=ENTRIES_PER_PAGE)
    entries, next_cursor = ledger.history(me(), membership_id, query)
    program = get_program(membership.program_id)
    stamps = task_queries.stamp_tasks(
        int(e.cause_id)
        for e in entries
        if e.cause_type == "stamp" and e.cause_id is not None and e.cause_id.isdigit()
    )
    more = (request.args.to_dict() | {"cursor": next_cursor}) if next_cursor else None
    owner = (
        None
        if membership.user_id == me().id
        else programs_queries.membership_owners([membership.id]).get(membership.id)
    )
    return render_template(
        "programs/history.html",
        membership=membership,
        program=program,
        shop=shop_of(program),
        owner=owner,
        entries=entries,
        stamps=stamps,
        entry_kinds=ledger_words.ENTRY_KINDS,
        cause_words=ledger_words.CAUSE_WORDS,
        form=form,
        more=more,
        zone=viewer_zone().key,
    ), 422 if form.errors else 200


def _expiring(mine: Membership | None, program: Program) -> list[tuple[int, datetime]]:
    """The member's next expiring points, each with the last moment they can be spent."""
    if mine is None:
        return []
    return [
        (soon.points, soon.expires_at - timedelta(microseconds=1))
        for soon in programs_queries.expiring_points(mine, program)
    ]


def _program_data(form: ProgramForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in PROGRAM_FIELDS}


@bp.route("/shops/<int:shop_id>/programs/new", methods=["GET", "POST"])
@route(Access.USER, action=ProgramAction.PROGRAM_CREATE)
def new_program(shop_id: int) -> Response | str | tuple[str, int]:
    shop = load_shop(me(), shop_id, ProgramAction.PROGRAM_CREATE)
    form = ProgramForm()
    problems: list[str] = []
    if form.validate_on_submit():
        body, problems = validate(ProgramIn, given(_program_data(form)), form)
        if body is not None:
            created = services.create_program(me(), shop_id, **body.model_dump(mode="json"))
            flash(_("The program %(name)s is ready; add its tasks.", name=created.name), "success")
            if created.stamp_system_type != StampSystem.STAMPERS:
                flash(str(SELF_STAMPING_HINT), "warning")
            return redirect(url_for("program_pages.program", program_id=created.id))
    status = 422 if form.errors or problems else 200
    return render_template(
        "programs/form.html", form=form, problems=problems, program=None, shop=shop
    ), status


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=ProgramAction.PROGRAM_EDIT)
def edit_program(program_id: int) -> Response | str | tuple[str, int]:
    program = programs_queries.load_program(me(), program_id, ProgramAction.PROGRAM_EDIT)
    form = ProgramForm(obj=program)
    problems: list[str] = []
    if form.validate_on_submit():
        data = {k: (v if v != "" else None) for k, v in _program_data(form).items()}
        saved = save(
            validate(ProgramPatch, data, form),
            lambda body: services.update_program(
                me(), program_id, body.model_dump(mode="json", exclude_unset=True)
            ),
            lambda error: [error.detail],
        )
        if not isinstance(saved, Unsaved):
            flash(_("The program is saved."), "success")
            return redirect(url_for("program_pages.program", program_id=program_id))
        problems = saved.problems
    status = 422 if form.errors or problems else 200
    return render_template(
        "programs/form.html", form=form, problems=problems, program=program, shop=None
    ), status
