"""Email verification through the API, with the email on a real SMTP server (aiosmtpd on
loopback): a new account and a changed address get a link, the link confirms the address it
was sent to once, an unconfirmed address gets no marketing email, and what a shop kept under
an address (a customer's points, an invitation) goes only to an account that confirmed it."""

from __future__ import annotations

import re
from datetime import timedelta

from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from stampbook.accounts.models import EmailConfirmation, User
from stampbook.core.db import utcnow
from stampbook.ledger.models import LedgerEntry
from stampbook.notifications.models import Delivery
from stampbook.programs.models import Membership
from tests.factories.accounts import PASSWORD, auth, make_user
from tests.factories.ledger import give_points
from tests.factories.notifications import consent
from tests.factories.programs import make_membership
from tests.factories.shops import make_team
from tests.notifications.test_email import Inbox, smtp

__all__ = ["smtp"]


def link_in(inbox: Inbox, to: str) -> str:
    """The secret of the confirmation link in the last email to ``to``."""
    [*_, message] = [m for m in inbox.messages if m["To"] == to]
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(r"http://localhost/confirm-email/(ec_[\w-]+)", body.get_content())
    assert found, body.get_content()
    return found.group(1)


def confirm(client: FlaskClient, token: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/email-confirmations/complete", json={"token": token})


def register(client: FlaskClient, email: str) -> dict[str, str]:
    """A new account through the API, and its bearer header."""
    made = client.post(
        "/api/v1/users", json={"email": email, "name": "Newcomer", "password": PASSWORD}
    )
    assert made.status_code == 201, made.json
    assert made.json["email_verified"] is False
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json['token']}"}


def verified(client: FlaskClient, headers: dict[str, str]) -> bool:
    flag: bool = client.get("/api/v1/users/me", headers=headers).json["email_verified"]
    return flag


