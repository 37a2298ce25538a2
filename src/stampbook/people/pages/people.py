"""People pages: a user's page as their privacy allows, my buddies (requests, blocks), my
messages, posts and reviews; and my own account's settings (profile, privacy, ordering,
stars, email, deleting the account). They call the people and accounts services, as the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import current_user, me
from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import AppError, Forbidden, NotFound
from stampbook.core.extensions import limiter
from stampbook.core.pagination import CURSOR_PATTERN, MAX_ID, PageQuery
from stampbook.core.policy import Access, require, route
from stampbook.core.routing import PageBlueprint
from stampbook.core.wording import say
from stampbook.people import queries, services
from stampbook.people.api import per_user
from stampbook.people.forms import (
    BuddyAskForm,
    MessageEditForm,
    MessageForm,
    PostEditForm,
    PostFilterForm,
    PostForm,
    ReviewForm,
)
from stampbook.people.models import PostAudience
from stampbook.people.schemas import (
    BuddyRequestQuery,
    MessageIn,
    MessagePatch,
    MessageQuery,
    PostIn,
    PostOut,
    PostPatch,
    PostQuery,
)
from stampbook.programs import queries as programs_queries
from stampbook.tasks import queries as tasks_queries
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    act,
    attempt,
    place_errors,
    safe_next,
    save,
    validate,
)

bp = PageBlueprint("people_pages", __name__)

BUDDIES_PER_PAGE = 50
LISTED = 100  # requests and blocks shown at once
CONVERSATIONS_PER_PAGE = 30
MESSAGES_PER_PAGE = 30
POSTS_PER_PAGE = 20
POSTS_ON_USER_PAGE = 5


# --- What every page shows: the navigation's badges -------------------------------------------


@dataclass(frozen=True)
class Waiting:
    messages: int  # unread
    requests: int  # buddy requests waiting for my answer


def waiting() -> Waiting | None:
    """What waits for the signed-in user, once per request (one query); nothing for
    visitors, nor on an error page drawn after the request's transaction ended."""
    user = current_user()
    if user is None or not db.session.in_transaction():
        return None
    if "people_waiting" not in g:
        g.people_waiting = Waiting(*queries.waiting_counts(user.id))
    found: Waiting = g.people_waiting
    return found


@bp.app_context_processor
def _badges() -> dict[str, Any]:
    return {"waiting": waiting}


def _cursor() -> str | None:
    cursor = request.args.get("cursor", "")
    return cursor if re.fullmatch(CURSOR_PATTERN, cursor) else None


def _back(default: str) -> Response:
    return redirect(safe_next(default), 303)


# --- A user's page ----------------------------------------------------------------------------


def _names(viewer: User | None, posts: Iterable[PostOut]) -> dict[tuple[str, int], str]:
    posts = list(posts)
    return queries.subject_names(
        viewer,
        program_ids=(p.program_id for p in posts),
        reward_ids=(p.reward_id for p in posts),
        task_ids=(p.task_id for p in posts),
    )


@bp.get("/users/<int:user_id>")
@route(Access.PUBLIC, action="user.view")
def user(user_id: int) -> str:
    viewer = current_user()
    owner, sections = queries.user_page(viewer, user_id)
    posts = queries.list_posts(
        viewer, PostQuery(author_id=owner.id, limit=POSTS_ON_USER_PAGE), authors=[owner]
    )
    pending = None
    if viewer is not None and sections.relationship in ("request_sent", "request_received"):
        pending = queries.pending_request_between(viewer.id, owner.id)
    return render_template(
        "people/user.html",
        owner=owner,
        sections=sections,
        posts=posts.items,
        more_posts=posts.next_cursor is not None,
        names=_names(viewer, posts.items),
        pending=pending,
        form=ActionForm(),
    )


# --- Buddies, requests, blocks ----------------------------------------------------------------


