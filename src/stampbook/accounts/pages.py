"""Account pages: sign up, log in, log out (session cookie with CSRF protection)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts import limits, services
from stampbook.accounts.auth import SESSION_TOKEN, current_token, me
from stampbook.accounts.forms import (
    EmailForm,
    LoginForm,
    PasswordChangeForm,
    PrivacyForm,
    ProfileForm,
    RegisterForm,
    StarredShopForm,
    order_form,
)
from stampbook.accounts.models import Section, TokenKind
from stampbook.accounts.policy import AccountAction
from stampbook.accounts.schemas import UserPatch
from stampbook.core.errors import AppError, Conflict, Unauthorized
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.people import page_order
from stampbook.programs import queries as programs_queries
from stampbook.rewards import queries as rewards_queries
from stampbook.shops import queries as shops_queries
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    attempt,
    place_errors,
    safe_next,
    save,
    validate,
)

bp = PageBlueprint("account_pages", __name__)


def _start_session(secret: str) -> None:
    # A new session for a new login: nothing from before it survives (no fixation).
    session.clear()
    session[SESSION_TOKEN] = secret
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@route(Access.PUBLIC)
@limits.login
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            secret, _token = services.log_in(
                email=form.email.data or "",
                password=form.password.data or "",
                kind=TokenKind.SESSION,
            )
        except Unauthorized as error:
            form.password.errors = [error.detail]
            return render_template("accounts/login.html", form=form), 401
        _start_session(secret)
        return redirect(safe_next(url_for("pages.home")))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.route("/register", methods=["GET", "POST"])
@route(Access.PUBLIC)
@limits.register
def register() -> Response | str | tuple[str, int]:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register(
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
                # Asked on the page (zone.js fills in the browser's); UTC for a post without it.
                time_zone=form.time_zone.data or "UTC",
            )
        except Conflict as error:
            form.email.errors = [error.detail]
            return render_template("accounts/register.html", form=form), 409
        secret, _token = services.log_in(
            email=form.email.data or "", password=form.password.data or "", kind=TokenKind.SESSION
        )
        _start_session(secret)
        flash(
            _(
                "Welcome to stampbook! We emailed you a link to confirm your address: follow "
                "it when you can."
            ),
            "success",
        )
        # Back where the visitor came from (a friend's referral link), else home.
        return redirect(safe_next(url_for("pages.home")))
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@route(Access.USER)
def logout() -> Response:
    token = current_token()
    if token is not None:
        services.log_out(token)
    session.clear()
    return redirect(url_for("pages.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@route(Access.USER, action=AccountAction.USER_EDIT)
@limits.change_password
def change_password() -> Response | str | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        token = current_token()
        result = attempt(
            lambda: services.change_password(
                me(),
                old_password=form.old_password.data or "",
                new_password=form.new_password.data or "",
                keep_token_id=token.id if token else None,
            )
        )
        if isinstance(result, AppError):
            form.old_password.errors = [result.detail]
            return render_template("accounts/password.html", form=form), result.status
        flash(_("Your password is changed; your other sessions are signed out."), "success")
        return redirect(url_for("pages.home"))
    return render_template("accounts/password.html", form=form), 422 if form.errors else 200


def _save(changes: dict[str, Any], form: Any) -> list[str] | None:
    """Check ``changes`` with the API's ``UserPatch`` and save them; the problems, if any."""
    saved = save(
        validate(UserPatch, changes, form),
        lambda body: services.update_profile(me(), body.model_dump(exclude_unset=True)),
        lambda error: place_errors(form, [("", error.detail)]),
    )
    return saved.problems if isinstance(saved, Unsaved) else None


@bp.route("/account", methods=["GET", "POST"])
@route(Access.USER)
def profile() -> Response | tuple[str, int]:
    form = ProfileForm(obj=me())
    problems: list[str] = []
    if form.validate_on_submit():
        # Empty optional fields clear them, as a PATCH with null does.
        changes = {name: getattr(form, name).data or None for name in PROFILE_FIELDS}
        found = _save(changes, form)
        if found is None:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("account_pages.profile"), 303)
        problems = found
    return render_template(
        "accounts/settings_profile.html", form=form, problems=problems, active="profile"
    ), 422 if form.errors or problems else 200


