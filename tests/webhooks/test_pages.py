"""The shop team's webhook pages: the endpoints with an add form, one endpoint's settings,
secret, test message, and its messages and attempts with replay; in English and Spanish."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stampbook.webhooks.models import WebhookEndpoint, WebhookMessage
from tests.factories.webhooks import make_endpoint
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    error_next_to,
    log_in,
    post,
    statement_counts,
    text_of,
)
from tests.webhooks.receiver import Receiver, Reply


def test_the_team_adds_an_endpoint_with_the_types_it_wants(
    client: FlaskClient, session: Session, cafe: Cafe, receiver: Receiver
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/webhooks"
    form = text_of(client.get(page))
    assert '<label class="form-label" for="url">' in form
    assert 'for="event_types-0"' in form  # each type a labelled checkbox
    response = post(
        client,
        page,
        page,
        {"url": receiver.url, "description": "Till", "event_types": ["points.earned"]},
    )
    assert response.status_code == 303, text_of(response)
    endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert (endpoint.url, endpoint.description) == (receiver.url, "Till")
    assert endpoint.event_types == ["points.earned"]
    shown = text_of(client.get(response.headers["Location"]))
    assert endpoint.secret in shown
    assert "Send a test message" in shown and "Rotate the secret" in shown


def test_a_refused_address_is_said_next_to_it_and_nothing_saved(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/webhooks"
    response = post(client, page, page, {"url": "http://169.254.169.254/latest"})
    assert response.status_code == 409
    assert error_next_to(text_of(response), "url", "private or reserved network address")
    response = post(client, page, page, {"url": "ftp://example.com/x"})
    assert response.status_code == 422
    assert session.scalars(select(WebhookEndpoint)).all() == []


def test_the_log_shows_attempts_and_a_message_is_sent_again(
    client: FlaskClient, session: Session, cafe: Cafe, receiver: Receiver
) -> None:
    endpoint = make_endpoint(session, cafe.shop, receiver.url)
    log_in(client, cafe.owner.email)
    page = f"/webhook-endpoints/{endpoint.id}"
    receiver.answer(Reply(500, body=b"broken till"))
    assert post(client, f"{page}/test", page, {}).status_code == 303
    shown = text_of(client.get(page))
    assert "Test message" in shown and "answered 500" in shown and "broken till" in shown
    message = session.scalars(select(WebhookMessage)).one()
    assert post(client, f"/webhook-messages/{message.id}/replay", page, {}).status_code == 303
    shown = text_of(client.get(page))
    assert "answered 200" in shown and "delivered" in shown
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_editing_rotating_and_deleting(
    client: FlaskClient, session: Session, cafe: Cafe, receiver: Receiver
) -> None:
    endpoint = make_endpoint(session, cafe.shop, receiver.url)
    old = endpoint.secret
    log_in(client, cafe.owner.email)
    page = f"/webhook-endpoints/{endpoint.id}"
    response = post(
        client, page, page, {"url": receiver.url, "event_types": ["points.spent", "member.joined"]}
    )
    assert response.status_code == 303, text_of(response)
    session.refresh(endpoint)
    assert endpoint.event_types == ["points.spent", "member.joined"]
    assert endpoint.enabled is False  # the box left unticked
    assert endpoint.disabled_reason == "manual"
    assert "Disabled by the team." in text_of(client.get(page))
    assert post(client, f"{page}/rotate", page, {}).status_code == 303
    session.refresh(endpoint)
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert "The previous secret also signs until" in text_of(client.get(page))
    response = post(client, f"{page}/delete", page, {})
    assert response.headers["Location"].endswith(f"/shops/{cafe.shop.id}/webhooks")
    session.expire_all()
    assert session.scalars(select(WebhookEndpoint)).all() == []


def test_a_member_may_not_see_the_webhooks(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    endpoint = make_endpoint(session, cafe.shop, "https://93.184.215.14/x")
    log_in(client, cafe.member.email)
    assert client.get(f"/shops/{cafe.shop.id}/webhooks").status_code == 403
    assert client.get(f"/webhook-endpoints/{endpoint.id}").status_code == 403


def test_the_pages_in_spanish_escape_what_the_team_wrote(
    client: FlaskClient, session: Session, cafe: Cafe, engine: Engine
) -> None:
    endpoint = make_endpoint(session, cafe.shop, "https://93.184.215.14/x", description=EVIL)
    log_in(client, cafe.owner.email)
    paths = [f"/shops/{cafe.shop.id}/webhooks", f"/webhook-endpoints/{endpoint.id}"]
    assert_escaped(client, paths)
    assert all(n <= PAGE_BUDGET for n in statement_counts(client, engine, paths).values())
    spanish = text_of(client.get(paths[0], headers={"Accept-Language": "es"}))
    assert "Añadir el punto de destino" in spanish
