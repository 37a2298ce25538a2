"""Email through a real SMTP server (aiosmtpd on loopback): the receipt in the member's
language, multipart; marketing mail's one-click unsubscribe; an outage retried on the
schedule with a pinned clock, then failed and logged, never dropped silently."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core import clock, unit_of_work
from stampbook.notifications import delivering, rules
from stampbook.notifications.models import Delivery, DeliveryAttempt, Notification
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.notifications import consent
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(app: Flask) -> Iterator[tuple[Inbox, Controller]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    before = app.config.get("MAIL_URL")
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        yield inbox, controller
    finally:
        app.config["MAIL_URL"] = before
        with contextlib.suppress(AssertionError):  # stopped by the test already
            controller.stop()


def _parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_the_receipt_email_arrives_in_the_members_language_multipart(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    owner = make_user(session)
    member = make_user(session, name="Ana", language="es")
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(session, shop)
    membership = make_membership(session, program, member)
    give_points(session, membership, 50)
    reward = make_reward(session, shop, name="Café gratis", cost=10)
    response = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": membership.id},
        headers=auth(session, member),
    )
    assert response.status_code == 201, response.json
    [message] = inbox.messages
    assert message["To"] == member.email
    assert message["Subject"] == "Tu recibo de Café gratis en Café Luna"
    assert message.get_content_type() == "multipart/alternative"
    parts = _parts(message)
    assert "Hola, Ana:" in parts["text/plain"]
    assert "Canjeaste 1 \u00d7 Café gratis" in parts["text/plain"]
    assert "<p>Hola, Ana:</p>" in parts["text/html"]
    assert "List-Unsubscribe" not in message  # a receipt is transactional
    [delivery] = session.scalars(
        select(Delivery)
        .where(Delivery.user_id == member.id)
        .execution_options(populate_existing=True)
    ).all()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_marketing_mail_carries_a_working_one_click_unsubscribe(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    owner = make_user(session, name="Olga")
    member = make_user(session, name="Ada")
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(session, shop, name="Coffee card")
    make_membership(session, program, owner, role_type="manager")
    make_membership(session, program, member)
    consent(session, member, shop.id)

    def publish() -> None:
        response = client.post(
            "/api/v1/posts",
            json={"body": "Two for one on Fridays.", "program_id": program.id},
            headers=auth(session, owner),
        )
        assert response.status_code == 201, response.json

    publish()
    [message] = [m for m in inbox.messages if m["To"] == member.email]
    assert message["Subject"] == "News from Café Luna"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = "".join(str(message["List-Unsubscribe"]).split()).strip("<>")
    assert url in _parts(message)["text/plain"]
    # The mail client's one-click POST: no session, no CSRF token.
    answer = client.post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    inbox.messages.clear()
    publish()
    assert [m for m in inbox.messages if m["To"] == member.email] == []
    # A tampered token is a clear 400 page.
    bad = client.post(urlsplit(url).path[:-3] + "xyz")
    assert bad.status_code == 400
    assert "unsubscribe link is not valid" in bad.get_data(as_text=True)


def test_an_smtp_outage_is_retried_on_schedule_then_failed_and_logged(
    app_context: None,
    client: FlaskClient,
    session: Session,
    smtp: tuple[Inbox, Controller],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, controller = smtp
    controller.stop()  # the mail server is down
    now = [T0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    owner = make_user(session)
    member = make_user(session)
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(session, shop)
    membership = make_membership(session, program, member)
    give_points(session, membership, 50)
    reward = make_reward(session, shop, cost=10)
    headers = auth(session, member)
    session.commit()  # the jobs' units of work below start afresh
    response = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": membership.id},
        headers=headers,
    )
    assert response.status_code == 201

    def delivery() -> Delivery:
        [found] = session.scalars(
            select(Delivery)
            .where(Delivery.user_id == member.id)
            .execution_options(populate_existing=True)
        ).all()
        return found

    assert (delivery().status, delivery().attempts) == ("pending", 1)
    assert delivery().next_attempt_at == T0 + rules.BACKOFF[0]
    # Not due yet: nothing is tried.
    assert unit_of_work.run(lambda: delivering.send_due(now=T0 + timedelta(seconds=30))) == 0
    for wait in rules.BACKOFF:
        now[0] = delivery().next_attempt_at or now[0]
        assert now[0] - T0 >= wait
        with caplog.at_level(logging.WARNING, logger="stampbook.notifications.delivering"):
            assert unit_of_work.run(lambda: delivering.send_due(now=now[0])) == 1
    found = delivery()
    assert (found.status, found.attempts) == ("failed", len(rules.BACKOFF) + 1)
    assert found.last_error
    attempts = session.scalars(
        select(DeliveryAttempt.outcome)
        .where(DeliveryAttempt.delivery_id == found.id)
        .order_by(DeliveryAttempt.id)
    ).all()
    assert attempts == ["retry"] * len(rules.BACKOFF) + ["failed"]
    assert f"notification delivery {found.id}" in caplog.text
    assert inbox.messages == []
    # The email channel failing held up no other: the receipt is in the member's centre.
    kinds = session.scalars(select(Notification.kind).where(Notification.user_id == member.id))
    assert list(kinds) == ["redemption_receipt"]


def test_without_mail_url_the_email_is_written_to_the_log(
    client: FlaskClient, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    owner, member = make_user(session), make_user(session, name="Ada")
    shop = make_shop(session, owner, name="Café Luna")
    membership = make_membership(session, make_program(session, shop), member)
    give_points(session, membership, 50)
    reward = make_reward(session, shop, name="Free coffee", cost=10)
    with caplog.at_level(logging.WARNING, logger="stampbook.notifications.channels.email"):
        response = client.post(
            f"/api/v1/rewards/{reward.id}/redemptions",
            json={"membership_id": membership.id},
            headers=auth(session, member),
        )
    assert response.status_code == 201
    assert "email not sent (no MAIL_URL)" in caplog.text
    assert "Subject: " in caplog.text
    assert "http://localhost/receipts/" in caplog.text


def test_the_app_says_at_start_that_mail_goes_to_the_log(
    database_url: str,
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import make_test_app

    # make_test_app points STAMPBOOK_INSTANCE at its folder: put it back afterwards.
    monkeypatch.setenv("STAMPBOOK_INSTANCE", os.environ.get("STAMPBOOK_INSTANCE", ""))
    with caplog.at_level(logging.WARNING, logger="stampbook.notifications.channels.email"):
        make_test_app(database_url, tmp_path, TESTING=False, MAIL_URL=None)
    assert "MAIL_URL is not set: emails are written to the log" in caplog.text
    with pytest.raises(ValueError, match="MAIL_URL must be"):
        make_test_app(database_url, tmp_path, MAIL_URL="http://mail.example.com")
