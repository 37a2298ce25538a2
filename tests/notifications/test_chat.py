"""Chat announcements to an incoming-webhook receiver on loopback (a real HTTP server with
Slack's and Discord's recorded replies): the body's shape by the URL's host, mentions that
cannot ping a channel, and which failures are retried; the SSRF guard when connecting."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from stampbook.core import egress
from stampbook.notifications.channels import Outgoing, SendFailed, chat
from tests.webhooks.receiver import Receiver, Reply

ANNOUNCEMENT = "Ana reached level 3 at Café Luna"
JSON = {"Content-Type": "application/json"}
# Discord's replies: 204 without ?wait=true; its rate limit; a deleted webhook.
DISCORD_RATE_LIMITED = Reply(
    429,
    {**JSON, "Retry-After": "2"},
    body=b'{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}',
)
DISCORD_UNKNOWN_WEBHOOK = Reply(404, JSON, body=b'{"message": "Unknown Webhook", "code": 10015}')
# Slack's: "ok", and its errors in plain text.
SLACK_OK = Reply(200, {"Content-Type": "text/html"}, body=b"ok")


def slack_error(status: int, error: str) -> Reply:
    return Reply(status, {"Content-Type": "text/html"}, body=error.encode())


@pytest.fixture
def discord(chat_server: Receiver, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Discord webhook URL whose host, discord.com, resolves to the loopback receiver."""
    real = egress.resolve
    monkeypatch.setattr(
        egress,
        "resolve",
        lambda host, port: ["127.0.0.1"] if host == "discord.com" else real(host, port),
    )
    port = chat_server.server.server_address[1]  # type: ignore[union-attr]
    return f"http://discord.com:{port}/api/webhooks/123456789012345678/token-abc"


def announce(app: Flask, url: str, text: str = ANNOUNCEMENT) -> str:
    with app.app_context():
        return chat.send(Outgoing("chat", url, "ignored", text))


def refusal(app: Flask, url: str) -> SendFailed:
    with pytest.raises(SendFailed) as failed:
        announce(app, url)
    return failed.value


def test_slack_shaped_text_is_posted_escaped(app: Flask, chat_server: Receiver) -> None:
    chat_server.answer(SLACK_OK)
    assert announce(app, chat_server.url, "<!channel> Ana & Bo reached level 3") == ""
    [got] = chat_server.received
    assert got.path == "/hook"
    assert got.headers["content-type"] == "application/json"
    # Slack's control characters escaped: a name cannot ping the whole channel.
    assert json.loads(got.body) == {"text": "&lt;!channel&gt; Ana &amp; Bo reached level 3"}


def test_discord_shaped_content_mentions_nobody(
    app: Flask, chat_server: Receiver, discord: str
) -> None:
    chat_server.answer(Reply(204, body=b""))
    assert announce(app, discord, "@everyone Ana reached level 3") == ""
    [got] = chat_server.received
    assert got.path == "/api/webhooks/123456789012345678/token-abc"
    assert got.headers["host"].startswith("discord.com:")
    assert json.loads(got.body) == {
        "content": "@everyone Ana reached level 3",
        "allowed_mentions": {"parse": []},
    }


def test_discord_names_the_message_when_asked_to_wait(
    app: Flask, chat_server: Receiver, discord: str
) -> None:
    message = {"id": "1180000000000000001", "type": 0, "content": ANNOUNCEMENT}
    chat_server.answer(Reply(200, JSON, body=json.dumps(message).encode()))
    assert announce(app, f"{discord}?wait=true") == "1180000000000000001"


def test_the_host_chooses_the_shape() -> None:
    assert chat.is_discord("https://discord.com/api/webhooks/1/x")
    assert chat.is_discord("https://canary.discordapp.com/api/webhooks/1/x")
    assert not chat.is_discord("https://hooks.slack.com/services/T0/B0/x")
    assert not chat.is_discord("https://discord.com.example.net/hooks/x")
    assert chat.body("https://chat.example.org/hooks/abc", "hi") == {"text": "hi"}  # Mattermost
    long = chat.body("https://discord.com/api/webhooks/1/x", "x" * 2500)
    assert len(str(long["content"])) == chat.DISCORD_MAX_CHARACTERS


def test_a_rate_limit_is_retried_and_says_when(
    app: Flask, chat_server: Receiver, discord: str
) -> None:
    chat_server.answer(DISCORD_RATE_LIMITED)
    failed = refusal(app, discord)
    assert failed.retryable and not failed.opted_out
    assert "429" in failed.detail and "retry after 2 s" in failed.detail


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [
        (slack_error(500, "rollup_error"), True),
        (slack_error(503, "service unavailable"), True),
        (slack_error(404, "no_service"), False),
        (slack_error(410, "channel_is_archived"), False),
        (slack_error(400, "invalid_payload"), False),
        (slack_error(403, "action_prohibited"), False),
    ],
    ids=["500", "503", "404-deleted", "410-archived", "400", "403"],
)
def test_which_failures_are_retried(
    app: Flask, chat_server: Receiver, reply: Reply, retryable: bool
) -> None:
    chat_server.answer(reply)
    failed = refusal(app, chat_server.url)
    assert failed.retryable is retryable
    assert str(reply.status) in failed.detail


def test_a_deleted_discord_webhook_is_not_retried(
    app: Flask, chat_server: Receiver, discord: str
) -> None:
    chat_server.answer(DISCORD_UNKNOWN_WEBHOOK)
    failed = refusal(app, discord)
    assert not failed.retryable and "deleted" in failed.detail


def test_no_reply_is_retried(app: Flask, chat_server: Receiver) -> None:
    url = chat_server.url
    chat_server.server.server_close()  # type: ignore[union-attr]  # nobody listens there now
    assert refusal(app, url).retryable


def test_a_private_address_is_refused_when_connecting(app: Flask, chat_server: Receiver) -> None:
    """Saved while allowed, or rebound since: egress checks again as it connects."""
    app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = False
    failed = refusal(app, chat_server.url)
    assert not failed.retryable and "may not be called" in failed.detail
    assert chat_server.received == []
