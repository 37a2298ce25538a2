"""SMS through a fake Twilio on loopback (a real HTTP server answering Twilio's recorded
replies): the form fields and basic credentials that arrive, the sid of a queued message,
and which failures are retried; 21610 (the number texted STOP) is an opt-out, stored and
never retried (RELIABILITY case 50); without SMS_URL, development logs the text."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from stampbook.accounts import phones
from stampbook.notifications.channels import Outgoing, SendFailed, sms
from tests.factories.accounts import make_user
from tests.notifications.fake_twilio import (
    ACCOUNT,
    FROM,
    PATH,
    SID,
    T0,
    TO,
    TOKEN,
    UNSUBSCRIBED,
    queued,
    twilio_error,
)
from tests.webhooks.receiver import Receiver, Reply


def text(body: str = "Your receipt #7: Free coffee") -> Outgoing:
    return Outgoing("sms", TO, "ignored", body)


def refusal(app: Flask, outgoing: Outgoing) -> SendFailed:
    with app.app_context(), pytest.raises(SendFailed) as failed:
        sms.send(outgoing)
    return failed.value


def test_a_queued_message_returns_its_sid_after_twilios_form_and_credentials(
    app: Flask, twilio: Receiver
) -> None:
    twilio.answer(Reply(201, {"Content-Type": "application/json"}, body=queued()))
    with app.app_context():
        assert sms.send(text()) == SID
    [got] = twilio.received
    assert got.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    scheme, credentials = got.headers["authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{ACCOUNT}:{TOKEN}"
    assert parse_qs(got.body.decode()) == {
        "To": [TO],
        "From": [FROM],
        "Body": ["Your receipt #7: Free coffee"],
    }


def test_a_reply_cut_short_still_counts_as_sent(app: Flask, twilio: Receiver) -> None:
    """Twilio echoes the text, and egress keeps 2 KB of a reply: a long text's reply loses
    its end, sid included; the message was queued all the same, and is never sent twice."""
    long = "A" * 1600  # Twilio takes 1600 characters at most
    twilio.answer(Reply(201, {"Content-Type": "application/json"}, body=queued(long)))
    with app.app_context():
        assert sms.send(text(long)) == "unknown-201"


def test_21610_is_an_opt_out_never_retried(app: Flask, twilio: Receiver) -> None:
    twilio.answer(UNSUBSCRIBED)
    failed = refusal(app, text())
    assert (failed.opted_out, failed.retryable) == (True, False)
    assert "21610" in failed.detail and "unsubscribed recipient" in failed.detail


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [
        (twilio_error(429, 20429, "Too Many Requests"), True),
        (twilio_error(500, 20500, "Internal Server Error"), True),
        (twilio_error(503, 20503, "Service Unavailable"), True),
        (twilio_error(400, 21211, "The 'To' number +3460 is not a valid phone number."), False),
        (twilio_error(401, 20003, "Authenticate"), False),
        (twilio_error(404, 20404, "The requested resource was not found"), False),
    ],
    ids=["429", "500", "503", "21211-invalid-to", "401-credentials", "404"],
)
def test_which_failures_are_retried(
    app: Flask, twilio: Receiver, reply: Reply, retryable: bool
) -> None:
    twilio.answer(reply)
    failed = refusal(app, text())
    assert (failed.retryable, failed.opted_out) == (retryable, False)
    assert str(reply.status) in failed.detail


def test_a_429_says_when_to_come_back(app: Flask, twilio: Receiver) -> None:
    twilio.answer(twilio_error(429, 20429, "Too Many Requests"))
    assert "retry after 1 s" in refusal(app, text()).detail


def test_no_reply_is_retried(app: Flask, twilio: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    host, port = twilio.server.server_address[:2]  # type: ignore[union-attr]
    twilio.server.server_close()  # type: ignore[union-attr]  # nobody listens there now
    monkeypatch.setitem(app.config, "SMS_URL", f"http://{host!s}:{port}{PATH}")
    failed = refusal(app, text())
    assert failed.retryable and not failed.opted_out


def test_sms_url_is_guarded_like_any_call_out(app: Flask, twilio: Receiver) -> None:
    """A private address is refused unless allowed (tests, on-premise): nothing is sent."""
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = False
    failed = refusal(app, text())
    assert not failed.retryable and "may not be called" in failed.detail
    assert twilio.received == []


def test_without_sms_url_development_logs_the_text(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(app.config, "SMS_URL", None)
    with app.app_context(), caplog.at_level(logging.INFO, logger=sms.__name__):
        provider_id = sms.send(text("Your code is 1234"))
    assert provider_id.startswith("logged-")
    assert "Your code is 1234" in caplog.text and TO in caplog.text


def test_without_sms_url_production_fails_rather_than_drop_the_text(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SMS_URL", None)
    monkeypatch.setitem(app.config, "STAMPBOOK_ENV", "production")
    failed = refusal(app, text())
    assert not failed.retryable and "SMS_URL" in failed.detail


def test_an_opt_out_is_stored_and_no_later_text_is_tried(
    app: Flask, session: Session, app_context: None, twilio: Receiver
) -> None:
    """RELIABILITY 50, the sender's and the accounts' part: 21610 says opted out, the number
    is remembered for every account holding it, and no text is addressed to it again."""
    ada = make_user(session, phone=TO)
    twin = make_user(session, phone=TO)
    other = make_user(session, phone="+34600999888")
    twilio.answer(UNSUBSCRIBED)
    with pytest.raises(SendFailed) as failed:
        sms.send(text())
    assert failed.value.opted_out
    assert phones.record_opt_out(TO, T0) == 2
    assert phones.record_opt_out(TO, datetime(2026, 3, 3, tzinfo=UTC)) == 0  # the first stays
    for user in (ada, twin, other):
        session.refresh(user)
    assert (ada.sms_opted_out_at, twin.sms_opted_out_at, other.sms_opted_out_at) == (T0, T0, None)
    assert (phones.sms_number(ada), phones.sms_number(other)) == (None, "+34600999888")
    assert len(twilio.received) == 1
