"""Buddy requests, messages and posts are rate limited per sender."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from stampbook.core.extensions import limiter
from tests.concurrency import committed_session
from tests.conftest import make_test_app
from tests.factories.accounts import PASSWORD, make_token, make_user


@pytest.fixture(autouse=True)
def _restore_limiter() -> Iterator[None]:
    """The limiter is one shared object (see tests/accounts/test_rate_limits.py)."""
    saved = {
        name: getattr(limiter, name) for name in ("enabled", "_storage", "_limiter", "_key_prefix")
    }
    yield
    limiter.reset()
    for name, value in saved.items():
        setattr(limiter, name, value)


def limited_app(database_url: str, tmp_path: Path, **overrides: object) -> Flask:
    return make_test_app(
        database_url,
        tmp_path,
        RATELIMIT_ENABLED=True,
        MESSAGE_RATE_LIMIT="2 per minute",
        BUDDY_REQUEST_RATE_LIMIT="2 per minute",
        POST_RATE_LIMIT="2 per minute",
        **overrides,
    )


def test_one_sender_cannot_flood(committed: Flask, database_url: str, tmp_path: Path) -> None:
    with committed_session(committed) as session:
        senders = [make_user(session) for _ in range(2)]
        recipients = [make_user(session, privacy_settings={"messages": "public"}) for _ in range(3)]
        tokens = [make_token(session, s) for s in senders]
        recipient_ids = [r.id for r in recipients]
    client = limited_app(database_url, tmp_path).test_client()

    def as_(index: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[index]}"}

    def message(index: int) -> int:
        body = {"to_user_id": recipient_ids[0], "body": "Buy now!"}
        return client.post("/api/v1/messages", headers=as_(index), json=body).status_code

    assert [message(0) for _ in range(3)] == [201, 201, 429]
    assert message(1) == 201  # another sender has their own allowance
    flooded = client.post(
        "/api/v1/messages", headers=as_(0), json={"to_user_id": recipient_ids[1], "body": "x"}
    )
    assert flooded.status_code == 429
    assert flooded.json["code"] == "rate_limited" and int(flooded.headers["Retry-After"]) > 0

    asks = [
        client.post("/api/v1/buddies", headers=as_(0), json={"user_id": uid}).status_code
        for uid in recipient_ids
    ]
    assert asks == [201, 201, 429]

    posts = [
        client.post("/api/v1/posts", headers=as_(0), json={"body": "Spam"}).status_code
        for _ in range(3)
    ]
    assert posts == [201, 201, 429]
    # Reading is not limited.
    assert client.get("/api/v1/messages", headers=as_(0)).status_code == 200


def test_messages_through_the_api_count_against_the_page(
    committed: Flask, database_url: str, tmp_path: Path
) -> None:
    with committed_session(committed) as session:
        sender = make_user(session)
        recipient = make_user(session, privacy_settings={"messages": "public"})
        token, email, recipient_id = make_token(session, sender), sender.email, recipient.id
    client = limited_app(database_url, tmp_path, WTF_CSRF_ENABLED=False).test_client()
    body = {"to_user_id": recipient_id, "body": "Hello"}
    headers = {"Authorization": f"Bearer {token}"}
    sent = [client.post("/api/v1/messages", headers=headers, json=body).status_code for _ in "ab"]
    assert sent == [201, 201]
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    page = client.post(f"/messages/with/{recipient_id}", data={"body": "Hello again"})
    assert page.status_code == 429
