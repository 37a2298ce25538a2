"""Email verification: following the emailed link, and asking for another one."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts import confirmations as account_confirmations
from stampbook.accounts import limits
from stampbook.accounts.auth import me
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import confirmations
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import attempt

bp = PageBlueprint("confirmation_pages", __name__)


@bp.route("/confirm-email/<secret>", methods=["GET", "POST"])
@route(Access.PUBLIC)
@limits.use_confirmation_link
def confirm_email(secret: str) -> Response | tuple[str, int]:
    # The GET only shows a button: mail scanners open links, and must not confirm for you.
    user = account_confirmations.pending(secret)
    if user is None:
        return render_template("flows/confirm_email.html", form=None), 400
    form = ActionForm()
    if form.validate_on_submit():
        done = attempt(lambda: confirmations.confirm(secret))
        if isinstance(done, AppError):
            return render_template("flows/confirm_email.html", form=None), 400
        flash(_("%(email)s is confirmed. Thank you.", email=done.email), "success")
        signed_in = g.get("user") is not None
        return redirect(url_for("account_pages.email" if signed_in else "account_pages.login"), 303)
    return render_template("flows/confirm_email.html", form=form, email=user.email), 200


@bp.route("/account/email/confirmation", methods=["POST"])
@route(Access.USER)
@limits.email_confirmation
def send_confirmation() -> Response:
    if ActionForm().validate_on_submit():
        confirmations.ask(me())
        flash(_("A confirmation link is on its way to %(email)s.", email=me().email), "info")
    return redirect(url_for("account_pages.email"), 303)
