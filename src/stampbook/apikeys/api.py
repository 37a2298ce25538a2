"""API keys API: a shop's keys for server-to-server calls (its creator and managers). A key
itself may call none of these: a key cannot make or revoke keys."""

from __future__ import annotations

from stampbook.accounts.auth import me
from stampbook.apikeys import queries, services
from stampbook.apikeys.policy import ApiKeyAction
from stampbook.apikeys.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyPage
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint

bp = ApiBlueprint("apikeys", __name__, url_prefix="/api/v1", tag="API keys")

MANAGE = ApiKeyAction.API_KEY_MANAGE


@bp.get("/shops/<int:shop_id>/api-keys")
@route(Access.USER, action=MANAGE, subject=queries.load_shop)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(ApiKeyPage)
@bp.doc(
    summary="The shop's API keys, newest first, revoked ones too (never their secrets)",
    responses=[403, 404],
)
def list_api_keys(shop_id: int, query: PageQuery) -> ApiKeyPage:
    return queries.list_keys(me(), shop_id, query)


@bp.post("/shops/<int:shop_id>/api-keys")
@route(Access.USER, action=ApiKeyAction.API_KEY_CREATE, subject=queries.load_shop)
@bp.input(ApiKeyIn, arg_name="body")
@bp.output(ApiKeyCreated, status_code=201)
@bp.doc(
    summary="Make an API key; the reply holds its secret (`key`), shown this once",
    description=(
        "For a store's server: send the key as `Authorization: Bearer <key>`. It acts with "
        "your rights in this shop only, within its scopes, on the routes that take keys; it "
        "stops working when revoked or once you no longer run the shop."
    ),
    responses=[403, 404],
)
def create_api_key(shop_id: int, body: ApiKeyIn) -> ApiKeyCreated:
    return services.create_key(me(), shop_id, **body.model_dump(mode="json"))


@bp.delete("/api-keys/<int:key_id>")
@route(Access.USER, action=MANAGE)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Revoke an API key: refused from now on, and still listed with when",
    responses=[403, 404],
)
def revoke_api_key(key_id: int) -> tuple[str, int]:
    services.revoke_key(me(), key_id)
    return "", 204