@bp.route("/account/privacy", methods=["GET", "POST"])
@route(Access.USER)
def privacy() -> Response | tuple[str, int]:
    current = services.effective_privacy(me())
    form = PrivacyForm(data=current)
    problems: list[str] = []
    if form.validate_on_submit():
        chosen = {section.value: getattr(form, section.value).data for section in Section}
        found = _save({"privacy_settings": chosen}, form)
        if found is None:
            flash(_("Your privacy settings are saved."), "success")
            return redirect(url_for("account_pages.privacy"), 303)
        problems = found
    return render_template(
        "accounts/settings_privacy.html", form=form, problems=problems, active="privacy"
    ), 422 if form.errors or problems else 200


def _in_order(items: Iterable[tuple[int, str]], form: Any, prefix: str) -> list[int]:
    """Ids sorted by the positions typed (ties and blanks keep the order they had)."""
    listed = list(items)
    last = len(listed) + 1

    def place(indexed: tuple[int, tuple[int, str]]) -> tuple[int, int]:
        index, (item_id, _name) = indexed
        typed = getattr(form, f"{prefix}_{item_id}").data
        return (typed if isinstance(typed, int) else last, index)

    return [item_id for _index, (item_id, _name) in sorted(enumerate(listed), key=place)]


@bp.route("/account/order", methods=["GET", "POST"])
@route(Access.USER)
def ordering() -> Response | tuple[str, int]:
    choices = page_order.order_choices(me())
    form = order_form(choices)
    problems: list[str] = []
    if form.validate_on_submit():
        order = {
            "shop_ids": _in_order(choices.shops, form, "shop"),
            "program_task_ids": {
                p.program_id: _in_order(p.tasks, form, "task") for p in choices.programs if p.tasks
            },
        }
        found = _save({"order_settings": order}, form)
        if found is None:
            flash(_("Your order is saved."), "success")
            return redirect(url_for("account_pages.ordering"), 303)
        problems = found
    return render_template(
        "accounts/settings_order.html",
        form=form,
        choices=choices,
        problems=problems,
        active="order",
    ), 422 if form.errors or problems else 200


def _stars_page(form: StarredShopForm | None = None, status: int = 200) -> tuple[str, int]:
    user = me()
    form = form or StarredShopForm(shop_id=user.starred_shop_id or 0)
    _shop_choices(form)
    favourites = rewards_queries.favourite_rewards(user.id)
    return render_template(
        "accounts/settings_stars.html",
        form=form,
        favourites=favourites,
        names=programs_queries.shops_points_names(f.shop_id for f in favourites),
        action=ActionForm(),
        active="stars",
    ), status


def _shop_choices(form: StarredShopForm) -> None:
    user = me()
    shops = page_order.order_choices(user).shops
    starred = user.starred_shop_id
    if starred is not None and starred not in {i for i, _name in shops}:
        shops.append((starred, shops_queries.shop_name(starred) or str(starred)))
    form.shop_id.choices = options([(0, _("No starred shop")), *shops])


@bp.route("/account/stars", methods=["GET", "POST"])
@route(Access.USER)
def stars() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _stars_page()
    form = StarredShopForm()
    _shop_choices(form)
    if not form.validate_on_submit():
        return _stars_page(form, 422)
    shop_id = form.shop_id.data
    result = attempt(
        lambda: services.star_shop(me(), shop_id=shop_id) if shop_id else services.unstar_shop(me())
    )
    if isinstance(result, AppError):
        form.shop_id.errors = [result.detail]
        return _stars_page(form, result.status)
    flash(_("Your starred shop is saved.") if shop_id else _("No shop is starred now."), "success")
    return redirect(url_for("account_pages.stars"), 303)


@bp.route("/account/email", methods=["GET", "POST"])
@route(Access.USER)
@limits.change_email
def email() -> Response | tuple[str, int]:
    form = EmailForm()
    if form.validate_on_submit():
        result = attempt(
            lambda: services.change_email(
                me(), email=form.email.data or "", password=form.password.data or ""
            )
        )
        if not isinstance(result, AppError):
            flash(
                _(
                    "Your email is now %(email)s. Follow the link we emailed to it to confirm it.",
                    email=result.email,
                ),
                "success",
            )
            return redirect(url_for("account_pages.email"), 303)
        target = form.password if result.code == "invalid_credentials" else form.email
        target.errors = [result.detail]
        return render_template(
            "accounts/settings_email.html", form=form, confirm_form=ActionForm(), active="email"
        ), result.status
    return render_template(
        "accounts/settings_email.html", form=form, confirm_form=ActionForm(), active="email"
    ), (422 if form.errors else 200)


PROFILE_FIELDS = (
    "name",
    "summary",
    "description",
    "color",
    "icon",
    "time_zone",
    "phone",
    "birthday",
)