def _buddies_page(form: BuddyAskForm | None = None, status: int = 200) -> tuple[str, int]:
    actor = me()
    try:
        page = PageQuery(limit=BUDDIES_PER_PAGE, cursor=_cursor())
    except ValidationError:  # pragma: no cover - _cursor only passes well-formed cursors
        page = PageQuery(limit=BUDDIES_PER_PAGE)
    mine = queries.my_buddies(actor, page)
    incoming = queries.buddy_requests(actor, BuddyRequestQuery(direction="incoming", limit=LISTED))
    outgoing = queries.buddy_requests(actor, BuddyRequestQuery(direction="outgoing", limit=LISTED))
    return render_template(
        "people/buddies.html",
        buddies=mine.items,
        next_cursor=mine.next_cursor,
        incoming=incoming.items,
        outgoing=outgoing.items,
        blocks=queries.my_blocks(actor, PageQuery(limit=LISTED)).items,
        form=form or BuddyAskForm(),
        action=ActionForm(),
    ), status


@bp.get("/buddies")
@route(Access.USER)
def buddies() -> tuple[str, int]:
    return _buddies_page()


def _asked(result: Any) -> str:
    if result.status == "accepted":
        return str(_("They had asked you already: you are buddies now."))
    return str(_("Buddy request sent."))


@bp.post("/buddies")
@route(Access.USER)
@limiter.limit(lambda: current_app.config["BUDDY_REQUEST_RATE_LIMIT"], key_func=per_user)
def ask_by_email() -> Response | tuple[str, int]:
    form = BuddyAskForm()
    if not form.validate_on_submit():
        return _buddies_page(form, 422)
    found = accounts_queries.find_by_email(form.email.data or "")

    def ask() -> Any:
        if found is None or found.is_deleted:
            raise NotFound()
        return services.send_request(me(), user_id=found.id)

    result = attempt(ask)
    if isinstance(result, AppError):
        if result.status == 404:
            form.email.errors = [_("Nobody you can ask has this email.")]
        else:
            form.email.errors = [say(result)]
        return _buddies_page(form, result.status)
    flash(_asked(result), "success")
    return redirect(url_for("people_pages.buddies"), 303)


@bp.post("/users/<int:user_id>/buddy-request")
@route(Access.USER)
@limiter.limit(lambda: current_app.config["BUDDY_REQUEST_RATE_LIMIT"], key_func=per_user)
def ask_user(user_id: int) -> Response:
    act(lambda: services.send_request(me(), user_id=user_id), _asked, refused=say)
    return _back(url_for("people_pages.user", user_id=user_id))


@bp.post("/buddy-requests/<int:request_id>/accept")
@route(Access.USER, action="buddy_request.respond")
def accept_request(request_id: int) -> Response:
    act(
        lambda: services.accept_request(me(), request_id),
        _("You are buddies now."),
        refused=say,
    )
    return _back(url_for("people_pages.buddies"))


@bp.post("/buddy-requests/<int:request_id>/decline")
@route(Access.USER, action="buddy_request.respond")
def decline_request(request_id: int) -> Response:
    act(
        lambda: services.decline_request(me(), request_id),
        _("Request declined."),
        refused=say,
        category="info",
    )
    return _back(url_for("people_pages.buddies"))


@bp.post("/buddy-requests/<int:request_id>/cancel")
@route(Access.USER, action="buddy_request.cancel")
def cancel_request(request_id: int) -> Response:
    act(
        lambda: services.cancel_request(me(), request_id),
        _("Your buddy request is cancelled."),
        refused=say,
        category="info",
    )
    return _back(url_for("people_pages.buddies"))


@bp.post("/buddies/<int:user_id>/remove")
@route(Access.USER)
def remove_buddy(user_id: int) -> Response:
    act(
        lambda: services.remove_buddy(me(), user_id=user_id),
        _("You are no longer buddies."),
        refused=lambda _error: _("This person is not your buddy."),
        category="info",
    )
    return _back(url_for("people_pages.buddies"))


@bp.route("/users/<int:user_id>/block", methods=["GET", "POST"])
@route(Access.USER)
def block(user_id: int) -> Response | str:
    """Say what blocking does, then block (a POST from this page)."""
    actor = me()
    other = queries.correspondent(actor, user_id) if user_id != actor.id else None
    if other is None:
        raise NotFound("No such user.")
    form = ActionForm()
    if form.validate_on_submit():
        act(
            lambda: services.block(actor, user_id=user_id),
            _("%(name)s is blocked.", name=other.name),
            refused=say,
            category="info",
        )
        return _back(url_for("people_pages.buddies"))
    back = safe_next(url_for("people_pages.buddies"))
    return render_template("people/block.html", other=other, form=form, back=back)


