"""Store connections through the API (DESIGN 9: ``GET/POST /api/v1/shops/{id}/integrations``,
``DELETE /api/v1/integrations/{id}``): the shop's creator and managers connect a Shopify
store to one of its live programs; the secret goes in and never comes out."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.loyalty.models import Integration
from stampbook.programs.models import Program
from tests.factories.accounts import auth
from tests.factories.apikeys import make_api_key
from tests.factories.programs import make_program
from tests.factories.shops import make_team
from tests.loyalty.conftest import Store
from tests.loyalty.shopify_store import DOMAIN, SECRET, WEBHOOK


def _body(program_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "shopify",
        "shop_domain": DOMAIN,
        "secret": SECRET,
        "program_id": program_id,
        **changes,
    }


def _url(store: Store) -> str:
    return f"/api/v1/shops/{store.team.shop.id}/integrations"


def test_a_manager_connects_a_store_and_the_secret_is_never_shown(store: Store) -> None:
    made = store.client.post(_url(store), json=_body(store.program_id), headers=store.headers)
    assert made.status_code == 201, made.json
    assert SECRET not in made.get_data(as_text=True)
    assert "secret" not in made.json
    assert made.json["shop_domain"] == DOMAIN
    assert made.json["program_id"] == store.program_id
    assert made.json["created_by"] == store.team.manager.id
    assert made.json["disabled_at"] is None
    assert made.json["webhook_url"].endswith(WEBHOOK)
    assert "orders/paid" in made.json["topics"] and "orders/create" not in made.json["topics"]
    listed = store.client.get(_url(store), headers=store.headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json["items"]] == [made.json["id"]]
    assert SECRET not in listed.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("creator", 201),
        ("manager", 201),
        ("assistant", 403),
        ("viewer", 403),
        ("member", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_connects_a_store(client: FlaskClient, session: Session, who: str, status: int) -> None:
    team = make_team(session)
    user = team.actor(who)
    headers = auth(session, user) if user is not None else {}
    url = f"/api/v1/shops/{team.shop.id}/integrations"
    made = client.post(url, json=_body(team.program.id), headers=headers)
    assert made.status_code == status, made.json
    listed = client.get(url, headers=headers)
    assert listed.status_code == (200 if status == 201 else status)


def test_a_private_shops_connections_are_hidden_from_strangers(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session, shop_fields={"privacy_mode": "private"})
    stranger = make_team(session).creator
    response = client.get(
        f"/api/v1/shops/{team.shop.id}/integrations", headers=auth(session, stranger)
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "domain",
    [
        "corner-cafe.com",
        "https://corner-cafe.myshopify.com",
        "corner-cafe.myshopify.com/admin",
        "-corner.myshopify.com",
        "corner cafe.myshopify.com",
        ".myshopify.com",
        "corner-cafe.myshopify.com.evil.example",
    ],
)
def test_a_domain_that_is_not_a_shopify_stores_is_refused(store: Store, domain: str) -> None:
    made = store.client.post(
        _url(store), json=_body(store.program_id, shop_domain=domain), headers=store.headers
    )
    assert made.status_code == 422, made.json
    assert made.json["errors"][0]["field"] == "shop_domain"


def test_the_domain_is_kept_in_lower_case(store: Store) -> None:
    made = store.client.post(
        _url(store),
        json=_body(store.program_id, shop_domain="Corner-Cafe.MyShopify.com"),
        headers=store.headers,
    )
    assert (made.status_code, made.json["shop_domain"]) == (201, DOMAIN)


@pytest.mark.parametrize(
    "changes",
    [{"secret": "short"}, {"secret": "has a space in it 123"}, {"kind": "square"}, {"extra": 1}],
)
def test_bad_fields_are_refused(store: Store, changes: dict[str, Any]) -> None:
    made = store.client.post(
        _url(store), json=_body(store.program_id, **changes), headers=store.headers
    )
    assert made.status_code == 422, made.json


def test_a_program_of_another_shop_is_not_found(store: Store, session: Session) -> None:
    elsewhere = make_team(session).program
    made = store.client.post(_url(store), json=_body(elsewhere.id), headers=store.headers)
    assert (made.status_code, made.json["code"]) == (404, "not_found")
    assert made.json["detail"] == "No such program."
    assert session.scalars(select(Integration)).all() == []


def test_an_archived_program_is_refused(store: Store, session: Session) -> None:
    old = make_program(session, store.team.shop, name="Old card")
    session.get(Program, old.id).archived_at = utcnow()  # type: ignore[union-attr]
    session.flush()
    made = store.client.post(_url(store), json=_body(old.id), headers=store.headers)
    assert (made.status_code, made.json["code"]) == (409, "archived")


def test_a_store_has_one_live_connection(store: Store, session: Session) -> None:
    first = store.client.post(_url(store), json=_body(store.program_id), headers=store.headers)
    again = store.client.post(_url(store), json=_body(store.program_id), headers=store.headers)
    assert (again.status_code, again.json["code"]) == (409, "store_connected")
    # Another shop may not take it either while it is connected.
    other = make_team(session)
    taken = store.client.post(
        f"/api/v1/shops/{other.shop.id}/integrations",
        json=_body(other.program.id),
        headers=auth(session, other.manager),
    )
    assert (taken.status_code, taken.json["code"]) == (409, "store_connected")
    # Disconnected, it may be connected again (a reinstall); the old one stays listed.
    url = f"/api/v1/integrations/{first.json['id']}"
    assert store.client.delete(url, headers=store.headers).status_code == 204
    again = store.client.post(_url(store), json=_body(store.program_id), headers=store.headers)
    assert again.status_code == 201
    listed = store.client.get(_url(store), headers=store.headers).json["items"]
    assert [(i["id"], i["disabled_at"] is None) for i in listed] == [
        (again.json["id"], True),
        (first.json["id"], False),
    ]


def test_disconnecting_twice_keeps_the_first_date(store: Store, session: Session) -> None:
    made = store.client.post(_url(store), json=_body(store.program_id), headers=store.headers)
    url = f"/api/v1/integrations/{made.json['id']}"
    assert store.client.delete(url, headers=store.headers).status_code == 204
    first = session.get(Integration, made.json["id"])
    assert first is not None and first.disabled_at is not None
    when = first.disabled_at
    assert store.client.delete(url, headers=store.headers).status_code == 204
    session.expire_all()
    assert session.get(Integration, made.json["id"]).disabled_at == when  # type: ignore[union-attr]


@pytest.mark.parametrize(("who", "status"), [("assistant", 403), ("outsider", 403)])
def test_only_the_team_s_managers_disconnect(
    store: Store, session: Session, who: str, status: int
) -> None:
    made = store.client.post(_url(store), json=_body(store.program_id), headers=store.headers)
    user = store.team.actor(who)
    assert user is not None
    response = store.client.delete(
        f"/api/v1/integrations/{made.json['id']}", headers=auth(session, user)
    )
    assert response.status_code == status
    assert store.client.delete("/api/v1/integrations/999999", headers=store.headers).json[
        "detail"
    ] == ("No such store connection.")


def test_a_shops_api_key_acts_within_its_scope_and_shop(store: Store, session: Session) -> None:
    reader, _ = make_api_key(session, store.team.shop, scopes=["read"])
    writer, _ = make_api_key(session, store.team.shop, scopes=["write"])
    other_key, _ = make_api_key(session, make_team(session).shop, scopes=["write"])

    def bearer(secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}

    refused = store.client.post(_url(store), json=_body(store.program_id), headers=bearer(reader))
    assert (refused.status_code, refused.json["code"]) == (403, "api_key_scope")
    made = store.client.post(_url(store), json=_body(store.program_id), headers=bearer(writer))
    assert made.status_code == 201, made.json
    assert store.client.get(_url(store), headers=bearer(reader)).status_code == 200
    assert store.client.get(_url(store), headers=bearer(other_key)).status_code == 404
    url = f"/api/v1/integrations/{made.json['id']}"
    assert store.client.delete(url, headers=bearer(other_key)).status_code == 404
    assert store.client.delete(url, headers=bearer(writer)).status_code == 204


def test_the_webhook_address_follows_the_public_url(store: Store, monkeypatch: Any) -> None:
    app = store.client.application
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://stampbook.example/")
    made = store.client.post(_url(store), json=_body(store.program_id), headers=store.headers)
    assert made.json["webhook_url"] == f"https://stampbook.example{WEBHOOK}"