def test_a_new_account_confirms_its_address_with_the_emailed_link(
    client: FlaskClient, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    headers = register(client, "new@example.com")
    [message] = inbox.messages
    assert message["Subject"] == "Confirm your email address for stampbook"
    assert "List-Unsubscribe" not in message  # transactional
    assert not verified(client, headers)
    assert confirm(client, link_in(inbox, "new@example.com")).status_code == 204
    assert verified(client, headers)


def test_a_link_works_once_and_not_after_it_expires(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    register(client, "once@example.com")
    secret = link_in(inbox, "once@example.com")
    assert confirm(client, secret).status_code == 204
    again = confirm(client, secret)
    assert (again.status_code, again.json["code"]) == (404, "confirmation_link_invalid")

    headers = register(client, "late@example.com")
    user = session.scalars(select(User).where(User.email == "late@example.com")).one()
    [link] = session.scalars(select(EmailConfirmation).where(EmailConfirmation.user_id == user.id))
    assert link.expires_at - link.created_at == timedelta(hours=72)  # the default lifetime
    session.execute(
        update(EmailConfirmation)
        .where(EmailConfirmation.id == link.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    late = confirm(client, link_in(inbox, "late@example.com"))
    assert (late.status_code, late.json["code"]) == (404, "confirmation_link_invalid")
    assert not verified(client, headers)


def test_made_up_and_malformed_tokens_are_refused_alike(client: FlaskClient) -> None:
    for token in ("ec_" + "A" * 43, "pr_" + "A" * 43, "nonsense"):
        response = confirm(client, token)
        assert (response.status_code, response.json["code"]) == (404, "confirmation_link_invalid")


def test_changing_the_email_to_someone_elses_keeps_it_unconfirmed(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    """Mallory confirmed her own address, then types Victor's: the account is unconfirmed
    again, the link goes to Victor's inbox alone, and her old unused link confirms nothing."""
    inbox, _controller = smtp
    mallory = make_user(session, email="mallory@example.com", email_verified_at=None)
    headers = auth(session, mallory)
    assert client.post("/api/v1/users/me/email-confirmations", headers=headers).status_code == 202
    old_link = link_in(inbox, "mallory@example.com")
    session.execute(update(User).where(User.id == mallory.id).values(email_verified_at=utcnow()))
    assert verified(client, headers)

    changed = client.post(
        "/api/v1/users/me/email",
        headers=headers,
        json={"email": "victor@example.com", "password": PASSWORD},
    )
    assert changed.status_code == 200
    assert (changed.json["email"], changed.json["email_verified"]) == ("victor@example.com", False)
    assert [m["To"] for m in inbox.messages] == ["mallory@example.com", "victor@example.com"]
    stale = confirm(client, old_link)
    assert (stale.status_code, stale.json["code"]) == (404, "confirmation_link_invalid")
    assert not verified(client, headers)
    # Asking again writes to Victor's inbox, never to one Mallory reads.
    assert client.post("/api/v1/users/me/email-confirmations", headers=headers).status_code == 202
    assert {m["To"] for m in inbox.messages[2:]} == {"victor@example.com"}
    # Only Victor, with the link from his inbox, confirms it.
    assert confirm(client, link_in(inbox, "victor@example.com")).status_code == 204
    assert verified(client, headers)


def test_asking_again_sends_a_new_link_and_nothing_to_a_confirmed_address(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    old_account = make_user(session, email_verified_at=None, language="es", name="Ana")
    headers = auth(session, old_account)
    asked = client.post("/api/v1/users/me/email-confirmations", headers=headers)
    assert (asked.status_code, asked.json) == (202, {})
    [message] = inbox.messages
    assert message["Subject"] == "Confirma tu dirección de correo en stampbook"
    assert "Hola, Ana:" in str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert confirm(client, link_in(inbox, old_account.email)).status_code == 204
    assert client.post("/api/v1/users/me/email-confirmations", headers=headers).status_code == 202
    assert len(inbox.messages) == 1
    anonymous = client.post("/api/v1/users/me/email-confirmations")
    assert anonymous.status_code == 401


def test_the_secret_is_kept_out_of_the_database_outbox_and_webhooks(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    register(client, "secret@example.com")
    secret = link_in(inbox, "secret@example.com")
    user = session.scalars(select(User).where(User.email == "secret@example.com")).one()
    [link] = session.scalars(select(EmailConfirmation).where(EmailConfirmation.user_id == user.id))
    assert secret not in link.secret_hash
    [delivery] = session.scalars(
        select(Delivery)
        .where(Delivery.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    assert (delivery.kind, delivery.status, delivery.link) == ("email_confirmation", "sent", None)
    for table in ("occurrences", "webhook_messages", "notification_deliveries"):
        rows = session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
        assert all(secret not in str(row) for row in rows), table


def test_an_unconfirmed_address_gets_no_marketing_email(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    team = make_team(session)
    fresh = make_user(session, email_verified_at=None)
    confirmed = make_user(session)
    for person in (fresh, confirmed):
        make_membership(session, team.program, person)
        consent(session, person, team.shop.id)

    def publish() -> None:
        response = client.post(
            "/api/v1/posts",
            json={"body": "Two for one on Fridays.", "program_id": team.program.id},
            headers=auth(session, team.manager),
        )
        assert response.status_code == 201, response.json

    publish()
    assert {m["To"] for m in inbox.messages} == {confirmed.email}
    # The news still reaches the unconfirmed member in the app.
    notices = client.get("/api/v1/notifications", headers=auth(session, fresh)).json["items"]
    assert [n["kind"] for n in notices] == ["shop_news"]
    # Once confirmed, the address gets the next news.
    client.post("/api/v1/users/me/email-confirmations", headers=auth(session, fresh))
    assert confirm(client, link_in(inbox, fresh.email)).status_code == 204
    inbox.messages.clear()
    publish()
    assert {m["To"] for m in inbox.messages} == {confirmed.email, fresh.email}


def test_claiming_a_customers_points_needs_a_confirmed_address(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    team = make_team(session)
    added = client.post(
        f"/api/v1/programs/{team.program.id}/memberships",
        headers=auth(session, team.manager),
        json={"email": "shopper@example.com"},
    )
    assert added.status_code == 201
    customer = session.get(Membership, added.json["id"])
    assert customer is not None
    give_points(session, customer, 40)
    # Someone registers with the shopper's address: typing it claims nothing.
    headers = register(client, "shopper@example.com")
    session.refresh(customer)
    assert customer.user_id is None
    mine = client.get("/api/v1/memberships", headers=headers)
    assert all(m["program_id"] != team.program.id for m in mine.json["items"])
    # The owner of the inbox follows the link: the points are theirs.
    assert confirm(client, link_in(inbox, "shopper@example.com")).status_code == 204
    session.refresh(customer)
    user = session.scalars(select(User).where(User.email == "shopper@example.com")).one()
    assert (customer.user_id, customer.balance, customer.status) == (user.id, 40, "active")
    mine = client.get("/api/v1/memberships", headers=headers)
    assert {m["program_id"]: m["balance"] for m in mine.json["items"]}[team.program.id] == 40


def test_a_claim_into_an_existing_membership_moves_the_points_by_the_ledger(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    team = make_team(session)
    user = make_user(session, email="both@example.com", email_verified_at=None)
    own = make_membership(session, team.program, user)
    give_points(session, own, 5)
    customer = make_membership(session, team.program, None, email="both@example.com")
    give_points(session, customer, 30)
    client.post("/api/v1/users/me/email-confirmations", headers=auth(session, user))
    assert confirm(client, link_in(inbox, user.email)).status_code == 204
    session.refresh(own)
    session.refresh(customer)
    assert (own.balance, customer.balance, customer.status) == (35, 0, "archived")
    moves = session.scalars(
        select(LedgerEntry.amount).where(LedgerEntry.cause_type == "customer_claim")
    ).all()
    assert sorted(moves) == [-30, 30]


def test_a_customer_added_under_a_confirmed_address_is_its_accounts_at_once(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    confirmed = make_user(session, email="known@example.com")
    unconfirmed = make_user(session, email="typed@example.com", email_verified_at=None)
    url = f"/api/v1/programs/{team.program.id}/memberships"
    headers = auth(session, team.manager)
    for email in (confirmed.email, unconfirmed.email):
        assert client.post(url, headers=headers, json={"email": email}).status_code == 201
    owners = dict(
        session.execute(
            select(Membership.email, Membership.user_id)
            .where(Membership.program_id == team.program.id, Membership.email.is_not(None))
            .execution_options(populate_existing=True)
        ).all()
    )
    assert owners == {"known@example.com": confirmed.id, "typed@example.com": None}


def test_an_invitation_by_email_waits_for_the_address_to_be_confirmed(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    team = make_team(session)
    typed = make_user(session, email="staff@example.com", email_verified_at=None)
    headers = auth(session, typed)
    invited = client.post(
        f"/api/v1/programs/{team.program.id}/invitations",
        headers=auth(session, team.manager),
        json={"email": "staff@example.com", "role_type": "assistant"},
    )
    assert invited.status_code == 201, invited.json
    assert invited.json["user_id"] is None  # not bound to the account that only typed it
    invitation_id = invited.json["id"]
    assert client.get("/api/v1/invitations", headers=headers).json["items"] == []
    accept = client.post(f"/api/v1/invitations/{invitation_id}/accept", headers=headers)
    assert accept.status_code == 404
    client.post("/api/v1/users/me/email-confirmations", headers=headers)
    assert confirm(client, link_in(inbox, typed.email)).status_code == 204
    mine = client.get("/api/v1/invitations", headers=headers).json["items"]
    assert [i["id"] for i in mine] == [invitation_id]


def test_a_claimed_customer_is_found_by_its_new_owners_name(
    client: FlaskClient, session: Session, smtp: tuple[Inbox, Controller]
) -> None:
    inbox, _controller = smtp
    team = make_team(session)
    customer = make_membership(session, team.program, None, email="zelda@example.com")
    zelda = make_user(session, name="Zelda Fitz", email="zelda@example.com", email_verified_at=None)
    client.post("/api/v1/users/me/email-confirmations", headers=auth(session, zelda))
    assert confirm(client, link_in(inbox, zelda.email)).status_code == 204
    found = client.get(
        f"/api/v1/shops/{team.shop.id}/members?q=zelda f", headers=auth(session, team.manager)
    ).json["items"]
    assert [(m["membership_id"], m["user_id"]) for m in found] == [(customer.id, zelda.id)]
