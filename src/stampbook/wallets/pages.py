"""The wallets' pages: the member's "Add to Apple Wallet" and "Add to Google Wallet" buttons
on the program's page (``ui.parts``, only where the shop's passes can be made), the pass's
download and the Google link behind them, the shop's logo for Google's loyalty class, and the
team's settings page. Each checks what the matching API route checks, with the same
services."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from stampbook.accounts.auth import me
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.policy import Access, can, require, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs.models import Membership, Program
from stampbook.shops.models import Shop
from stampbook.ui.helpers import Unsaved, given, save, validate
from stampbook.ui.parts import Part, program_part
from stampbook.wallets import credentials, images, packaging, queries, rules, services
from stampbook.wallets.forms import WalletSettingsForm
from stampbook.wallets.policy import WalletAction
from stampbook.wallets.schemas import WalletSettingsIn

bp = PageBlueprint("wallet_pages", __name__)

LOGO_SIZE = 660  # Google's programLogo: at least 660 x 660 pixels


@program_part("wallets")
def _on_the_program_page(actor: Any, program: Program, mine: Membership | None) -> Part | None:
    """A member's buttons (where the shop's passes can be made), a manager's link to the
    settings: one statement (the shop's settings)."""
    member = mine is not None and actor is not None and mine.user_id == actor.id
    shop = db.session.get(Shop, program.shop_id)
    manager = shop is not None and can(actor, WalletAction.SETTINGS, shop)
    if not member and not manager:
        return None
    settings = queries.settings_of(program.shop_id)
    apple = member and credentials.apple(settings) is not None
    google = member and credentials.google(settings) is not None
    if not (apple or google or manager):
        return None
    values = {
        "membership_id": mine.id if mine is not None else None,
        "apple": apple,
        "google": google,
        "manager": manager,
        "shop_id": program.shop_id,
    }
    return Part("wallets/_program_part.html", values)


@bp.get("/memberships/<int:membership_id>/pass.pkpass")
@route(Access.USER, action=WalletAction.PASS)
def apple_pass(membership_id: int) -> Response:
    data, wallet_pass = services.apple_pass(me(), membership_id)
    return Response(
        data,
        mimetype=packaging.MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{wallet_pass.serial_number}.pkpass"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/memberships/<int:membership_id>/google-wallet")
@route(Access.USER, action=WalletAction.PASS)
def google_wallet(membership_id: int) -> BaseResponse:
    return redirect(services.google_link(me(), membership_id), 303)


@bp.get("/shops/<int:shop_id>/wallet-logo.png")
@route(Access.PUBLIC)
def shop_logo(shop_id: int) -> Response:
    """The passes' logo for Google's loyalty class (Google fetches it) and the settings page:
    the one the team uploaded, else the stamp on the shop's colour."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.is_deleted:
        raise NotFound(thing="shop")
    settings = queries.settings_of(shop.id)
    data = settings.logo_png if settings is not None and settings.has_logo else None
    if data is None:
        data = images.stamp(LOGO_SIZE, rules.colour_of(shop.color))
    # Revalidated, not kept a day: a logo just replaced shows at once.
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-cache"})


def _page(shop: Shop, form: WalletSettingsForm, problems: list[str], status: int) -> Any:
    settings = services.settings_out(shop, queries.settings_of(shop.id))
    return render_template(
        "wallets/settings.html", shop=shop, form=form, settings=settings, problems=problems
    ), status


def _shop(shop_id: int) -> Shop:
    shop = queries.load_shop(shop_id)
    require(me(), WalletAction.SETTINGS, shop)
    return shop


@bp.get("/shops/<int:shop_id>/wallet")
@route(Access.USER, action=WalletAction.SETTINGS)
def settings(shop_id: int) -> Any:
    shop = _shop(shop_id)
    form = WalletSettingsForm()
    row = queries.settings_of(shop.id)
    if row is not None:
        for name in services.PLAIN:
            getattr(form, name).data = getattr(row, name)
    return _page(shop, form, [], 200)


def _logo(form: WalletSettingsForm) -> dict[str, str | None]:
    """The logo's part of the body: an uploaded file (base64, as the API takes it), a removal,
    or nothing (the saved one stays)."""
    if form.remove_logo.data:
        return {"logo_png": None}
    upload = form.logo.data
    if upload is None or not getattr(upload, "filename", ""):
        return {}
    # One byte over the limit is enough to refuse it: the rest is not read.
    data = upload.read(images.MAX_LOGO_BYTES + 1)
    return {"logo_png": base64.b64encode(data).decode()} if data else {}


@bp.post("/shops/<int:shop_id>/wallet")
@route(Access.USER, action=WalletAction.SETTINGS)
def save_settings(shop_id: int) -> Any:
    shop = _shop(shop_id)
    form = WalletSettingsForm()
    if not form.validate_on_submit():
        return _page(shop, form, [], 422)
    data: dict[str, Any] = {
        name: (getattr(form, name).data or "").strip() or None for name in services.PLAIN
    }
    for name in services.SECRETS:
        typed = (getattr(form, name).data or "").strip()
        if getattr(form, f"remove_{name}").data:
            data[name] = None
        elif typed:
            data[name] = typed
    body = {
        **given(data),
        **{k: None for k, v in data.items() if v is None and k in services.SECRETS},
        **_logo(form),
    }
    result = save(
        validate(WalletSettingsIn, body, form),
        lambda checked: services.put_settings(me(), shop.id, checked),
        lambda error: [error.detail],
    )
    if isinstance(result, Unsaved):
        return _page(shop, form, result.problems, result.status(True))
    return redirect(url_for("wallet_pages.settings", shop_id=shop.id), 303)
