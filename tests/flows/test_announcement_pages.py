"""The shop settings page's "send a test announcement" button: a job after commit posts it
to the shop's chat (a receiver on loopback), in the asker's language; refused without a
chat, and to those who may not edit the shop; a chat that fails is logged, not shown."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.flows import announcements
from tests.pages import Cafe, csrf_token, log_in, text_of
from tests.webhooks.receiver import Receiver, Reply, receiving


@pytest.fixture
def chat_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    with receiving() as receiver:
        yield receiver


def press(client: FlaskClient, cafe: Cafe, **headers: str) -> tuple[int, str]:
    """Press the button on the settings page; the status, and the page it leads to."""
    edit = f"/shops/{cafe.shop.id}/edit"
    response = client.post(
        f"/shops/{cafe.shop.id}/chat/test",
        data={"csrf_token": csrf_token(client, edit)},
        headers=headers,
    )
    if response.status_code != 303:
        return response.status_code, text_of(response)
    assert response.headers["Location"].endswith(edit)
    return 303, text_of(client.get(edit, headers=headers))


def test_a_test_announcement_reaches_the_chat(
    client: FlaskClient, session: Session, cafe: Cafe, chat_server: Receiver
) -> None:
    cafe.shop.chat_webhook_url = chat_server.url
    session.flush()
    log_in(client, cafe.owner.email)
    status, page = press(client, cafe)
    assert status == 303 and "A test announcement is on its way" in page
    [got] = chat_server.received
    assert json.loads(got.body) == {
        "text": "A test announcement from Corner Café on stampbook: its announcements will "
        "appear here."
    }


def test_in_the_askers_language(
    client: FlaskClient, session: Session, cafe: Cafe, chat_server: Receiver
) -> None:
    cafe.shop.chat_webhook_url = chat_server.url
    session.flush()
    log_in(client, cafe.owner.email)
    status, page = press(client, cafe, **{"Accept-Language": "es"})
    assert status == 303 and "A test announcement" not in page
    [got] = chat_server.received
    text = json.loads(got.body)["text"]
    assert "Corner Café" in text and "A test announcement" not in text


def test_without_a_chat_the_button_says_what_to_do(
    client: FlaskClient, cafe: Cafe, chat_server: Receiver
) -> None:
    log_in(client, cafe.owner.email)
    status, page = press(client, cafe)
    assert status == 303 and "Give the shop a chat webhook address first" in page
    assert chat_server.received == []


def test_only_those_who_edit_the_shop_may_press_it(
    app: Flask, session: Session, cafe: Cafe, chat_server: Receiver
) -> None:
    cafe.shop.chat_webhook_url = chat_server.url
    session.flush()
    member = app.test_client()
    log_in(member, cafe.member.email)
    token = csrf_token(member, "/account")
    response = member.post(f"/shops/{cafe.shop.id}/chat/test", data={"csrf_token": token})
    assert response.status_code == 403
    assert chat_server.received == []


def test_a_failing_chat_is_logged_and_the_request_stands(
    client: FlaskClient,
    session: Session,
    cafe: Cafe,
    chat_server: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cafe.shop.chat_webhook_url = chat_server.url
    session.flush()
    chat_server.answer(Reply(404, body=b"no_service"))
    log_in(client, cafe.owner.email)
    with caplog.at_level(logging.WARNING, logger=announcements.__name__):
        status, _page = press(client, cafe)
    assert status == 303
    assert "not posted" in caplog.text and "404" in caplog.text
