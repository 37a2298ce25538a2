"""Forgotten passwords: asking for a reset link, and setting the new password with it."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts import limits
from stampbook.accounts import recovery as account_recovery
from stampbook.accounts.forms import PasswordResetForm, PasswordResetRequestForm
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import recovery
from stampbook.ui.helpers import attempt

bp = PageBlueprint("recovery_pages", __name__)


@bp.route("/password-reset", methods=["GET", "POST"])
@route(Access.PUBLIC)
@limits.password_reset
@limits.password_reset_address
def forgot_password() -> Response | tuple[str, int]:
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        recovery.ask(form.email.data or "")
        # The same words whether or not the address has an account.
        flash(
            _(
                "If an account has this address, a link to set a new password is on its way "
                "to it. Check your email."
            ),
            "info",
        )
        return redirect(url_for("account_pages.login"), 303)
    status = 422 if form.errors else 200
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    return render_template("flows/forgot_password.html", form=form, minutes=minutes), status


@bp.route("/password-reset/<secret>", methods=["GET", "POST"])
@route(Access.PUBLIC)
@limits.use_reset_link
def reset_password(secret: str) -> Response | tuple[str, int]:
    if not account_recovery.is_usable(secret):
        return render_template("flows/reset_password.html", form=None), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        done = attempt(
            lambda: account_recovery.complete(secret=secret, password=form.new_password.data or "")
        )
        if not isinstance(done, AppError):
            flash(_("Your new password is set, and every session is signed out."), "success")
            return redirect(url_for("account_pages.login"), 303)
        return render_template("flows/reset_password.html", form=None), 400
    status = 422 if form.errors else 200
    return render_template("flows/reset_password.html", form=form), status
