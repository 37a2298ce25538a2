"""People pages: a user's page as their privacy allows, my buddies (requests, blocks), my
messages, posts and reviews; and my own account's settings (profile, privacy, ordering,
stars, email, deleting the account). They call the people and accounts services, as the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import current_user, me
from stampbook.accounts.policy import AccountAction
from stampbook.core.db import db
from stampbook.core.errors import AppError, NotFound
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.people import (
    buddy_queries,
    limits,
    message_queries,
    post_queries,
    queries,
    services,
    shared_queries,
)
from stampbook.people.forms import (
    BuddyAskForm,
)
from stampbook.people.policy import PeopleAction
from stampbook.people.schemas import (
    BuddyRequestQuery,
    PostQuery,
    UserSections,
)
from stampbook.programs import queries as programs_queries
from stampbook.programs.words import PointsNames
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import (
    act,
    attempt,
    cursor_arg,
    go_back,
    safe_next,
)

bp = PageBlueprint("people_pages", __name__)

BUDDIES_PER_PAGE = 50
LISTED = 100  # requests and blocks shown at once
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
        g.people_waiting = Waiting(*shared_queries.waiting_counts(user.id))
    found: Waiting = g.people_waiting
    return found


@bp.app_context_processor
def _badges() -> dict[str, Any]:
    return {"waiting": waiting}


# --- A user's page ----------------------------------------------------------------------------


def _points_names(sections: UserSections) -> dict[int, PointsNames]:
    """The names of the points of each program whose balance the page shows (the programs
    its sections loaded already: no query)."""
    shown = sections.programs
    lines = [*(shown.joined or []), *(shown.managed or []), *(shown.assisted or [])]
    return {m.program_id: programs_queries.points_names(m.program_id) for m in lines}


@bp.get("/users/<int:user_id>")
@route(Access.PUBLIC, action=AccountAction.USER_VIEW)
def user(user_id: int) -> str:
    viewer = current_user()
    owner, sections = queries.user_page(viewer, user_id)
    posts = post_queries.list_posts(
        viewer, PostQuery(author_id=owner.id, limit=POSTS_ON_USER_PAGE), authors=[owner]
    )
    pending = None
    if viewer is not None and sections.relationship in ("request_sent", "request_received"):
        pending = buddy_queries.pending_request_between(viewer.id, owner.id)
    return render_template(
        "people/user.html",
        owner=owner,
        sections=sections,
        points_in=_points_names(sections),
        posts=posts.items,
        more_posts=posts.next_cursor is not None,
        names=post_queries.post_subject_names(viewer, posts.items),
        pending=pending,
        form=ActionForm(),
    )


# --- Buddies, requests, blocks ----------------------------------------------------------------


def _buddies_page(form: BuddyAskForm | None = None, status: int = 200) -> tuple[str, int]:
    actor = me()
    try:
        page = PageQuery(limit=BUDDIES_PER_PAGE, cursor=cursor_arg())
    except ValidationError:  # pragma: no cover - _cursor only passes well-formed cursors
        page = PageQuery(limit=BUDDIES_PER_PAGE)
    mine = buddy_queries.my_buddies(actor, page)
    incoming = buddy_queries.buddy_requests(
        actor, BuddyRequestQuery(direction="incoming", limit=LISTED)
    )
    outgoing = buddy_queries.buddy_requests(
        actor, BuddyRequestQuery(direction="outgoing", limit=LISTED)
    )
    return render_template(
        "people/buddies.html",
        buddies=mine.items,
        next_cursor=mine.next_cursor,
        incoming=incoming.items,
        outgoing=outgoing.items,
        blocks=buddy_queries.my_blocks(actor, PageQuery(limit=LISTED)).items,
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
@limits.buddy_request
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
            form.email.errors = [result.detail]
        return _buddies_page(form, result.status)
    flash(_asked(result), "success")
    return redirect(url_for("people_pages.buddies"), 303)


@bp.post("/users/<int:user_id>/buddy-request")
@route(Access.USER)
@limits.buddy_request
def ask_user(user_id: int) -> Response:
    act(lambda: services.send_request(me(), user_id=user_id), _asked)
    return go_back(url_for("people_pages.user", user_id=user_id))


@bp.post("/buddy-requests/<int:request_id>/accept")
@route(Access.USER, action=PeopleAction.BUDDY_REQUEST_RESPOND)
def accept_request(request_id: int) -> Response:
    act(
        lambda: services.accept_request(me(), request_id),
        _("You are buddies now."),
    )
    return go_back(url_for("people_pages.buddies"))


@bp.post("/buddy-requests/<int:request_id>/decline")
@route(Access.USER, action=PeopleAction.BUDDY_REQUEST_RESPOND)
def decline_request(request_id: int) -> Response:
    act(
        lambda: services.decline_request(me(), request_id),
        _("Request declined."),
        category="info",
    )
    return go_back(url_for("people_pages.buddies"))


@bp.post("/buddy-requests/<int:request_id>/cancel")
@route(Access.USER, action=PeopleAction.BUDDY_REQUEST_CANCEL)
def cancel_request(request_id: int) -> Response:
    act(
        lambda: services.cancel_request(me(), request_id),
        _("Your buddy request is cancelled."),
        category="info",
    )
    return go_back(url_for("people_pages.buddies"))


@bp.post("/buddies/<int:user_id>/remove")
@route(Access.USER)
def remove_buddy(user_id: int) -> Response:
    act(
        lambda: services.remove_buddy(me(), user_id=user_id),
        _("You are no longer buddies."),
        category="info",
    )
    return go_back(url_for("people_pages.buddies"))


@bp.route("/users/<int:user_id>/block", methods=["GET", "POST"])
@route(Access.USER)
def block(user_id: int) -> Response | str:
    """Say what blocking does, then block (a POST from this page)."""
    actor = me()
    other = message_queries.correspondent(actor, user_id) if user_id != actor.id else None
    if other is None:
        raise NotFound(thing="user")
    form = ActionForm()
    if form.validate_on_submit():
        act(
            lambda: services.block(actor, user_id=user_id),
            _("%(name)s is blocked.", name=other.name),
            category="info",
        )
        return go_back(url_for("people_pages.buddies"))
    back = safe_next(url_for("people_pages.buddies"))
    return render_template("people/block.html", other=other, form=form, back=back)


@bp.post("/users/<int:user_id>/unblock")
@route(Access.USER)
def unblock(user_id: int) -> Response:
    act(
        lambda: services.unblock(me(), user_id=user_id),
        _("Unblocked."),
        category="info",
    )
    return go_back(url_for("people_pages.buddies"))


# --- Messages ---------------------------------------------------------------------------------


# --- Posts and reviews ------------------------------------------------------------------------


# --- My settings ------------------------------------------------------------------------------
