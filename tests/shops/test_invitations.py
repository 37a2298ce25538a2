"""Invitations into invite-only shops and into programs: send, see, accept, decline, revoke."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


def invite(client: FlaskClient, headers: dict[str, str], shop_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/shops/{shop_id}/invitations", headers=headers, json=body)


def test_an_email_with_an_account_becomes_a_user_invitation(
    client: FlaskClient, session: Session
) -> None:
    owner, guest = make_user(session), make_user(session, email="guest@example.com")
    shop = make_shop(session, owner, privacy_mode="invite")
    sent = invite(client, auth(session, owner), shop.id, email="guest@example.com")
    assert (sent.json["user_id"], sent.json["email"]) == (guest.id, None)
    twice = invite(client, auth(session, owner), shop.id, user_id=guest.id)
    assert twice.status_code == 409
    assert twice.json["code"] == "already_invited"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"user_id": 1, "email": "a@example.com"}, 422),
        ({"email": "not-an-email"}, 422),
        ({"user_id": 10**9}, 404),  # well-formed, but nobody's
        ({"user_id": 1, "status": "accepted"}, 422),
    ],
)
def test_bad_invitation_bodies(
    client: FlaskClient, session: Session, body: dict[str, Any], status: int
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    assert invite(client, auth(session, owner), shop.id, **body).status_code == status


def test_public_and_private_shops_take_no_invitations(
    client: FlaskClient, session: Session
) -> None:
    owner, guest = make_user(session), make_user(session)
    for privacy in ("public", "private"):
        shop = make_shop(session, owner, privacy_mode=privacy)
        response = invite(client, auth(session, owner), shop.id, user_id=guest.id)
        assert response.status_code == 409
        assert response.json["code"] == "not_invite_only"


def test_a_member_who_left_is_invited_back_with_their_points(
    client: FlaskClient, session: Session
) -> None:
    owner, member = make_user(session), make_user(session)
    program = make_program(session, make_shop(session, owner), membership_mode="invite")
    membership = make_membership(session, program, member, status="left", balance=0)
    response = client.post(
        f"/api/v1/programs/{program.id}/memberships",
        headers=auth(session, owner),
        json={"user_id": member.id},
    )
    assert response.status_code == 201
    assert (response.json["id"], response.json["status"]) == (membership.id, "invited")
    join = client.post(
        f"/api/v1/programs/{program.id}/memberships", headers=auth(session, member), json={}
    )
    assert join.status_code == 201
    assert (join.json["id"], join.json["status"]) == (membership.id, "active")
    inbox = client.get("/api/v1/invitations?status=accepted", headers=auth(session, member))
    assert len(inbox.json["items"]) == 1
