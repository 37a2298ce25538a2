"""Web login: session cookie flags, CSRF, session rotation, logout."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import PASSWORD, make_user
from tests.pages import csrf_token, log_in


def session_cookie(client: FlaskClient):
    return client.get_cookie("stampbook_session")


def test_login_sets_a_safe_session_cookie(client: FlaskClient, session: Session) -> None:
    make_user(session, email="ada@example.com", name="Ada")
    response = log_in(client, "ada@example.com")
    assert response.status_code == 302
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("stampbook_session=")
    )
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    home = client.get("/").get_data(as_text=True)
    assert "Ada" in home and "My programs" in home


def test_session_rotates_at_login(client: FlaskClient, session: Session) -> None:
    make_user(session, email="ada@example.com")
    csrf_token(client, "/login")
    before = session_cookie(client).value
    log_in(client, "ada@example.com")
    assert session_cookie(client).value != before


def test_wrong_password_shows_the_message_by_the_field(
    client: FlaskClient, session: Session
) -> None:
    make_user(session, email="ada@example.com")
    response = log_in(client, "ada@example.com", "wrong password!")
    assert response.status_code == 401
    assert "The email or password is wrong." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client: FlaskClient, session: Session) -> None:
    make_user(session, email="ada@example.com")
    response = client.post("/login", data={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert session_cookie(client) is None or "token" not in str(session_cookie(client).value)


def test_logout_ends_the_session_even_for_a_copied_cookie(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    make_user(session, email="ada@example.com", name="Ada")
    log_in(client, "ada@example.com")
    stolen = session_cookie(client).value
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("stampbook_session", stolen, domain="localhost")
    assert "My programs" not in thief.get("/").get_data(as_text=True)


def test_register_page(client: FlaskClient) -> None:
    token = csrf_token(client, "/register")
    response = client.post(
        "/register",
        data={
            "name": "Grace",
            "email": "grace@example.com",
            "password": "0123456789",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert "Grace" in client.get("/").get_data(as_text=True)


def test_register_page_shows_errors_in_words(client: FlaskClient) -> None:
    token = csrf_token(client, "/register")
    response = client.post(
        "/register", data={"name": "G", "email": "nope", "password": "short", "csrf_token": token}
    )
    text = response.get_data(as_text=True)
    assert "Invalid email address." in text
    assert "at least 10 characters" in text


def test_user_content_is_escaped(client: FlaskClient, session: Session) -> None:
    make_user(session, email="x@example.com", name="<script>alert(1)</script>")
    log_in(client, "x@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