@bp.post("/users/<int:user_id>/unblock")
@route(Access.USER)
def unblock(user_id: int) -> Response:
    act(
        lambda: services.unblock(me(), user_id=user_id),
        _("Unblocked."),
        refused=say,
        category="info",
    )
    return _back(url_for("people_pages.buddies"))


# --- Messages ---------------------------------------------------------------------------------


@bp.get("/messages")
@route(Access.USER)
def conversations() -> str:
    page = queries.conversations(me(), PageQuery(limit=CONVERSATIONS_PER_PAGE, cursor=_cursor()))
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
    other = queries.correspondent(actor, user_id)
    try:
        query = MessageQuery(with_user_id=other.id, limit=MESSAGES_PER_PAGE, cursor=_cursor())
    except ValidationError:  # pragma: no cover - _cursor only passes well-formed cursors
        query = MessageQuery(with_user_id=other.id, limit=MESSAGES_PER_PAGE)
    page = queries.messages(actor, query)
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
        names=queries.subject_names(
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
@limiter.limit(lambda: current_app.config["MESSAGE_RATE_LIMIT"], key_func=per_user)
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
    result = attempt(lambda: services.send_message(me(), **body.model_dump()))
    if isinstance(result, AppError):
        target = form.about if result.status == 404 and _about(form.about.data) else form.body
        target.errors = [say(result)]
        return _conversation_page(user_id, form, result.status)
    seen = _an_id(form.seen.data)
    if seen is not None:  # a reply: theirs up to the newest shown are read
        services.mark_read(me(), user_id=user_id, up_to_id=seen)
    flash(_("Message sent."), "success")
    return redirect(url_for("people_pages.conversation", user_id=user_id, _anchor="reply"), 303)


@bp.post("/messages/with/<int:user_id>/read")
@route(Access.USER)
def mark_read(user_id: int) -> Response:
    up_to = _an_id(request.form.get("up_to_id"))
    marked = act(
        lambda: services.mark_read(me(), user_id=user_id, up_to_id=up_to),
        lambda count: ngettext(
            "%(num)d message marked read.", "%(num)d messages marked read.", count
        ),
        refused=say,
        category="info",
    )
    if isinstance(marked, AppError):
        return redirect(url_for("people_pages.conversations"), 303)
    return redirect(url_for("people_pages.conversation", user_id=user_id), 303)


@bp.route("/messages/<int:message_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action="message.edit")
def edit_message(message_id: int) -> Response | tuple[str, int]:
    message = services.own_message(me(), message_id)
    form = MessageEditForm(obj=message)
    problems: list[str] = []
    if form.validate_on_submit():
        body, problems = validate(MessagePatch, {"body": form.body.data}, form)
        if body is not None:
            services.edit_message(me(), message_id, body=body.body)
            flash(_("Message edited."), "success")
            return redirect(url_for("people_pages.conversation", user_id=message.to_user_id), 303)
    return render_template(
        "people/message_edit.html",
        form=form,
        problems=problems,
        message=message,
        other=queries.refs([message.to_user_id])[message.to_user_id],
    ), 422 if form.errors or problems else 200


@bp.post("/messages/<int:message_id>/delete")
@route(Access.USER, action="message.delete")
def delete_message(message_id: int) -> Response:
    found = attempt(lambda: services.own_message(me(), message_id))
    if isinstance(found, AppError):
        flash(say(found), "danger")
        return redirect(url_for("people_pages.conversations"), 303)
    other = found.to_user_id
    services.delete_message(me(), message_id)
    flash(_("Message deleted."), "info")
    return redirect(url_for("people_pages.conversation", user_id=other), 303)


# --- Posts and reviews ------------------------------------------------------------------------

FILTERS = ("program_id", "author_id", "reward_id", "task_id")


def _filters() -> tuple[PostQuery, bool]:
    """The list's filters from the query string (all posts, and a word, when mangled)."""
    wanted = {k: v for k, v in request.args.items() if k in FILTERS and v not in ("", "0")}
    try:
        return PostQuery.model_validate(
            {**wanted, "limit": POSTS_PER_PAGE, "cursor": _cursor()}
        ), True
    except ValidationError:
        return PostQuery(limit=POSTS_PER_PAGE), False


def _post_choices(form: PostForm) -> None:
    mine = programs_queries.membership_lines(me().id)
    form.program_id.choices = options(
        [(0, _("No program")), *((m.program_id, f"{m.shop_name} · {m.program_name}") for m in mine)]
    )
    buddies = queries.my_buddies(me(), PageQuery(limit=200)).items
    form.recipient_ids.choices = options((b.user.id, b.user.name) for b in buddies)


def _an_id(text: str | None) -> int | None:
    """An id typed in a hidden field or a form (None when it could be no id)."""
    if text is None or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def _review_target(
    form: ReviewForm | None = None, wanted: PostQuery | None = None
) -> queries.ReviewTarget | None:
    reward_id = task_id = None
    if form is not None:
        reward_id, task_id = _an_id(form.reward_id.data), _an_id(form.task_id.data)
    elif wanted is not None:
        reward_id, task_id = wanted.reward_id, wanted.task_id
    if reward_id is None and task_id is None:
        return None
    if reward_id is not None and task_id is not None:
        return None
    return queries.review_target(me(), reward_id=reward_id, task_id=task_id)


def _posts_page(
    *,
    post_form: PostForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    viewer = current_user()
    wanted, understood = _filters()
    found = queries.list_posts(viewer, wanted)
    target = None
    if viewer is not None:
        target = _review_target(review_form, wanted)
        if target is not None:
            review_form = review_form or ReviewForm(
                reward_id=target.item_id if target.kind == "reward" else "",
                task_id=target.item_id if target.kind == "task" else "",
            )
            review_form.program_id.choices = options(target.programs)
        else:
            post_form = post_form or PostForm(program_id=wanted.program_id or 0)
            _post_choices(post_form)
    names = _names(viewer, found.items)
    names |= queries.subject_names(
        viewer,
        program_ids=[wanted.program_id],
        reward_ids=[wanted.reward_id],
        task_ids=[wanted.task_id],
    )
    filter_form = PostFilterForm(request.args)
    filter_form.program_id.choices = options(
        [(0, _("All programs")), *((m.program_id, m.program_name) for m in _my_programs())]
    )
    more = request.args.to_dict() | {"cursor": found.next_cursor} if found.next_cursor else None
    return render_template(
        "people/posts.html",
        posts=found.items,
        wanted=wanted,
        understood=understood,
        names=names,
        more=more,
        target=target,
        post_form=post_form if target is None else None,
        review_form=review_form if target is not None else None,
        filter_form=filter_form,
        action=ActionForm(),
    ), status


def _my_programs() -> list[programs_queries.MembershipLine]:
    user = current_user()
    return programs_queries.membership_lines(user.id) if user is not None else []


@bp.get("/posts")
@route(Access.PUBLIC, action="post.view")
def posts() -> tuple[str, int]:
    return _posts_page()


@bp.post("/posts")
@route(Access.USER, idempotent=True)
@limiter.limit(lambda: current_app.config["POST_RATE_LIMIT"], key_func=per_user)
def new_post() -> Response | tuple[str, int]:
    form = PostForm()
    _post_choices(form)
    if not form.validate_on_submit():
        return _posts_page(post_form=form, status=422)
    audience = form.audience.data
    data: dict[str, Any] = {"body": form.body.data, "audience": audience}
    if form.program_id.data:
        data["program_id"] = form.program_id.data
    if audience == PostAudience.PROGRAM and not form.program_id.data:
        form.program_id.errors = [_("Choose the program whose members will read it.")]
    if audience == PostAudience.INVITED:
        data["recipient_ids"] = list(form.recipient_ids.data or [])
        if not data["recipient_ids"]:
            form.recipient_ids.errors = [_("Choose at least one buddy.")]
    if form.errors:
        return _posts_page(post_form=form, status=422)
    body, problems = validate(PostIn, data, form, {"": "audience"})
    if body is None:
        form.body.errors = [*form.body.errors, *problems]
        return _posts_page(post_form=form, status=422)
    result = attempt(lambda: services.create_post(me(), **body.model_dump()))
    if isinstance(result, AppError):
        target = form.program_id if result.code == "not_a_member" else form.body
        target.errors = [say(result)]
        return _posts_page(post_form=form, status=result.status)
    post, _points = result
    flash(_("Posted."), "success")
    return redirect(url_for("people_pages.post", post_id=post.id), 303)


@bp.post("/posts/review")
@route(Access.USER, idempotent=True)
@limiter.limit(lambda: current_app.config["POST_RATE_LIMIT"], key_func=per_user)
def new_review() -> Response | tuple[str, int]:
    form = ReviewForm()
    target = _review_target(form)
    if target is None:
        raise NotFound("No such reward or task.")
    form.program_id.choices = options(target.programs)
    if not target.programs:
        form.program_id.errors = [_("Join one of its programs to review it.")]
        return _posts_page(review_form=form, status=403)
    if not form.validate_on_submit():
        return _posts_page(review_form=form, status=422)
    data = {
        "body": form.body.data,
        "audience": form.audience.data,
        "program_id": form.program_id.data,
        "rating": int(form.rating.data or 0),
        f"{target.kind}_id": target.item_id,
    }
    body, problems = validate(PostIn, data, form, {"": "body"})
    if body is None:
        form.body.errors = [*form.body.errors, *problems]
        return _posts_page(review_form=form, status=422)
    result = attempt(lambda: services.create_post(me(), **body.model_dump()))
    if isinstance(result, AppError):
        form.program_id.errors = [say(result)]
        return _posts_page(review_form=form, status=result.status)
    post, points = result
    if points:
        flash(
            ngettext(
                "Thank you for your review: the shop gave you %(num)d point.",
                "Thank you for your review: the shop gave you %(num)d points.",
                points,
            ),
            "success",
        )
    else:
        flash(_("Thank you for your review."), "success")
    return redirect(url_for("people_pages.post", post_id=post.id), 303)


def _one_post(post_id: int) -> tuple[Any, PostOut]:
    viewer = current_user()
    post = services.get_post(viewer, post_id)
    return post, queries.post_outs(viewer, [post])[0]


@bp.get("/posts/<int:post_id>")
@route(Access.PUBLIC, action="post.view")
def post(post_id: int) -> str:
    viewer = current_user()
    _post, shown = _one_post(post_id)
    recipients = queries.refs(shown.recipient_ids or [])
    return render_template(
        "people/post.html",
        post=shown,
        names=_names(viewer, [shown]),
        recipients=[recipients[i] for i in shown.recipient_ids or [] if i in recipients],
        action=ActionForm(),
    )


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action="post.edit")
def edit_post(post_id: int) -> Response | tuple[str, int]:
    post, shown = _one_post(post_id)
    require(me(), "post.edit", post)
    if post.author_id != me().id:  # as the service says: admins moderate, authors edit
        raise Forbidden("Only its author edits a post.")
    form = PostEditForm(obj=post)
    if post.rating is None:
        del form.rating
    elif request.method == "GET":
        form.rating.data = str(post.rating)
    unsaved = Unsaved([])
    if form.validate_on_submit():
        data: dict[str, Any] = {"body": form.body.data}
        if post.rating is not None:
            data["rating"] = int(form.rating.data or post.rating)
        saved = save(
            validate(PostPatch, data, form),
            lambda body: services.edit_post(me(), post_id, body.model_dump(exclude_unset=True)),
            lambda error: place_errors(form, [("body", say(error))]),
        )
        if not isinstance(saved, Unsaved):
            flash(_("Your post is saved."), "success")
            return redirect(url_for("people_pages.post", post_id=post_id), 303)
        unsaved = saved
    return render_template(
        "people/post_edit.html", form=form, problems=unsaved.problems, post=shown
    ), unsaved.status(bool(form.errors))


@bp.post("/posts/<int:post_id>/delete")
@route(Access.USER, action="post.delete")
def delete_post(post_id: int) -> Response:
    deleted = act(
        lambda: services.delete_post(me(), post_id),
        _("The post is deleted."),
        refused=say,
        category="info",
    )
    if isinstance(deleted, AppError):
        return _back(url_for("people_pages.post", post_id=post_id))
    target = safe_next(url_for("people_pages.posts"))
    if urlsplit(target).path == url_for("people_pages.post", post_id=post_id):
        target = url_for("people_pages.posts")  # the post's own page is gone with it
    return redirect(target, 303)


# --- My settings ------------------------------------------------------------------------------
