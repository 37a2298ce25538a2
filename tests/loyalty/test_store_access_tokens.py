"""A store connection's Admin API access token (for discount codes): given when connecting or
later, replaced, removed, forgotten on disconnecting, and never shown again, by the API and
on the Online store page."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.loyalty.models import Integration
from tests.factories.accounts import auth
from tests.loyalty.conftest import Store
from tests.loyalty.shopify_store import DOMAIN, SECRET, connect
from tests.pages import log_in, post, text_of

TOKEN = "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"
OTHER = "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"


def held(session: Session, integration_id: int) -> str | None:
    session.expire_all()
    found = session.get(Integration, integration_id)
    assert found is not None
    return found.access_token


def test_a_token_given_when_connecting_is_kept_and_never_shown(
    store: Store, session: Session
) -> None:
    response = store.client.post(
        f"/api/v1/shops/{store.team.shop.id}/integrations",
        json={
            "kind": "shopify",
            "shop_domain": DOMAIN,
            "secret": SECRET,
            "program_id": store.program_id,
            "access_token": TOKEN,
        },
        headers=store.headers,
    )

    assert response.status_code == 201, response.json
    assert response.json["has_access_token"] is True
    assert TOKEN not in text_of(response)
    listed = store.client.get(
        f"/api/v1/shops/{store.team.shop.id}/integrations", headers=store.headers
    )
    assert TOKEN not in text_of(listed)
    assert held(session, response.json["id"]) == TOKEN


def test_a_token_is_given_replaced_and_removed(store: Store, session: Session) -> None:
    integration_id = connect(store)
    url = f"/api/v1/integrations/{integration_id}"

    given = store.client.patch(url, json={"access_token": TOKEN}, headers=store.headers)
    replaced = store.client.patch(url, json={"access_token": OTHER}, headers=store.headers)
    assert held(session, integration_id) == OTHER
    removed = store.client.patch(url, json={"access_token": None}, headers=store.headers)

    assert [r.status_code for r in (given, replaced, removed)] == [200, 200, 200]
    assert [r.json["has_access_token"] for r in (given, replaced, removed)] == [True, True, False]
    assert all(TOKEN not in text_of(r) and OTHER not in text_of(r) for r in (given, replaced))
    assert held(session, integration_id) is None


def test_a_token_that_is_not_one_is_refused(store: Store) -> None:
    integration_id = connect(store)
    url = f"/api/v1/integrations/{integration_id}"

    for body in ({"access_token": "short"}, {"access_token": "has spaces in it, 1234"}, {}):
        response = store.client.patch(url, json=body, headers=store.headers)
        assert response.status_code == 422, body


def test_disconnecting_forgets_the_token_and_refuses_a_new_one(
    store: Store, session: Session
) -> None:
    integration_id = connect(store)
    url = f"/api/v1/integrations/{integration_id}"
    store.client.patch(url, json={"access_token": TOKEN}, headers=store.headers)

    assert store.client.delete(url, headers=store.headers).status_code == 204
    again = store.client.patch(url, json={"access_token": TOKEN}, headers=store.headers)

    assert held(session, integration_id) is None
    assert (again.status_code, again.json["code"]) == (409, "store_disconnected")
    assert DOMAIN in again.json["detail"]


def test_only_the_shops_managers_give_a_token(
    store: Store, session: Session, client: FlaskClient
) -> None:
    integration_id = connect(store)
    url = f"/api/v1/integrations/{integration_id}"

    assistant = client.patch(
        url, json={"access_token": TOKEN}, headers=auth(session, store.team.assistant)
    )
    outsider = client.patch(
        url, json={"access_token": TOKEN}, headers=auth(session, store.team.outsider)
    )

    assert assistant.status_code == 403
    assert outsider.status_code in (403, 404)
    assert held(session, integration_id) is None


def test_the_online_store_page_takes_a_token_and_never_shows_it(
    store: Store, session: Session, client: FlaskClient
) -> None:
    integration_id = connect(store)
    log_in(client, store.team.manager.email)
    page = f"/shops/{store.team.shop.id}/store"
    assert "Discount codes: issued here, without an access token" in text_of(client.get(page))

    saved = post(
        client, f"/store-connections/{integration_id}/token", page, {"access_token": TOKEN}
    )
    shown = text_of(client.get(page))
    empty = post(client, f"/store-connections/{integration_id}/token", page, {"access_token": ""})
    assert held(session, integration_id) == TOKEN
    removed = post(client, f"/store-connections/{integration_id}/token", page, {"remove": "1"})

    assert saved.status_code == 303
    assert "Discount codes: made in the store with its access token." in shown
    assert f"Replace the token of {DOMAIN}" in shown
    assert TOKEN not in shown
    assert empty.status_code == 303
    assert removed.status_code == 303
    assert held(session, integration_id) is None
    after = text_of(client.get(page))
    assert "The access token of corner-cafe.myshopify.com is removed" in after


def test_the_connect_form_takes_a_token_too(
    store: Store, session: Session, client: FlaskClient
) -> None:
    log_in(client, store.team.manager.email)
    page = f"/shops/{store.team.shop.id}/store"

    response = post(
        client,
        page,
        page,
        {
            "shop_domain": DOMAIN,
            "secret": SECRET,
            "program_id": store.program_id,
            "access_token": TOKEN,
        },
    )

    assert response.status_code == 303, text_of(response)
    [integration] = session.scalars(select(Integration)).all()
    assert integration.access_token == TOKEN
    assert TOKEN not in text_of(client.get(page))
