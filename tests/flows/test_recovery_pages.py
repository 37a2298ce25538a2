"""Forgotten passwords through the pages: asking (the same words for every address), the
link's form, and a used or made-up link's page."""

from __future__ import annotations

import re

from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import make_user
from tests.flows.test_recovery import link_in, logs_in
from tests.notifications.test_email import Inbox, smtp
from tests.pages import post, text_of

__all__ = ["smtp"]

NEW_PASSWORD = "battery staple 42"
CSRF = re.compile(r'name="csrf_token"[^>]*')


def test_the_login_page_leads_to_the_forgotten_password_page(client: FlaskClient) -> None:
    assert 'href="/password-reset"' in text_of(client.get("/login"))
    page = client.get("/password-reset")
    assert page.status_code == 200
    assert 'for="email"' in text_of(page)


def test_asking_says_the_same_for_known_and_unknown_addresses(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session)
    said = []
    for email in (user.email, "nobody@example.com"):
        response = post(client, "/password-reset", "/password-reset", {"email": email})
        assert (response.status_code, response.headers["Location"]) == (303, "/login")
        # The page as a person reads it: the form's CSRF token is signed with the time.
        said.append(CSRF.sub("", text_of(client.get("/login"))))
    assert said[0] == said[1]
    assert "If an account has this address" in said[0]
    assert [m["To"] for m in inbox.messages] == [user.email]


def test_the_links_page_sets_the_password_once(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session)
    post(client, "/password-reset", "/password-reset", {"email": user.email})
    path = f"/password-reset/{link_in(inbox, user.email)}"
    form = client.get(path)
    assert form.status_code == 200
    assert 'for="new_password"' in text_of(form) and 'for="confirm"' in text_of(form)
    mismatch = post(client, path, path, {"new_password": NEW_PASSWORD, "confirm": "other one!"})
    assert mismatch.status_code == 422
    done = post(client, path, path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert (done.status_code, done.headers["Location"]) == (303, "/login")
    assert logs_in(client, user.email, NEW_PASSWORD)
    again = client.get(path)
    assert again.status_code == 400
    assert "This link is used, expired or not one we sent" in text_of(again)


def test_a_made_up_link_shows_no_form(client: FlaskClient) -> None:
    page = client.get("/password-reset/pr_madeup")
    assert page.status_code == 400
    assert 'name="new_password"' not in text_of(page)


def test_the_pages_speak_spanish(client: FlaskClient) -> None:
    page = client.get("/password-reset", headers={"Accept-Language": "es"})
    assert "Contraseña olvidada" in text_of(page)
