"""The shop team's API keys page: the keys (never their secrets), a form that makes one and
shows its secret once, and a revoke button per key.

Each page checks what the matching API route checks, with the same services: a shop the
viewer may not see answers 404, one they see but whose keys they may not manage 403.
"""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.apikeys import queries, services
from stampbook.apikeys.forms import ApiKeyForm
from stampbook.apikeys.policy import ApiKeyAction
from stampbook.apikeys.schemas import ApiKeyCreated, ApiKeyIn
from stampbook.apikeys.words import access_of
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.shops.models import Shop
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import Unsaved, act, save, validate
from stampbook.ui.words import _

bp = PageBlueprint("api_key_pages", __name__)

MANAGE = ApiKeyAction.API_KEY_MANAGE
KEYS_SHOWN = 100


def _page(
    shop: Shop, form: ApiKeyForm, unsaved: Unsaved, created: ApiKeyCreated | None
) -> Response:
    keys = queries.list_keys(me(), shop.id, PageQuery(limit=KEYS_SHOWN)).items
    page = render_template(
        "apikeys/keys.html",
        shop=shop,
        keys=keys,
        created=created,
        form=form,
        problems=unsaved.problems,
        action_form=ActionForm(),
        access_of=access_of,
    )
    response = make_response(page, unsaved.status(bool(form.errors)))
    # The page may hold a secret shown once: no cache keeps a copy of it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/shops/<int:shop_id>/api-keys", methods=["GET", "POST"])
@route(Access.USER, action=MANAGE)
def keys(shop_id: int) -> Response:
    shop = queries.load_shop(me(), shop_id)
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(shop, form, Unsaved([]), None)
    data: dict[str, Any] = {"name": (form.name.data or "").strip(), "scopes": [form.access.data]}
    saved = save(
        validate(ApiKeyIn, data, form),
        lambda body: services.create_key(me(), shop_id, **body.model_dump(mode="json")),
        lambda error: [error.detail],
    )
    if isinstance(saved, Unsaved):
        return _page(shop, form, saved, None)
    # Shown here rather than after a redirect: the secret is never stored, not even in the
    # session, so this answer is the one place it appears.
    return _page(shop, ApiKeyForm(formdata=None), Unsaved([]), saved)


@bp.post("/api-keys/<int:key_id>/revoke")
@route(Access.USER, action=MANAGE)
def revoke(key_id: int) -> Response:
    key, shop = queries.load_key(me(), key_id)
    if ActionForm().validate_on_submit():
        name = key.name
        act(
            lambda: services.revoke_key(me(), key_id),
            _("The key “%(name)s” is revoked: it is refused from now on.", name=name),
        )
    return redirect(url_for("api_key_pages.keys", shop_id=shop.id), 303)
