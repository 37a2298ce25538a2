"""Login and registration are rate limited; repeated failures get 429 with Retry-After."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from stampbook.core.extensions import limiter
from tests.conftest import make_test_app


@pytest.fixture(autouse=True)
def _restore_limiter() -> Iterator[None]:
    """Flask-Limiter keeps its state on one shared object: the last init_app wins.

    These tests build apps with limits on; afterwards the session's app gets back its own.
    """
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
        LOGIN_RATE_LIMIT="3 per minute",
        REGISTER_RATE_LIMIT="2 per minute",
        **overrides,
    )


def failed_logins(app: Flask, count: int) -> list:
    client = app.test_client()
    return [
        client.post(
            "/api/v1/tokens", json={"email": "nobody@example.com", "password": "wrong password"}
        )
        for _ in range(count)
    ]


def test_repeated_login_failures_get_429(database_url: str, app: Flask, tmp_path: Path) -> None:
    answers = failed_logins(limited_app(database_url, tmp_path), 4)
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[-1].content_type == "application/problem+json"
    assert answers[-1].json["code"] == "rate_limited"
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_registration_is_rate_limited(database_url: str, app: Flask, tmp_path: Path) -> None:
    client = limited_app(database_url, tmp_path).test_client()
    statuses = [
        client.post(
            "/api/v1/users", json={"email": "bad", "name": "x", "password": "x"}
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [422, 422, 429]


def test_web_login_is_rate_limited(database_url: str, app: Flask, tmp_path: Path) -> None:
    client = limited_app(database_url, tmp_path, WTF_CSRF_ENABLED=False).test_client()
    statuses = [
        client.post("/login", data={"email": "n@example.com", "password": "wrong!"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_the_api_and_the_page_draw_from_one_login_limit(
    database_url: str, app: Flask, tmp_path: Path
) -> None:
    limited = limited_app(database_url, tmp_path, WTF_CSRF_ENABLED=False)
    assert [a.status_code for a in failed_logins(limited, 2)] == [401, 401]
    client = limited.test_client()
    statuses = [
        client.post("/login", data={"email": "n@example.com", "password": "wrong!"}).status_code
        for _ in range(2)
    ]
    assert statuses == [401, 429]
    # Showing the page's form costs nothing.
    assert client.get("/login").status_code == 200


def test_registering_through_either_door_draws_from_one_limit(
    database_url: str, app: Flask, tmp_path: Path
) -> None:
    client = limited_app(database_url, tmp_path, WTF_CSRF_ENABLED=False).test_client()
    api = client.post("/api/v1/users", json={"email": "bad", "name": "x", "password": "x"})
    page = [
        client.post("/register", data={"email": "bad", "name": "x", "password": "x"}).status_code
        for _ in range(2)
    ]
    assert (api.status_code, page) == (422, [422, 429])


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


@pytest.mark.redis
def test_limits_are_shared_through_redis(database_url: str, app: Flask, tmp_path: Path) -> None:
    url = _redis_url()
    if url is None:
        pytest.skip("needs a Redis server at REDIS_URL (default redis://127.0.0.1:6379/0)")
    # Two app servers share one Redis: the limit counts across both.
    prefix = f"test-{uuid.uuid4().hex}"
    config = {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix}
    first = limited_app(database_url, tmp_path / "a", **config)
    second = limited_app(database_url, tmp_path / "b", **config)
    statuses = [a.status_code for a in failed_logins(first, 2) + failed_logins(second, 2)]
    assert statuses == [401, 401, 401, 429]
