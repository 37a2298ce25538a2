"""The API keys API: the contract's paths and fields, the secret shown once and stored
hashed, who may make, list and revoke keys, and bad input refused with nothing saved."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.apikeys.models import ApiKey
from stampbook.shops.models import ShopPrivacy
from tests.factories.accounts import auth, make_user
from tests.factories.apikeys import bearer, make_api_key
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import World, make_world


def _keys(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ApiKey)) or 0


def _make(client: FlaskClient, session: Session, world: World, body: object, who: Any = None):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/shops/{world.shop.id}/api-keys",
        headers=auth(session, who or world.owner),
        json=body,
    )


def test_the_contract_round_trip(client: FlaskClient, session: Session) -> None:
    world = make_world(session)
    headers = auth(session, world.owner)
    created = _make(client, session, world, {"name": "Online store", "scopes": ["write"]})
    assert created.status_code == 201, created.json
    made = created.json
    secret = made["key"]
    assert secret.startswith("sk_") and len(secret) == 3 + 43
    assert made["prefix"] == secret[:10]
    assert made["scopes"] == ["read", "write"]  # write implies read
    assert (made["name"], made["shop_id"], made["created_by"]) == (
        "Online store",
        world.shop.id,
        world.owner.id,
    )
    assert made["last_used_at"] is None and made["revoked_at"] is None
    assert made["created_at"]

    # Stored hashed: the row holds the SHA-256 of the secret, and the secret nowhere.
    key = session.get(ApiKey, made["id"])
    assert key is not None
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {str(value) for value in vars(key).values()}

    # Listed, never with its secret.
    listed = client.get(f"/api/v1/shops/{world.shop.id}/api-keys", headers=headers)
    assert listed.status_code == 200, listed.json
    assert [k["id"] for k in listed.json["items"]] == [made["id"]]
    assert "key" not in listed.json["items"][0]
    assert secret not in listed.get_data(as_text=True)
    assert listed.json["items"][0]["prefix"] == made["prefix"]

    # Revoked: kept, listed with when; revoking again changes nothing.
    path = f"/api/v1/api-keys/{made['id']}"
    assert client.delete(path, headers=headers).status_code == 204
    revoked_at = client.get(f"/api/v1/shops/{world.shop.id}/api-keys", headers=headers).json[
        "items"
    ][0]["revoked_at"]
    assert revoked_at is not None
    assert client.delete(path, headers=headers).status_code == 204
    again = client.get(f"/api/v1/shops/{world.shop.id}/api-keys", headers=headers).json
    assert again["items"][0]["revoked_at"] == revoked_at
    assert client.delete("/api/v1/api-keys/987654", headers=headers).status_code == 404


def test_read_scope_alone(client: FlaskClient, session: Session) -> None:
    world = make_world(session)
    made = _make(client, session, world, {"name": "Reports", "scopes": ["read"]})
    assert made.status_code == 201, made.json
    assert made.json["scopes"] == ["read"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "   ", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "Store"}, "scopes"),
        ({"name": "Store", "scopes": []}, "scopes"),
        ({"name": "Store", "scopes": ["admin"]}, "scopes.0"),
        ({"name": "Store", "scopes": ["read", "read"]}, "scopes"),
        ({"name": "Store", "scopes": "read"}, "scopes"),
        ({"name": "Store", "scopes": ["read"], "key": "sk_mine"}, "key"),
        ({"name": "Store", "scopes": ["read"], "shop_id": 1}, "shop_id"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(
    client: FlaskClient, session: Session, body: dict[str, object], field: str
) -> None:
    world = make_world(session)
    response = _make(client, session, world, body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]
    assert _keys(session) == 0


def test_the_creator_and_managers_may_others_may_not(client: FlaskClient, session: Session) -> None:
    world = make_world(session)
    manager = make_user(session)
    make_role(session, world.shop, manager, "manager")
    # A manager whose settings take away shop permissions is still a manager.
    restricted = make_user(session)
    make_role(session, world.shop, restricted, "manager", permission_settings={"edit_shop": False})
    assistant = make_user(session)
    make_role(session, world.shop, assistant, "assistant")
    body = {"name": "Store", "scopes": ["read"]}
    for who in (manager, restricted):
        assert _make(client, session, world, body, who).status_code == 201
    listing = f"/api/v1/shops/{world.shop.id}/api-keys"
    # The program's manager (a membership role), an assistant, a member: they see the shop.
    for who in (world.manager, assistant, world.member, world.outsider):
        refused = _make(client, session, world, body, who)
        assert (refused.status_code, refused.json["code"]) == (403, "forbidden")
        assert client.get(listing, headers=auth(session, who)).status_code == 403
    assert refused.json["detail"] == "Only the shop's creator and managers make its API keys."
    _secret, key = make_api_key(session, world.shop)
    assert (
        client.delete(f"/api/v1/api-keys/{key.id}", headers=auth(session, assistant)).status_code
        == 403
    )
    assert _keys(session) == 3


def test_a_stranger_to_a_private_shop_is_told_nothing(
    client: FlaskClient, session: Session
) -> None:
    owner, stranger = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode=ShopPrivacy.PRIVATE)
    _secret, key = make_api_key(session, shop)
    headers = auth(session, stranger)
    body = {"name": "Mine", "scopes": ["write"]}
    for response in (
        client.get(f"/api/v1/shops/{shop.id}/api-keys", headers=headers),
        client.post(f"/api/v1/shops/{shop.id}/api-keys", headers=headers, json=body),
        client.post(f"/api/v1/shops/{shop.id}/api-keys", headers=headers, json={}),
        client.delete(f"/api/v1/api-keys/{key.id}", headers=headers),
    ):
        assert response.status_code == 404, response.json
    assert session.get(ApiKey, key.id).revoked_at is None  # type: ignore[union-attr]


def test_an_admin_lists_and_revokes_but_makes_no_key_for_a_shop_they_do_not_run(
    client: FlaskClient, session: Session
) -> None:
    """A key acts with its maker's rights in its shop; an admin outside the team would make
    a key refused from its first call."""
    world = make_world(session)
    admin = make_user(session, is_admin=True)
    _secret, key = make_api_key(session, world.shop)
    headers = auth(session, admin)
    assert client.get(f"/api/v1/shops/{world.shop.id}/api-keys", headers=headers).status_code == 200
    refused = _make(client, session, world, {"name": "Admin's", "scopes": ["read"]}, admin)
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden")
    assert client.delete(f"/api/v1/api-keys/{key.id}", headers=headers).status_code == 204


def test_a_key_makes_and_revokes_no_key(client: FlaskClient, session: Session) -> None:
    world = make_world(session)
    secret, key = make_api_key(session, world.shop, scopes=["write"])
    listing = f"/api/v1/shops/{world.shop.id}/api-keys"
    for response in (
        client.post(listing, headers=bearer(secret), json={"name": "Child", "scopes": ["write"]}),
        client.get(listing, headers=bearer(secret)),
        client.delete(f"/api/v1/api-keys/{key.id}", headers=bearer(secret)),
    ):
        assert (response.status_code, response.json["code"]) == (403, "api_key_not_allowed")
    assert _keys(session) == 1
    assert session.get(ApiKey, key.id).revoked_at is None  # type: ignore[union-attr]


def test_the_document_says_keys_are_bearer_tokens(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    scheme = spec["components"]["securitySchemes"]["BearerAuth"]
    assert "API key" in scheme["description"] and "sk_" in scheme["description"]
    created = spec["paths"]["/api/v1/shops/{shop_id}/api-keys"]["post"]
    assert (
        "key"
        in spec["components"]["schemas"][
            created["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].split("/")[
                -1
            ]
        ]["required"]
    )
    reading = spec["paths"]["/api/v1/programs/{program_id}"]["get"]
    assert "`read` scope" in reading["description"]
    assert "403" in reading["responses"]  # a key refused on a route that does not take it
