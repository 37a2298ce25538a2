"""Passwords, tokens and configuration that keep accounts safe."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook import config
from stampbook.accounts import passwords
from stampbook.accounts.models import User
from tests.factories.accounts import PASSWORD, auth, make_user
from tests.pages import log_in


def argon2_parameters(encoded: str) -> dict[str, int]:
    match = re.match(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", encoded)
    assert match, encoded
    m, t, p = (int(x) for x in match.groups())
    return {"m": m, "t": t, "p": p}


def test_hashes_are_argon2id_at_least_owasp_strength() -> None:
    params = argon2_parameters(passwords.hash_password("a password"))
    assert params["m"] >= 19456
    assert params["t"] >= 2
    assert params["p"] >= 1


def test_weaker_hashes_are_upgraded_at_login(client: FlaskClient, session: Session) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user = make_user(session, email="old@example.com")
    user.password_hash = weak
    session.flush()
    response = client.post(
        "/api/v1/tokens", json={"email": "old@example.com", "password": PASSWORD}
    )
    assert response.status_code == 201
    session.refresh(user)
    assert user.password_hash != weak
    assert argon2_parameters(user.password_hash)["m"] >= 19456


def change_password(client: FlaskClient, headers: dict[str, str], old: str, new: str):
    return client.post(
        "/api/v1/users/me/password",
        headers=headers,
        json={"old_password": old, "new_password": new},
    )


def test_password_change_needs_the_old_password(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    response = change_password(client, auth(session, user), "not the password", "a new password")
    assert response.status_code == 401
    assert response.json["code"] == "invalid_credentials"


def test_password_change_ends_every_other_token_and_session(
    client: FlaskClient, session: Session
) -> None:
    user = make_user(session, email="ada@example.com", name="Ada")
    current, other = auth(session, user), auth(session, user)
    browser = client.application.test_client()
    log_in(browser, "ada@example.com")
    assert "My programs" in browser.get("/").get_data(as_text=True)

    assert change_password(client, current, PASSWORD, "a brand new password").status_code == 204

    assert client.get("/api/v1/users/me", headers=current).status_code == 200
    assert client.get("/api/v1/users/me", headers=other).status_code == 401
    assert "My programs" not in browser.get("/").get_data(as_text=True)
    login = client.post(
        "/api/v1/tokens", json={"email": "ada@example.com", "password": "a brand new password"}
    )
    assert login.status_code == 201


def test_short_new_password_is_refused(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    response = change_password(client, auth(session, user), PASSWORD, "short")
    assert response.status_code == 422
    session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_production_requires_a_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("STAMPBOOK_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError):
        config.load(str(tmp_path))


def test_production_cookies_are_secure(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("STAMPBOOK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    settings = config.load(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_no_hash_or_secret_in_any_account_answer(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    headers = auth(session, user)
    for response in (
        client.get("/api/v1/users/me", headers=headers),
        client.get(f"/api/v1/users/{user.id}"),
        client.patch("/api/v1/users/me", headers=headers, json={"name": "N"}),
    ):
        text = response.get_data(as_text=True)
        assert "argon2" not in text
        assert user.password_hash not in text


def test_deleted_users_cannot_log_in(client: FlaskClient, session: Session) -> None:
    user = make_user(session, email="gone@example.com")
    client.delete("/api/v1/users/me", headers=auth(session, user))
    response = client.post(
        "/api/v1/tokens", json={"email": "gone@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401
    assert session.get(User, user.id) is not None  # anonymised, not deleted
