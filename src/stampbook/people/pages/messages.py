"""Private messages: conversations, writing, editing and deleting one's own."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.people import limits, message_queries, message_services, shared_queries
from stampbook.people.forms import (
    MessageEditForm,
    MessageForm,
)
from stampbook.people.policy import PeopleAction
from stampbook.people.schemas import (
    MessageIn,
    MessagePatch,
    MessageQuery,
)
from stampbook.programs import queries as programs_queries
from stampbook.tasks import queries as tasks_queries
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    act,
    attempt,
    cursor_arg,
    id_in,
    validate,
)

bp = PageBlueprint("message_pages", __name__)


CONVERSATIONS_PER_PAGE = 30


MESSAGES_PER_PAGE = 30


@bp.get("/messages")
@route(Access.USER)
def conversations() -> str:
    page = message_queries.conversations(
        me(), PageQuery(limit=CONVERSATIONS_PER_PAGE, cursor=cursor_arg())
    )
    return render_template(
        "people/conversations.html", conversations=page.items, next_cursor=page.next_cursor
    )


ABOUT = re.compile(r"^(shop|program|task)-([1-9][0-9]{0,17})$")


def _about_choices(form: MessageForm) -> None:
    """What a message may be about: my programs, their shops and their tasks."""
    mine = programs_queries.membership_lines(me().id)
    tasks = tasks_queries.tasks_of(m.program_id for m in mine)
    shops = sorted({m.shop_id: m.shop_name for m in mine}.items(), key=lambda s: s[1])
    form.about.choices = options(
        [
            ("", _("Nothing in particular")),
            *((f"shop-{i}", _("Shop: %(name)s", name=name)) for i, name in shops),
            *(
                (f"program-{m.program_id}", _("Program: %(name)s", name=m.program_name))
                for m in mine
            ),
            *(
                (f"task-{task_id}", _("Task: %(name)s", name=f"{m.program_name} · {name}"))
                for m in mine
                for task_id, name in tasks.get(m.program_id, [])
            ),
        ]
    )


def _about(value: str | None) -> dict[str, int]:
    found = ABOUT.match(value or "")
    return {f"{found.group(1)}_id": int(found.group(2))} if found else {}


def _conversation_page(
    user_id: int, form: MessageForm | None = None, status: int = 200
) -> tuple[str, int]:
    actor = me()
    other = message_queries.correspondent(actor, user_id)
    try:
        query = MessageQuery(with_user_id=other.id, limit=MESSAGES_PER_PAGE, cursor=cursor_arg())
    except ValidationError:  # pragma: no cover - _cursor only passes well-formed cursors
        query = MessageQuery(with_user_id=other.id, limit=MESSAGES_PER_PAGE)
    page = message_queries.messages(actor, query)
    shown = list(reversed(page.items))  # oldest first, as one reads
    if form is None:
        form = MessageForm()
        wanted = request.args.get("about", "")
        form.about.data = wanted if ABOUT.match(wanted) else ""
    _about_choices(form)
    form.seen.data = str(page.items[0].id) if page.items else ""
    unread = [m.id for m in shown if m.to_user_id == actor.id and m.read_at is None]
    return render_template(
        "people/conversation.html",
        other=other,
        messages=shown,
        older=page.next_cursor,
        unread=unread,
        names=shared_queries.subject_names(
            actor,
            shop_ids=(m.shop_id for m in shown),
            program_ids=(m.program_id for m in shown),
            task_ids=(m.task_id for m in shown),
        ),
        form=form,
        action=ActionForm(),
    ), status


@bp.get("/messages/with/<int:user_id>")
@route(Access.USER)
def conversation(user_id: int) -> tuple[str, int]:
    return _conversation_page(user_id)


MESSAGE_FIELDS = {"shop_id": "about", "program_id": "about", "task_id": "about"}


@bp.post("/messages/with/<int:user_id>")
@route(Access.USER)
@limits.message
def send_message(user_id: int) -> Response | tuple[str, int]:
    form = MessageForm()
    _about_choices(form)
    if not form.validate_on_submit():
        return _conversation_page(user_id, form, 422)
    data = {"to_user_id": user_id, "body": form.body.data, **_about(form.about.data)}
    body, problems = validate(MessageIn, data, form, MESSAGE_FIELDS)
    if body is None:
        form.body.errors = [*form.body.errors, *problems]
        return _conversation_page(user_id, form, 422)
    result = attempt(lambda: message_services.send_message(me(), **body.model_dump()))
    if isinstance(result, AppError):
        target = form.about if result.status == 404 and _about(form.about.data) else form.body
        target.errors = [result.detail]
        return _conversation_page(user_id, form, result.status)
    seen = id_in(form.seen.data)
    if seen is not None:  # a reply: theirs up to the newest shown are read
        message_services.mark_read(me(), user_id=user_id, up_to_id=seen)
    flash(_("Message sent."), "success")
    return redirect(url_for("message_pages.conversation", user_id=user_id, _anchor="reply"), 303)


@bp.post("/messages/with/<int:user_id>/read")
@route(Access.USER)
def mark_read(user_id: int) -> Response:
    up_to = id_in(request.form.get("up_to_id"))
    marked = act(
        lambda: message_services.mark_read(me(), user_id=user_id, up_to_id=up_to),
        lambda count: ngettext(
            "%(num)d message marked read.", "%(num)d messages marked read.", count
        ),
        category="info",
    )
    if isinstance(marked, AppError):
        return redirect(url_for("message_pages.conversations"), 303)
    return redirect(url_for("message_pages.conversation", user_id=user_id), 303)


@bp.route("/messages/<int:message_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=PeopleAction.MESSAGE_EDIT)
def edit_message(message_id: int) -> Response | tuple[str, int]:
    message = message_services.own_message(me(), message_id)
    form = MessageEditForm(obj=message)
    problems: list[str] = []
    if form.validate_on_submit():
        body, problems = validate(MessagePatch, {"body": form.body.data}, form)
        if body is not None:
            message_services.edit_message(me(), message_id, body=body.body)
            flash(_("Message edited."), "success")
            return redirect(url_for("message_pages.conversation", user_id=message.to_user_id), 303)
    return render_template(
        "people/message_edit.html",
        form=form,
        problems=problems,
        message=message,
        other=shared_queries.refs([message.to_user_id])[message.to_user_id],
    ), 422 if form.errors or problems else 200


@bp.post("/messages/<int:message_id>/delete")
@route(Access.USER, action=PeopleAction.MESSAGE_DELETE)
def delete_message(message_id: int) -> Response:
    found = attempt(lambda: message_services.own_message(me(), message_id))
    if isinstance(found, AppError):
        flash(found.detail, "danger")
        return redirect(url_for("message_pages.conversations"), 303)
    other = found.to_user_id
    message_services.delete_message(me(), message_id)
    flash(_("Message deleted."), "info")
    return redirect(url_for("message_pages.conversation", user_id=other), 303)
