"""Account pages: sign up, log in, log out (session cookie with CSRF protection)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts import services
from stampbook.accounts.auth import SESSION_TOKEN, current_token
from stampbook.accounts.forms import LoginForm, RegisterForm
from stampbook.accounts.models import TokenKind
from stampbook.core.errors import Conflict, Unauthorized
from stampbook.core.extensions import failed, limiter
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint

bp = PageBlueprint("account_pages", __name__)


def _start_session(secret: str) -> None:
    # A new session for a new login: nothing from before it survives (no fixation).
    session.clear()
    session[SESSION_TOKEN] = secret
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@route(Access.PUBLIC)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=failed)
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            secret, _token = services.log_in(
                email=form.email.data or "",
                password=form.password.data or "",
                kind=TokenKind.SESSION,
            )
        except Unauthorized:
            form.password.errors = [_("The email or password is wrong.")]
            return render_template("accounts/login.html", form=form), 401
        _start_session(secret)
        return redirect(url_for("pages.home"))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.route("/register", methods=["GET", "POST"])
@route(Access.PUBLIC)
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register() -> Response | str | tuple[str, int]:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register(
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
            )
        except Conflict:
            form.email.errors = [_("An account with this email exists.")]
            return render_template("accounts/register.html", form=form), 409
        secret, _token = services.log_in(
            email=form.email.data or "", password=form.password.data or "", kind=TokenKind.SESSION
        )
        _start_session(secret)
        flash(_("Welcome to stampbook!"), "success")
        return redirect(url_for("pages.home"))
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@route(Access.USER)
def logout() -> Response:
    token = current_token()
    if token is not None:
        services.log_out(token)
    session.clear()
    return redirect(url_for("pages.home"))
