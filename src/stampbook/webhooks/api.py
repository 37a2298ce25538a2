"""Outgoing webhooks API: a shop's endpoints, their secrets, messages and attempts, replays
and test messages (those who manage the shop's settings)."""

from __future__ import annotations

from stampbook.accounts.auth import me
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.webhooks import queries, services
from stampbook.webhooks.policy import WebhookAction
from stampbook.webhooks.schemas import (
    WebhookAttemptPage,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPage,
    WebhookEndpointPatch,
    WebhookMessageOut,
    WebhookMessagePage,
)

bp = ApiBlueprint("webhooks", __name__, url_prefix="/api/v1", tag="Webhooks")

MANAGE = WebhookAction.WEBHOOK_MANAGE


@bp.get("/shops/<int:shop_id>/webhook-endpoints")
@route(Access.USER, action=MANAGE, subject=queries.load_shop)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(WebhookEndpointPage)
@bp.doc(summary="The shop's webhook endpoints, newest first", responses=[403, 404])
def list_webhook_endpoints(shop_id: int, query: PageQuery) -> WebhookEndpointPage:
    return queries.list_endpoints(me(), shop_id, query)


@bp.post("/shops/<int:shop_id>/webhook-endpoints")
@route(Access.USER, action=MANAGE, subject=queries.load_shop)
@bp.input(WebhookEndpointIn, arg_name="body")
@bp.output(WebhookEndpointOut, status_code=201)
@bp.doc(
    summary="Add a webhook endpoint; the reply holds its signing secret",
    responses=[403, 404, 409],
)
def create_webhook_endpoint(shop_id: int, body: WebhookEndpointIn) -> WebhookEndpointOut:
    return services.create_endpoint(me(), shop_id, **body.model_dump(mode="json"))


@bp.get("/webhook-endpoints/<int:endpoint_id>")
@route(Access.USER, action=MANAGE)
@bp.output(WebhookEndpointOut)
@bp.doc(summary="A webhook endpoint, with its secret", responses=[403, 404])
def get_webhook_endpoint(endpoint_id: int) -> WebhookEndpointOut:
    return queries.endpoint_out(queries.load_endpoint(me(), endpoint_id)[0])


@bp.patch("/webhook-endpoints/<int:endpoint_id>")
@route(Access.USER, action=MANAGE, subject=queries.endpoint_shop)
@bp.input(WebhookEndpointPatch, arg_name="body")
@bp.output(WebhookEndpointOut)
@bp.doc(summary="Change a webhook endpoint, or enable or disable it", responses=[403, 404, 409])
def update_webhook_endpoint(endpoint_id: int, body: WebhookEndpointPatch) -> WebhookEndpointOut:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return services.update_endpoint(me(), endpoint_id, changes)


@bp.delete("/webhook-endpoints/<int:endpoint_id>")
@route(Access.USER, action=MANAGE)
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a webhook endpoint with its messages", responses=[403, 404])
def delete_webhook_endpoint(endpoint_id: int) -> tuple[str, int]:
    services.delete_endpoint(me(), endpoint_id)
    return "", 204


@bp.post("/webhook-endpoints/<int:endpoint_id>/secret/rotate")
@route(Access.USER, action=MANAGE)
@bp.output(WebhookEndpointOut)
@bp.doc(
    summary="A new signing secret; the previous one also signs for a grace period",
    responses=[403, 404],
)
def rotate_webhook_secret(endpoint_id: int) -> WebhookEndpointOut:
    return services.rotate_secret(me(), endpoint_id)


@bp.get("/webhook-endpoints/<int:endpoint_id>/messages")
@route(Access.USER, action=MANAGE, subject=queries.endpoint_shop)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(WebhookMessagePage)
@bp.doc(summary="The messages sent to an endpoint, newest first", responses=[403, 404])
def list_webhook_messages(endpoint_id: int, query: PageQuery) -> WebhookMessagePage:
    return queries.list_messages(me(), endpoint_id, query)


@bp.get("/webhook-endpoints/<int:endpoint_id>/attempts")
@route(Access.USER, action=MANAGE, subject=queries.endpoint_shop)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(WebhookAttemptPage)
@bp.doc(summary="Every attempt to deliver to an endpoint, newest first", responses=[403, 404])
def list_webhook_attempts(endpoint_id: int, query: PageQuery) -> WebhookAttemptPage:
    return queries.list_attempts(me(), endpoint_id, query)


@bp.post("/webhook-endpoints/<int:endpoint_id>/test")
@route(Access.USER, action=MANAGE)
@bp.output(WebhookMessageOut, status_code=202)
@bp.doc(summary="Send a `webhook.test` message to an endpoint", responses=[403, 404, 409])
def test_webhook_endpoint(endpoint_id: int) -> WebhookMessageOut:
    return services.send_test(me(), endpoint_id)


@bp.post("/webhook-messages/<int:message_id>/replay")
@route(Access.USER, action=MANAGE)
@bp.output(WebhookMessageOut, status_code=202)
@bp.doc(
    summary="Send a message again: a new series of attempts with the same webhook-id",
    responses=[403, 404, 409],
)
def replay_webhook_message(message_id: int) -> WebhookMessageOut:
    return services.replay_message(me(), message_id)
