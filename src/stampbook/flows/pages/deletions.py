"""Deleting a shop or one's own account, after a confirmation."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts import limits
from stampbook.accounts import services as accounts
from stampbook.accounts.auth import me
from stampbook.accounts.forms import DeleteAccountForm
from stampbook.core import wording
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import deletions
from stampbook.shops import queries
from stampbook.shops import queries as shops_queries
from stampbook.shops.policy import ShopAction
from stampbook.ui.forms import (
    ActionForm,
)
from stampbook.ui.helpers import (
    attempt,
)

bp = PageBlueprint("deletion_pages", __name__)


@bp.route("/shops/<int:shop_id>/delete", methods=["GET", "POST"])
@route(Access.USER, action=ShopAction.SHOP_DELETE)
def delete_shop(shop_id: int) -> Response | str:
    shop = shops_queries.load_shop(me(), shop_id, ShopAction.SHOP_DELETE)
    form = ActionForm()
    if form.validate_on_submit():
        name = shop.name
        deletions.delete_shop(me(), shop_id)
        flash(
            _("%(name)s is deleted; its members keep their points and history.", name=name),
            "success",
        )
        return redirect(url_for("pages.home"), 303)
    return render_template(
        "flows/delete_shop.html", shop=shop, totals=queries.shop_totals(shop_id), form=form
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@route(Access.USER)
@limits.delete_account
def delete_account() -> Response | tuple[str, int]:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = me()
        checked = attempt(
            lambda: accounts.check_credentials(email=user.email, password=form.password.data or "")
        )
        if isinstance(checked, AppError):
            form.password.errors = [wording.text(checked.code, {"given": "password"})]
            return render_template(
                "flows/delete_account.html", form=form, active="delete"
            ), checked.status
        deletions.delete_account(user)
        session.clear()
        flash(_("Your account is deleted. Goodbye!"), "info")
        return redirect(url_for("pages.home"), 303)
    return render_template("flows/delete_account.html", form=form, active="delete"), (
        422 if form.errors else 200
    )
