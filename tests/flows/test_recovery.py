"""Forgotten passwords through the API, with the email on a real SMTP server (aiosmtpd on
loopback): the same answer for every address, a single-use link that expires, the new
password working and everything before it ended, and the link's secret kept out of the
database, the outbox and the webhooks."""

from __future__ import annotations

import re
from datetime import timedelta

from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from stampbook.accounts.models import PasswordReset, User
from stampbook.core.db import utcnow
from stampbook.notifications.models import Delivery, Preference
from tests.factories.accounts import PASSWORD, auth, make_user
from tests.notifications.test_email import Inbox, smtp

__all__ = ["smtp"]

NEW_PASSWORD = "battery staple 42"


def ask(client: FlaskClient, email: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/password-resets", json={"email": email})


def use(client: FlaskClient, token: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/password-resets/complete", json={"token": token, "new_password": password}
    )


def link_in(inbox: Inbox, to: str) -> str:
    """The secret of the reset link in the last email to ``to``."""
    [*_, message] = [m for m in inbox.messages if m["To"] == to]
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"http://localhost/password-reset/(pr_[\w-]+)", body.get_content())
    assert found, body.get_content()
    return found.group(1)


def logs_in(client: FlaskClient, email: str, password: str) -> bool:
    response = client.post("/api/v1/tokens", json={"email": email, "password": password})
    return response.status_code == 201


def test_known_and_unknown_addresses_get_the_same_answer(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session, email="ada@example.com")
    known, unknown = ask(client, "Ada@Example.com"), ask(client, "nobody@example.com")
    assert (known.status_code, known.json) == (202, {})
    assert (unknown.status_code, unknown.get_data()) == (known.status_code, known.get_data())
    assert sorted(h for h, _ in known.headers if h != "Date") == sorted(
        h for h, _ in unknown.headers if h != "Date"
    )
    # Only the account's own address is written to.
    assert [m["To"] for m in inbox.messages] == [user.email]
    assert "Set a new password" in inbox.messages[0]["Subject"]


def test_a_link_sets_the_password_and_ends_every_session_and_token(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session)
    old_api, old_other = auth(session, user), auth(session, user)
    assert client.get("/api/v1/users/me", headers=old_api).status_code == 200
    ask(client, user.email)
    response = use(client, link_in(inbox, user.email))
    assert response.status_code == 204, response.json
    assert logs_in(client, user.email, NEW_PASSWORD)
    assert not logs_in(client, user.email, PASSWORD)
    for headers in (old_api, old_other):
        assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_a_used_link_is_refused_and_so_are_the_accounts_other_links(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session)
    ask(client, user.email)
    first = link_in(inbox, user.email)
    ask(client, user.email)
    second = link_in(inbox, user.email)
    assert first != second
    assert use(client, second).status_code == 204
    for token in (second, first):
        refused = use(client, token, "another password 7")
        assert refused.status_code == 404
        assert refused.json["code"] == "reset_link_invalid"
    assert logs_in(client, user.email, NEW_PASSWORD)


def test_an_expired_link_is_refused(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session)
    ask(client, user.email)
    [reset] = session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id))
    assert reset.expires_at - reset.created_at == timedelta(hours=1)  # the default lifetime
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    response = use(client, link_in(inbox, user.email))
    assert (response.status_code, response.json["code"]) == (404, "reset_link_invalid")
    assert logs_in(client, user.email, PASSWORD)


def test_one_accounts_link_changes_that_account_alone(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    ada, bruno = make_user(session), make_user(session)
    brunos_token = auth(session, bruno)
    ask(client, ada.email)
    ask(client, bruno.email)
    assert use(client, link_in(inbox, ada.email)).status_code == 204
    assert logs_in(client, ada.email, NEW_PASSWORD)
    assert not logs_in(client, bruno.email, NEW_PASSWORD)
    assert logs_in(client, bruno.email, PASSWORD)
    assert client.get("/api/v1/users/me", headers=brunos_token).status_code == 200
    # Bruno's own link still works, for Bruno.
    assert use(client, link_in(inbox, bruno.email), "brunos own password").status_code == 204
    assert logs_in(client, bruno.email, "brunos own password")
    assert logs_in(client, ada.email, NEW_PASSWORD)


def test_made_up_and_malformed_tokens_are_refused_alike(
    client: FlaskClient, session: Session
) -> None:
    make_user(session)
    for token in ("pr_" + "A" * 43, "sb_" + "A" * 43, "nonsense"):
        response = use(client, token)
        assert (response.status_code, response.json["code"]) == (404, "reset_link_invalid")


def test_the_secret_is_kept_out_of_the_database_outbox_and_webhooks(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session, language="es", name="Ana")
    ask(client, user.email)
    secret = link_in(inbox, user.email)
    [message] = inbox.messages
    assert message["Subject"] == "Elige una contraseña nueva para stampbook"
    assert "List-Unsubscribe" not in message  # transactional
    [reset] = session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id))
    assert secret not in reset.secret_hash
    [delivery] = session.scalars(
        select(Delivery)
        .where(Delivery.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    assert (delivery.kind, delivery.status, delivery.link) == ("password_reset", "sent", None)
    assert secret not in str(delivery.context)
    for table in ("occurrences", "webhook_messages"):
        rows = session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
        assert all(secret not in str(row) for row in rows), table


def test_the_email_goes_whatever_the_users_preferences(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session)
    headers = auth(session, user)
    mine = client.get("/api/v1/users/me/notification-preferences", headers=headers)
    assert mine.status_code == 200
    # No preference offers it: nobody can turn off their own reset link.
    assert "password_reset" not in {p["kind"] for p in mine.json["preferences"]}
    for kind in {p["kind"] for p in mine.json["preferences"]}:
        session.add(Preference(user_id=user.id, kind=kind, channel="email", enabled=False))
    session.flush()
    ask(client, user.email)
    assert [m["To"] for m in inbox.messages] == [user.email]


def test_a_deleted_account_gets_no_link(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    user = make_user(session)
    session.execute(update(User).where(User.id == user.id).values(deleted_at=utcnow()))
    assert ask(client, user.email).status_code == 202
    assert inbox.messages == []
