"""The webhook endpoints API: the contract's paths and fields, who may, and bad input
refused with a clear problem+json and nothing saved."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.webhooks.models import WebhookEndpoint
from tests.factories.accounts import auth
from tests.factories.shops import make_role
from tests.factories.tasks import World, make_world
from tests.webhooks.receiver import Receiver, Reply


def _endpoints(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0


def _create(client: FlaskClient, session: Session, world: World, body: object):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/shops/{world.shop.id}/webhook-endpoints",
        headers=auth(session, world.owner),
        json=body,
    )


def test_the_contract_round_trip(client: FlaskClient, session: Session, receiver: Receiver) -> None:
    world = make_world(session)
    headers = auth(session, world.owner)
    created = _create(
        client, session, world, {"url": receiver.url, "event_types": ["points.earned"]}
    )
    assert created.status_code == 201, created.json
    endpoint = created.json
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["enabled"] is True
    assert endpoint["event_types"] == ["points.earned"]
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"

    listed = client.get(f"/api/v1/shops/{world.shop.id}/webhook-endpoints", headers=headers)
    assert [e["id"] for e in listed.json["items"]] == [endpoint["id"]]
    assert client.get(path, headers=headers).json["secret"] == endpoint["secret"]

    changed = client.patch(path, headers=headers, json={"event_types": [], "enabled": False})
    assert changed.status_code == 200, changed.json
    assert (changed.json["event_types"], changed.json["enabled"]) == ([], False)
    assert changed.json["disabled_reason"] == "manual"
    refused = client.post(f"{path}/test", headers=headers)
    assert (refused.status_code, refused.json["code"]) == (409, "endpoint_disabled")
    enabled = client.patch(path, headers=headers, json={"enabled": True})
    assert enabled.json["disabled_reason"] is None

    receiver.answer(Reply(500, body=b"oops"))
    sent = client.post(f"{path}/test", headers=headers)
    assert sent.status_code == 202, sent.json
    assert sent.json["type"] == "webhook.test"
    assert sent.json["msg_id"].startswith("msg_")
    messages = client.get(f"{path}/messages", headers=headers).json["items"]
    assert [(m["id"], m["status"], m["attempts"]) for m in messages] == [
        (sent.json["id"], "pending", 1)
    ]
    assert messages[0]["payload"]["data"]["endpoint_id"] == endpoint["id"]
    attempts = client.get(f"{path}/attempts", headers=headers).json["items"]
    assert [(a["status_code"], a["response"], a["msg_id"]) for a in attempts] == [
        (500, "oops", sent.json["msg_id"])
    ]
    assert attempts[0]["next_attempt_at"] is not None

    replayed = client.post(f"/api/v1/webhook-messages/{sent.json['id']}/replay", headers=headers)
    assert replayed.status_code == 202, replayed.json
    assert replayed.json["msg_id"] == sent.json["msg_id"]
    assert replayed.json["status"] == "pending"  # sent after commit: the next reply says so
    messages = client.get(f"{path}/messages", headers=headers).json["items"]
    assert [(m["status"], m["attempts"]) for m in messages] == [("delivered", 1)]

    rotated = client.post(f"{path}/secret/rotate", headers=headers)
    assert rotated.json["secret"] != endpoint["secret"]
    assert rotated.json["previous_secret_until"] is not None

    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://user:secret@example.com/"}, "url"),
        ({"url": "https:///no-host"}, "url"),
        ({"url": ""}, "url"),
        ({}, "url"),
        ({"url": "https://example.com/", "event_types": ["points.stolen"]}, "event_types.0"),
        ({"url": "https://example.com/", "event_types": ["webhook.test"]}, "event_types.0"),
        ({"url": "https://example.com/", "event_types": ["points.earned"] * 2}, "event_types"),
        ({"url": "https://example.com/", "event_types": "points.earned"}, "event_types"),
        ({"url": "https://example.com/", "secret": "whsec_mine"}, "secret"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(
    client: FlaskClient, session: Session, body: dict[str, object], field: str
) -> None:
    world = make_world(session)
    response = _create(client, session, world, body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "validation_failed"
    assert field in [e["field"] for e in response.json["errors"]]
    assert _endpoints(session) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",
        "http://[::1]/",
        "http://0x7f000001:8080/",
    ],
)
def test_a_url_the_guard_refuses_is_a_clear_problem_and_nothing_saved(
    app: Flask, client: FlaskClient, session: Session, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
    world = make_world(session)
    response = _create(client, session, world, {"url": url})
    assert response.status_code == 409, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "url_not_allowed"
    assert response.json["detail"]
    assert _endpoints(session) == 0


def test_changing_the_url_is_checked_too(
    app: Flask, client: FlaskClient, session: Session, receiver: Receiver
) -> None:
    world = make_world(session)
    created = _create(client, session, world, {"url": receiver.url}).json
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = False  # restored by the receiver fixture
    response = client.patch(
        f"/api/v1/webhook-endpoints/{created['id']}",
        headers=auth(session, world.owner),
        json={"url": "http://10.0.0.1/"},
    )
    assert (response.status_code, response.json["code"]) == (409, "url_not_allowed")
    endpoint = session.get(WebhookEndpoint, created["id"])
    assert endpoint is not None and endpoint.url == receiver.url


def test_the_shops_settings_managers_may_and_others_may_not(
    client: FlaskClient, session: Session, receiver: Receiver
) -> None:
    world = make_world(session)
    make_role(session, world.shop, world.manager, "manager")
    make_role(session, world.shop, world.assistant, "assistant")
    path = f"/api/v1/shops/{world.shop.id}/webhook-endpoints"
    as_manager = client.post(path, headers=auth(session, world.manager), json={"url": receiver.url})
    assert as_manager.status_code == 201
    for who, status in ((world.assistant, 403), (world.member, 403), (world.outsider, 403)):
        response = client.get(path, headers=auth(session, who))
        assert response.status_code == status, response.json
        # Permission before validation: a bad body from someone who may not is a 403.
        assert client.post(path, headers=auth(session, who), json={}).status_code == status
    endpoint = f"/api/v1/webhook-endpoints/{as_manager.json['id']}"
    assert client.get(endpoint, headers=auth(session, world.member)).status_code == 403
    assert client.get(endpoint).status_code == 401
