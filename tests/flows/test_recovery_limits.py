"""Asking for reset links is rate limited per address asked about and per client apart, in
the same way whether or not the address has an account."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.accounts.test_rate_limits import _restore_limiter
from tests.conftest import make_test_app

__all__ = ["_restore_limiter"]


def limited(database_url: str, tmp_path: Path) -> Flask:
    return make_test_app(
        database_url, tmp_path, RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="2 per hour"
    )


def test_one_address_is_limited_whoever_asks(database_url: str, app: Flask, tmp_path: Path) -> None:
    limited_app = limited(database_url, tmp_path)
    answers = [
        limited_app.test_client().post(
            "/api/v1/password-resets",
            json={"email": "nobody@example.com"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[-1].json["code"] == "rate_limited"


def test_one_client_is_limited_whatever_it_asks_about(
    database_url: str, app: Flask, tmp_path: Path
) -> None:
    client = limited(database_url, tmp_path).test_client()
    answers = [
        client.post("/api/v1/password-resets", json={"email": f"nobody{n}@example.com"})
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [202, 202, 429]


def test_the_page_and_the_api_share_the_count(
    database_url: str, app: Flask, tmp_path: Path
) -> None:
    limited_app = limited(database_url, tmp_path)
    limited_app.config["WTF_CSRF_ENABLED"] = False
    client = limited_app.test_client()
    assert client.post("/password-reset", data={"email": "x@example.com"}).status_code == 303
    assert (
        client.post("/api/v1/password-resets", json={"email": "y@example.com"}).status_code == 202
    )
    assert client.post("/password-reset", data={"email": "z@example.com"}).status_code == 429
