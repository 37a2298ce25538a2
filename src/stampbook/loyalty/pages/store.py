"""The shop team's store connection page: connect a Shopify store (domain, secret, program),
the address to send its webhooks to, its connections with a disconnect button each, and the
last deliveries of its webhook log with what each did.

It checks what the matching API routes check, with the same services: a shop the viewer may
not see answers 404, one they see but whose stores they may not manage 403.
"""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.loyalty import integration_queries as queries
from stampbook.loyalty import integrations
from stampbook.loyalty.integration_forms import StoreForm, TokenForm
from stampbook.loyalty.integration_schemas import IntegrationIn, IntegrationPatch
from stampbook.loyalty.integration_words import OUTCOME_WORDS, delivery_note
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.shopify import SUBSCRIBED
from stampbook.programs.models import Program
from stampbook.shops.models import Shop
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import Unsaved, act, place_errors, save, validate
from stampbook.ui.words import _

bp = PageBlueprint("store_pages", __name__)

MANAGE = LoyaltyAction.INTEGRATIONS_MANAGE
CONNECTIONS_SHOWN = 50
DELIVERIES_SHOWN = 50


def _programs(shop: Shop) -> list[Program]:
    """The shop's live programs, which a store may earn in."""
    return list(
        db.session.scalars(
            select(Program)
            .where(Program.shop_id == shop.id, Program.archived_at.is_(None))
            .order_by(Program.name, Program.id)
        )
    )


def _form(shop: Shop) -> StoreForm:
    form = StoreForm()
    form.program_id.choices = [(p.id, p.name) for p in _programs(shop)]
    return form


def _refused(form: StoreForm, error: AppError) -> list[str]:
    """A refusal about the domain or the program goes next to it; anything else above."""
    if error.code == "store_connected":
        return place_errors(form, [("shop_domain", error.detail)])
    if error.code in ("archived", "not_found"):
        return place_errors(form, [("program_id", error.detail)])
    return [error.detail]


def _page(shop: Shop, form: StoreForm, unsaved: Unsaved) -> Response:
    connections = queries.list_integrations(me(), shop.id, PageQuery(limit=CONNECTIONS_SHOWN))
    found = db.session.scalars(select(Program).where(Program.shop_id == shop.id)).all()
    programs = {p.id: p.name for p in found}
    page = render_template(
        "loyalty/store.html",
        shop=shop,
        connections=connections.items,
        programs=programs,
        points_in={p.id: p for p in found},
        webhook_url=queries.webhook_url(),
        topics=[str(topic) for topic in SUBSCRIBED],
        deliveries=queries.latest_deliveries(shop.id, DELIVERIES_SHOWN),
        outcome_words=OUTCOME_WORDS,
        delivery_note=delivery_note,
        form=form,
        problems=unsaved.problems,
        action_form=ActionForm(),
        token_form=TokenForm(),
    )
    return make_response(page, unsaved.status(bool(form.errors)))


@bp.route("/shops/<int:shop_id>/store", methods=["GET", "POST"])
@route(Access.USER, action=MANAGE)
def store(shop_id: int) -> Response:
    shop = queries.load_shop(me(), shop_id)
    form = _form(shop)
    if not form.validate_on_submit():
        return _page(shop, form, Unsaved([]))
    data: dict[str, Any] = {
        "kind": "shopify",
        "shop_domain": (form.shop_domain.data or "").strip(),
        "secret": (form.secret.data or "").strip(),
        "program_id": form.program_id.data,
        "access_token": (form.access_token.data or "").strip() or None,
    }
    saved = save(
        validate(IntegrationIn, data, form),
        lambda body: integrations.connect(me(), shop_id, body),
        lambda error: _refused(form, error),
    )
    if isinstance(saved, Unsaved):
        return _page(shop, form, saved)
    flash(
        _(
            "The store %(domain)s is connected: now send its webhooks to the address below.",
            domain=saved.shop_domain,
        ),
        "success",
    )
    return redirect(url_for("store_pages.store", shop_id=shop.id), 303)


@bp.post("/store-connections/<int:integration_id>/token")
@route(Access.USER, action=MANAGE)
def access_token(integration_id: int) -> Response:
    """Give, replace or (the remove button) remove a connection's Admin API access token."""
    integration, shop = queries.load_integration(me(), integration_id)
    form = TokenForm()
    if form.validate_on_submit():
        removing = request.form.get("remove") == "1"
        token = None if removing else (form.access_token.data or "").strip() or None
        if token is None and not removing:
            flash(_("Type the access token, or remove the one the store has."), "danger")
            return redirect(url_for("store_pages.store", shop_id=shop.id), 303)
        try:
            body = IntegrationPatch.model_validate({"access_token": token})
        except ValidationError:
            flash(_("This is not an access token: check what you pasted."), "danger")
            return redirect(url_for("store_pages.store", shop_id=shop.id), 303)
        domain = integration.shop_domain
        said = (
            _(
                "The access token of %(domain)s is removed: discount codes are issued here.",
                domain=domain,
            )
            if removing
            else _(
                "The access token of %(domain)s is saved: discount codes are made in the store.",
                domain=domain,
            )
        )
        act(lambda: integrations.set_access_token(me(), integration_id, body.access_token), said)
    return redirect(url_for("store_pages.store", shop_id=shop.id), 303)


@bp.post("/store-connections/<int:integration_id>/disconnect")
@route(Access.USER, action=MANAGE)
def disconnect(integration_id: int) -> Response:
    integration, shop = queries.load_integration(me(), integration_id)
    if ActionForm().validate_on_submit():
        domain = integration.shop_domain
        act(
            lambda: integrations.disconnect(me(), integration_id),
            _("The store %(domain)s is disconnected: its webhooks are refused.", domain=domain),
        )
    return redirect(url_for("store_pages.store", shop_id=shop.id), 303)
