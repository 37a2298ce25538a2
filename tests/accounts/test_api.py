"""Accounts through the API: registration, tokens, the caller's own account, privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.models import Token, User
from tests.factories.accounts import PASSWORD, auth, make_token, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


def register(client: FlaskClient, **fields: str):
    body = {"email": "ada@example.com", "name": "Ada", "password": "0123456789", **fields}
    return client.post("/api/v1/users", json=body)


def test_register_normalises_email_and_hides_hash(client: FlaskClient) -> None:
    response = register(client, email="  Ada@Example.COM ")
    assert response.status_code == 201
    assert response.json["email"] == "ada@example.com"
    assert "password" not in response.text and "argon2" not in response.text


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"name": ""}, "name"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_register_rejects_bad_fields(
    client: FlaskClient, fields: dict[str, str], bad_field: str
) -> None:
    response = register(client, **fields)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "validation_failed"
    assert [e["field"] for e in response.json["errors"]] == [bad_field]


def test_register_refuses_unknown_fields(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/users",
        json={"email": "a@example.com", "name": "A", "password": "0123456789", "is_admin": True},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "is_admin"


def test_duplicate_email_in_another_case_is_refused(client: FlaskClient) -> None:
    assert register(client).status_code == 201
    response = register(client, email="ADA@example.com")
    assert response.status_code == 409
    assert response.json["code"] == "email_taken"


def test_login_and_use_token(client: FlaskClient, session: Session) -> None:
    make_user(session, email="grace@example.com")
    response = client.post(
        "/api/v1/tokens", json={"email": "Grace@example.com", "password": PASSWORD}
    )
    assert response.status_code == 201
    token = response.json["token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["email"] == "grace@example.com"
    stored = session.scalars(select(Token)).all()
    assert token not in {t.secret_hash for t in stored}  # only a hash is kept


def test_login_failures_look_the_same(client: FlaskClient, session: Session) -> None:
    make_user(session, email="grace@example.com")
    wrong_password = client.post(
        "/api/v1/tokens", json={"email": "grace@example.com", "password": "wrong password"}
    )
    unknown_email = client.post(
        "/api/v1/tokens", json={"email": "nobody@example.com", "password": "wrong password"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json == unknown_email.json
    assert wrong_password.json["code"] == "invalid_credentials"


def test_logout_revokes_the_token(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    headers = auth(session, user)
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    response = client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "invalid_token"


def test_expired_token_is_refused(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    secret = make_token(session, user, lifetime=timedelta(seconds=-1))
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer sb_unknown", "Token x"])
def test_bad_authorization_headers(client: FlaskClient, header: str) -> None:
    response = client.get("/api/v1/users/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_anonymous_me_is_401(client: FlaskClient) -> None:
    assert client.get("/api/v1/users/me").status_code == 401


def test_patch_me(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    response = client.patch(
        "/api/v1/users/me",
        headers=auth(session, user),
        json={
            "name": "New name",
            "time_zone": "Europe/Madrid",
            "color": "#112233",
            "privacy_settings": {"page": "private"},
        },
    )
    assert response.status_code == 200
    assert response.json["name"] == "New name"
    assert response.json["privacy_settings"]["page"] == "private"
    assert response.json["privacy_settings"]["shops"] == "public"


@pytest.mark.parametrize("field", ["name", "time_zone", "privacy_settings"])
def test_patch_me_refuses_null_for_what_cannot_be_emptied(
    client: FlaskClient, session: Session, field: str
) -> None:
    # privacy_settings: null was a 500; name and time_zone: null were silently ignored.
    user = make_user(session)
    response = client.patch("/api/v1/users/me", headers=auth(session, user), json={field: None})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field


@pytest.mark.parametrize("field", ["is_admin", "email", "password_hash", "id", "balance"])
def test_patch_me_refuses_mass_assignment(
    client: FlaskClient, session: Session, field: str
) -> None:
    user = make_user(session)
    response = client.patch("/api/v1/users/me", headers=auth(session, user), json={field: 1})
    assert response.status_code == 422
    session.refresh(user)
    assert not user.is_admin


class TestUserPagePrivacy:
    def test_public_page_is_visible_to_anyone(self, client: FlaskClient, session: Session) -> None:
        user = make_user(session)
        response = client.get(f"/api/v1/users/{user.id}")
        assert response.status_code == 200
        assert "email" not in response.json

    def test_private_page_is_404_to_others_and_visible_to_self(
        self, client: FlaskClient, session: Session
    ) -> None:
        owner = make_user(session, privacy_settings={"page": "private"})
        other = make_user(session)
        assert client.get(f"/api/v1/users/{owner.id}").status_code == 404
        assert (
            client.get(f"/api/v1/users/{owner.id}", headers=auth(session, other)).status_code == 404
        )
        assert (
            client.get(f"/api/v1/users/{owner.id}", headers=auth(session, owner)).status_code == 200
        )

    def test_members_page_is_visible_to_co_members_only(
        self, client: FlaskClient, session: Session
    ) -> None:
        owner = make_user(session, privacy_settings={"page": "members"})
        co_member, stranger = make_user(session), make_user(session)
        shop = make_shop(session, owner)
        make_membership(session, make_program(session, shop), owner)
        make_membership(session, make_program(session, shop), co_member)
        url = f"/api/v1/users/{owner.id}"
        assert client.get(url, headers=auth(session, co_member)).status_code == 200
        assert client.get(url, headers=auth(session, stranger)).status_code == 404
        assert client.get(url).status_code == 404

    def test_admin_sees_private_pages(self, client: FlaskClient, session: Session) -> None:
        owner = make_user(session, privacy_settings={"page": "private"})
        admin = make_user(session, is_admin=True)
        assert (
            client.get(f"/api/v1/users/{owner.id}", headers=auth(session, admin)).status_code == 200
        )

    def test_unknown_user_is_404(self, client: FlaskClient) -> None:
        assert client.get("/api/v1/users/999999").status_code == 404


def test_user_count_unchanged_by_refused_registration(
    client: FlaskClient, session: Session
) -> None:
    before = len(session.scalars(select(User)).all())
    register(client, password="short")
    assert len(session.scalars(select(User)).all()) == before
