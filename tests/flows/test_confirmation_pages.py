"""Email verification through the pages: the account's email settings say whether the address
is confirmed and send a link on request; the link's page confirms with a button (opening it,
as mail scanners do, confirms nothing); a used or made-up link says so."""

from __future__ import annotations

from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from tests.factories.accounts import make_user
from tests.flows.test_confirmations import link_in
from tests.notifications.test_email import Inbox, smtp
from tests.pages import log_in, post, text_of

__all__ = ["smtp"]


def is_confirmed(session: Session, user: User) -> bool:
    found = session.scalars(
        select(User.email_verified_at)
        .where(User.id == user.id)
        .execution_options(populate_existing=True)
    ).one()
    return found is not None


def test_the_settings_ask_for_a_link_and_the_links_page_confirms_with_a_button(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session, email_verified_at=None)
    log_in(client, user.email)
    settings = text_of(client.get("/account/email"))
    assert "This address is not confirmed yet" in settings
    assert "Send me a confirmation link" in settings
    sent = post(client, "/account/email/confirmation", "/account/email", {})
    assert (sent.status_code, sent.headers["Location"]) == (303, "/account/email")
    assert "A confirmation link is on its way" in text_of(client.get("/account/email"))
    path = f"/confirm-email/{link_in(inbox, user.email)}"

    shown = client.get(path)
    assert shown.status_code == 200
    assert "Confirm my email" in text_of(shown) and user.email in text_of(shown)
    assert not is_confirmed(session, user)  # opening the link is not confirming
    done = post(client, path, path, {})
    assert (done.status_code, done.headers["Location"]) == (303, "/account/email")
    assert is_confirmed(session, user)
    settings = text_of(client.get("/account/email"))
    assert "is confirmed. Thank you." in settings
    assert "Send me a confirmation link" not in settings

    used = client.get(path)
    assert used.status_code == 400
    assert "This link is used, expired or not one we sent" in text_of(used)


def test_a_link_followed_without_a_session_confirms_and_leads_to_sign_in(
    app: Flask, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    signed_in, phone = app.test_client(), app.test_client()
    user = make_user(session, email_verified_at=None)
    log_in(signed_in, user.email)
    post(signed_in, "/account/email/confirmation", "/account/email", {})
    # Opened on another device, where nobody is signed in.
    path = f"/confirm-email/{link_in(inbox, user.email)}"
    done = post(phone, path, path, {})
    assert (done.status_code, done.headers["Location"]) == (303, "/login")
    assert is_confirmed(session, user)


def test_a_made_up_link_says_so(client: FlaskClient) -> None:
    for secret in ("ec_" + "A" * 43, "nonsense"):
        page = client.get(f"/confirm-email/{secret}")
        assert page.status_code == 400
        assert "My email settings" in text_of(page)


def test_a_new_account_is_told_to_confirm_its_address(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    page = post(
        client,
        "/register",
        "/register",
        {"email": "fresh@example.com", "name": "Fresh", "password": "correct horse battery"},
    )
    assert page.status_code == 302
    assert "We emailed you a link to confirm your address" in text_of(client.get("/"))
    assert [m["To"] for m in inbox.messages] == ["fresh@example.com"]
