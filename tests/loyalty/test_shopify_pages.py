"""The shop team's store connection page: connect a Shopify store from a form (the secret
never shown again), the webhook address to paste into Shopify, disconnect with a
CSRF-protected button, the last deliveries with what each did; others refused; in Spanish."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.loyalty.models import EarningRule, Integration
from tests.factories.shops import make_role
from tests.loyalty.shopify_store import DOMAIN, SECRET, WEBHOOK, payload, shopify_signature
from tests.pages import (
    EVIL,
    Cafe,
    csrf_token,
    error_next_to,
    log_in,
    post,
    signed_in,
    text_of,
)
from tests.ui.test_spanish_everywhere import SPANISH, english_in, readable


def _page(cafe: Cafe) -> str:
    return f"/shops/{cafe.shop.id}/store"


def _connect(client: FlaskClient, cafe: Cafe, **fields: object) -> object:
    form = {"shop_domain": DOMAIN, "secret": SECRET, "program_id": cafe.program.id, **fields}
    return post(client, _page(cafe), _page(cafe), form)


def _deliver(client: FlaskClient, topic: str, body: bytes) -> None:
    response = client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-Hmac-Sha256": shopify_signature(body),
        },
    )
    assert response.status_code == 200, response.json


def test_the_owner_connects_the_store_and_reads_its_log(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    session.add(EarningRule(program_id=cafe.program.id, kind="purchase", points=1, per_amount=100))
    session.flush()
    log_in(client, cafe.owner.email)
    empty = text_of(client.get(_page(cafe)))
    assert "No store connected yet." in empty and "No webhook received yet." in empty
    assert f"http://localhost{WEBHOOK}" in empty
    assert "orders/paid" in empty and "app/uninstalled" in empty
    made = _connect(client, cafe)
    assert made.status_code == 303  # type: ignore[attr-defined]
    integration = session.scalars(select(Integration)).one()
    assert (integration.shop_domain, integration.secret, integration.created_by) == (
        DOMAIN,
        SECRET,
        cafe.owner.id,
    )
    page = text_of(client.get(_page(cafe)))
    assert f"The store {DOMAIN} is connected" in page
    assert SECRET not in page  # neither in the list nor back in the form
    assert f"Earns in: {cafe.program.name}" in page
    _deliver(client, "orders/paid", payload("orders_paid"))
    _deliver(client, "products/update", b'{"id": 1}')
    _deliver(
        client,
        "orders/paid",
        json.dumps({**json.loads(payload("orders_paid")), "id": 2, "currency": "EUR"}).encode(),
    )
    log = text_of(client.get(_page(cafe))).split('id="log-title"')[1]
    assert "The order earned 239 points." in log
    assert "A topic stampbook does not act on." in log
    assert "This program counts in USD, not EUR: send amounts in USD." in log
    assert log.count("orders/paid") == 2 and "products/update" in log


def test_a_bad_domain_is_shown_next_to_its_field(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    refused = _connect(client, cafe, shop_domain="corner-cafe.com")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = text_of(refused)
    assert 'id="shop_domain-help" class="invalid-feedback' in page
    assert SECRET not in page


def test_a_connected_store_is_refused_next_to_its_domain(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    _connect(client, cafe)
    again = _connect(client, cafe)
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert error_next_to(text_of(again), "shop_domain", f"The store {DOMAIN} is connected already")


def test_disconnecting_from_the_page(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    _connect(client, cafe)
    integration = session.scalars(select(Integration)).one()
    gone = post(client, f"/store-connections/{integration.id}/disconnect", _page(cafe), {})
    assert gone.status_code == 303
    session.expire_all()
    assert session.get(Integration, integration.id).disabled_at is not None  # type: ignore[union-attr]
    page = text_of(client.get(_page(cafe)))
    assert "is disconnected: its webhooks are refused." in page
    assert "Disconnected on" in page
    # Without the form's token, nothing is done.
    assert client.post(f"/store-connections/{integration.id}/disconnect").status_code in (
        303,
        400,
    )


def test_others_may_not_manage_the_store(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    assert client.get(_page(cafe)).status_code == 401  # sign in first
    member = signed_in(app, cafe.member)
    assert member.get(_page(cafe)).status_code == 403
    helper = make_role(session, cafe.shop, cafe.member, "assistant").user_id
    assert helper == cafe.member.id
    assert member.get(_page(cafe)).status_code == 403
    owner = signed_in(app, cafe.owner)
    _connect(owner, cafe)
    integration = session.scalars(select(Integration)).one()
    refused = member.post(f"/store-connections/{integration.id}/disconnect")
    assert refused.status_code in (400, 403)
    session.expire_all()
    assert session.get(Integration, integration.id).disabled_at is None  # type: ignore[union-attr]


def test_what_stores_send_is_shown_as_text(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    _connect(client, cafe)
    _deliver(client, EVIL, b'{"id": 1}')
    page = text_of(client.get(_page(cafe)))
    assert EVIL not in page and "&lt;script&gt;" in page


def test_the_page_reads_in_spanish(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    session.add(EarningRule(program_id=cafe.program.id, kind="purchase", points=1, per_amount=100))
    session.add(EarningRule(program_id=cafe.program.id, kind="signup", points=5))
    session.flush()
    log_in(client, cafe.owner.email)
    _connect(client, cafe)
    for topic, name in [
        ("customers/create", "customers_create"),
        ("refunds/create", "refunds_create"),
        ("orders/paid", "orders_paid"),
        ("orders/create", "orders_create"),
        ("customers/update", "customers_update"),
        ("orders/cancelled", "orders_cancelled"),
        ("products/update", "app_uninstalled"),
        ("app/uninstalled", "app_uninstalled"),
    ]:
        _deliver(client, topic, payload(name))
    client.get(_page(cafe))  # the flashed "connected" message, said in English, is read
    page = text_of(client.get(_page(cafe), headers=SPANISH))
    assert "Tienda en línea" in page and "El pedido ganó 239 puntos." in page
    assert "Se desinstaló la aplicación" in page
    assert english_in(readable(page)) == []
    form = {"shop_domain": "nope", "secret": SECRET, "program_id": cafe.program.id}
    form["csrf_token"] = csrf_token(client, _page(cafe))
    refused = client.post(_page(cafe), data=form, headers=SPANISH)
    assert refused.status_code == 422
    assert english_in(readable(text_of(refused))) == []
