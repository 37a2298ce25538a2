"""The shop team's webhook pages: the endpoints with an add form; one endpoint with its
settings, secret (rotate), a test message, and its messages with their attempts (replay).

Each page checks what the matching API route checks, with the same services: an endpoint
of a shop the viewer may not see answers 404, one they see but may not manage 403.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.shops.models import Shop
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import Unsaved, act, local_time, place_errors, save, validate
from stampbook.ui.words import _
from stampbook.webhooks import queries, services
from stampbook.webhooks.forms import EditEndpointForm, EndpointForm
from stampbook.webhooks.models import WebhookEndpoint
from stampbook.webhooks.policy import WebhookAction
from stampbook.webhooks.schemas import WebhookEndpointIn, WebhookEndpointPatch
from stampbook.webhooks.words import DISABLED_REASONS, ERROR_WORDS, EVENT_TYPE_WORDS, STATUS_WORDS

bp = PageBlueprint("webhook_pages", __name__)

MANAGE = WebhookAction.WEBHOOK_MANAGE
ENDPOINTS_SHOWN = 100
MESSAGES_SHOWN = 30


def _refused(form: EndpointForm, error: AppError) -> list[str]:
    """A refused address goes next to the address; anything else above the form."""
    if error.code == "url_not_allowed":
        return place_errors(form, [("url", error.detail)])
    return [error.detail]


def _input(form: EndpointForm) -> dict[str, Any]:
    return {
        "url": (form.url.data or "").strip(),
        "event_types": list(form.event_types.data or []),
        "description": (form.description.data or "").strip() or None,
    }


def _words() -> dict[str, Any]:
    return {
        "type_words": EVENT_TYPE_WORDS,
        "reasons": DISABLED_REASONS,
        "statuses": STATUS_WORDS,
        "errors": ERROR_WORDS,
    }


def _list_page(shop: Shop, form: EndpointForm, problems: list[str], status: int) -> Any:
    endpoints = queries.list_endpoints(me(), shop.id, PageQuery(limit=ENDPOINTS_SHOWN)).items
    page = render_template(
        "webhooks/endpoints.html",
        shop=shop,
        endpoints=endpoints,
        form=form,
        problems=problems,
        **_words(),
    )
    return page, status


@bp.route("/shops/<int:shop_id>/webhooks", methods=["GET", "POST"])
@route(Access.USER, action=MANAGE)
def endpoints(shop_id: int) -> Any:
    shop = queries.load_shop(me(), shop_id)
    form = EndpointForm()
    unsaved = Unsaved([])
    if form.validate_on_submit():
        saved = save(
            validate(WebhookEndpointIn, _input(form), form),
            lambda body: services.create_endpoint(me(), shop_id, **body.model_dump(mode="json")),
            lambda error: _refused(form, error),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The endpoint is added: verify its messages with the secret shown."), "success")
            return redirect(url_for("webhook_pages.endpoint", endpoint_id=saved.id), 303)
        unsaved = saved
    return _list_page(shop, form, unsaved.problems, unsaved.status(bool(form.errors)))


def _endpoint_page(
    endpoint: WebhookEndpoint, shop: Shop, form: EditEndpointForm, problems: list[str], status: int
) -> Any:
    messages = queries.latest_messages(endpoint.id, MESSAGES_SHOWN)
    page = render_template(
        "webhooks/endpoint.html",
        shop=shop,
        endpoint=endpoint,
        form=form,
        problems=problems,
        messages=messages,
        attempts=queries.attempts_of([m.id for m in messages]),
        action_form=ActionForm(),
        **_words(),
    )
    return page, status


@bp.route("/webhook-endpoints/<int:endpoint_id>", methods=["GET", "POST"])
@route(Access.USER, action=MANAGE)
def endpoint(endpoint_id: int) -> Any:
    found, shop = queries.load_endpoint(me(), endpoint_id)
    form = EditEndpointForm(
        data={
            "url": found.url,
            "description": found.description,
            "event_types": list(found.event_types),
            "enabled": found.enabled,
        }
    )
    unsaved = Unsaved([])
    if form.validate_on_submit():
        saved = save(
            validate(
                WebhookEndpointPatch, {**_input(form), "enabled": bool(form.enabled.data)}, form
            ),
            lambda body: services.update_endpoint(
                me(), endpoint_id, body.model_dump(mode="json", exclude_unset=True)
            ),
            lambda error: _refused(form, error),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The endpoint is saved."), "success")
            return redirect(url_for("webhook_pages.endpoint", endpoint_id=endpoint_id), 303)
        unsaved = saved
    return _endpoint_page(found, shop, form, unsaved.problems, unsaved.status(bool(form.errors)))


def _back(endpoint_id: int) -> Response:
    return redirect(url_for("webhook_pages.endpoint", endpoint_id=endpoint_id), 303)


@bp.route("/webhook-endpoints/<int:endpoint_id>/rotate", methods=["POST"])
@route(Access.USER, action=MANAGE)
def rotate_secret(endpoint_id: int) -> Response:
    queries.load_endpoint(me(), endpoint_id)
    if ActionForm().validate_on_submit():
        act(
            lambda: services.rotate_secret(me(), endpoint_id),
            lambda out: _(
                "A new secret is in use; the previous one also signs until %(time)s.",
                time=local_time(out.previous_secret_until),
            ),
        )
    return _back(endpoint_id)


@bp.route("/webhook-endpoints/<int:endpoint_id>/test", methods=["POST"])
@route(Access.USER, action=MANAGE)
def send_test(endpoint_id: int) -> Response:
    queries.load_endpoint(me(), endpoint_id)
    if ActionForm().validate_on_submit():
        act(
            lambda: services.send_test(me(), endpoint_id),
            _("A test message is on its way."),
        )
    return _back(endpoint_id)


@bp.route("/webhook-endpoints/<int:endpoint_id>/delete", methods=["POST"])
@route(Access.USER, action=MANAGE)
def delete_endpoint(endpoint_id: int) -> Response:
    _endpoint, shop = queries.load_endpoint(me(), endpoint_id)
    if ActionForm().validate_on_submit():
        done = act(
            lambda: services.delete_endpoint(me(), endpoint_id), _("The endpoint is deleted.")
        )
        if not isinstance(done, AppError):
            return redirect(url_for("webhook_pages.endpoints", shop_id=shop.id), 303)
    return _back(endpoint_id)


@bp.route("/webhook-messages/<int:message_id>/replay", methods=["POST"])
@route(Access.USER, action=MANAGE)
def replay(message_id: int) -> Response:
    message, _endpoint, _shop = queries.load_message(me(), message_id)
    if ActionForm().validate_on_submit():
        act(
            lambda: services.replay_message(me(), message_id),
            _("The message is sent again, with the same webhook-id."),
        )
    return _back(message.endpoint_id)
