"""Posts and reviews: the list, writing one, reading, editing and deleting one's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core.errors import AppError, Forbidden, NotFound
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, require, route
from stampbook.core.routing import PageBlueprint
from stampbook.people import buddy_queries, limits, post_queries, post_services, shared_queries
from stampbook.people.forms import (
    PostEditForm,
    PostFilterForm,
    PostForm,
    ReviewForm,
)
from stampbook.people.models import PostAudience
from stampbook.people.policy import PeopleAction
from stampbook.people.schemas import (
    PostIn,
    PostOut,
    PostPatch,
    PostQuery,
)
from stampbook.programs import queries as programs_queries
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    act,
    attempt,
    cursor_arg,
    go_back,
    id_in,
    place_errors,
    safe_next,
    save,
    validate,
)

bp = PageBlueprint("post_pages", __name__)

POSTS_PER_PAGE = 20


FILTERS = ("program_id", "author_id", "reward_id", "task_id")


def _filters() -> tuple[PostQuery, bool]:
    """The list's filters from the query string (all posts, and a word, when mangled)."""
    wanted = {k: v for k, v in request.args.items() if k in FILTERS and v not in ("", "0")}
    try:
        return PostQuery.model_validate(
            {**wanted, "limit": POSTS_PER_PAGE, "cursor": cursor_arg()}
        ), True
    except ValidationError:
        return PostQuery(limit=POSTS_PER_PAGE), False


def _post_choices(form: PostForm) -> None:
    mine = programs_queries.membership_lines(me().id)
    form.program_id.choices = options(
        [(0, _("No program")), *((m.program_id, f"{m.shop_name} · {m.program_name}") for m in mine)]
    )
    buddies = buddy_queries.my_buddies(me(), PageQuery(limit=200)).items
    form.recipient_ids.choices = options((b.user.id, b.user.name) for b in buddies)


def _review_target(
    form: ReviewForm | None = None, wanted: PostQuery | None = None
) -> post_queries.ReviewTarget | None:
    reward_id = task_id = None
    if form is not None:
        reward_id, task_id = id_in(form.reward_id.data), id_in(form.task_id.data)
    elif wanted is not None:
        reward_id, task_id = wanted.reward_id, wanted.task_id
    if reward_id is None and task_id is None:
        return None
    if reward_id is not None and task_id is not None:
        return None
    return post_queries.review_target(me(), reward_id=reward_id, task_id=task_id)


def _posts_page(
    *,
    post_form: PostForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    viewer = current_user()
    wanted, understood = _filters()
    found = post_queries.list_posts(viewer, wanted)
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
    names = post_queries.post_subject_names(viewer, found.items)
    names |= shared_queries.subject_names(
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
@route(Access.PUBLIC, action=PeopleAction.POST_VIEW)
def posts() -> tuple[str, int]:
    return _posts_page()


@bp.post("/posts")
@route(Access.USER, idempotent=True)
@limits.post
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
    result = attempt(lambda: post_services.create_post(me(), **body.model_dump()))
    if isinstance(result, AppError):
        target = form.program_id if result.code == "not_a_member" else form.body
        target.errors = [result.detail]
        return _posts_page(post_form=form, status=result.status)
    post, _points = result
    flash(_("Posted."), "success")
    return redirect(url_for("post_pages.post", post_id=post.id), 303)


@bp.post("/posts/review")
@route(Access.USER, idempotent=True)
@limits.post
def new_review() -> Response | tuple[str, int]:
    form = ReviewForm()
    target = _review_target(form)
    if target is None:
        raise NotFound(thing="reward_or_task")
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
    result = attempt(lambda: post_services.create_post(me(), **body.model_dump()))
    if isinstance(result, AppError):
        form.program_id.errors = [result.detail]
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
    return redirect(url_for("post_pages.post", post_id=post.id), 303)


def _one_post(post_id: int) -> tuple[Any, PostOut]:
    viewer = current_user()
    post = post_services.get_post(viewer, post_id)
    return post, post_queries.post_outs(viewer, [post])[0]


@bp.get("/posts/<int:post_id>")
@route(Access.PUBLIC, action=PeopleAction.POST_VIEW)
def post(post_id: int) -> str:
    viewer = current_user()
    _post, shown = _one_post(post_id)
    recipients = shared_queries.refs(shown.recipient_ids or [])
    return render_template(
        "people/post.html",
        post=shown,
        names=post_queries.post_subject_names(viewer, [shown]),
        recipients=[recipients[i] for i in shown.recipient_ids or [] if i in recipients],
        action=ActionForm(),
    )


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=PeopleAction.POST_EDIT)
def edit_post(post_id: int) -> Response | tuple[str, int]:
    post, shown = _one_post(post_id)
    require(me(), PeopleAction.POST_EDIT, post)
    if post.author_id != me().id:  # as the service says: admins moderate, authors edit
        raise Forbidden(action=PeopleAction.POST_EDIT)
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
            lambda body: post_services.edit_post(
                me(), post_id, body.model_dump(exclude_unset=True)
            ),
            lambda error: place_errors(form, [("body", error.detail)]),
        )
        if not isinstance(saved, Unsaved):
            flash(_("Your post is saved."), "success")
            return redirect(url_for("post_pages.post", post_id=post_id), 303)
        unsaved = saved
    return render_template(
        "people/post_edit.html", form=form, problems=unsaved.problems, post=shown
    ), unsaved.status(bool(form.errors))


@bp.post("/posts/<int:post_id>/delete")
@route(Access.USER, action=PeopleAction.POST_DELETE)
def delete_post(post_id: int) -> Response:
    deleted = act(
        lambda: post_services.delete_post(me(), post_id),
        _("The post is deleted."),
        category="info",
    )
    if isinstance(deleted, AppError):
        return go_back(url_for("post_pages.post", post_id=post_id))
    target = safe_next(url_for("post_pages.posts"))
    if urlsplit(target).path == url_for("post_pages.post", post_id=post_id):
        target = url_for("post_pages.posts")  # the post's own page is gone with it
    return redirect(target, 303)
