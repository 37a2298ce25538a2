"""The shop's settings page's "send a test announcement" button (the shop's chat, through
notifications' chat channel)."""

from __future__ import annotations

from flask import redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import announcements
from stampbook.shops.policy import ShopAction
from stampbook.shops.queries import load_shop
from stampbook.ui.helpers import act

bp = PageBlueprint("announcement_pages", __name__)


@bp.post("/shops/<int:shop_id>/chat/test")
@route(Access.USER, action=ShopAction.SHOP_EDIT)
def test_chat(shop_id: int) -> Response:
    shop = load_shop(me(), shop_id, ShopAction.SHOP_EDIT)  # 403 or 404 for the others
    text = _(
        "A test announcement from %(shop)s on stampbook: its announcements will appear here.",
        shop=shop.name,
    )
    act(
        lambda: announcements.request_test(me(), shop_id, text=text),
        _("A test announcement is on its way: it should appear in the chat within a minute."),
    )
    return redirect(url_for("shop_pages.edit_shop", shop_id=shop_id), 303)
