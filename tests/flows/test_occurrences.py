"""Accepting a program invitation announces ``member.joined`` (core.outbox); a shop
invitation, no membership, announces nothing."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_program
from tests.factories.shops import make_shop
from tests.occurrences import last_id, recorded


def test_an_accepted_program_invitation_is_a_joining(client: FlaskClient, session: Session) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="private")
    program = make_program(session, shop, membership_mode="invite")
    sent = client.post(
        f"/api/v1/programs/{program.id}/invitations",
        headers=auth(session, owner),
        json={"user_id": guest.id, "role_type": "stamper"},
    )
    assert sent.status_code == 201, sent.json
    mark = last_id(session)
    headers = auth(session, guest)

    accepted = client.post(f"/api/v1/invitations/{sent.json['id']}/accept", headers=headers)
    again = client.post(f"/api/v1/invitations/{sent.json['id']}/accept", headers=headers)

    assert accepted.status_code == 200
    assert again.status_code == 409
    [(kind, shop_id, payload)] = recorded(session, mark)
    assert (kind, shop_id) == ("member.joined", shop.id)
    assert (payload["program_id"], payload["user_id"], payload["role"]) == (
        program.id,
        guest.id,
        "stamper",
    )


def test_a_shop_invitation_announces_nothing(client: FlaskClient, session: Session) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    sent = client.post(
        f"/api/v1/shops/{shop.id}/invitations",
        headers=auth(session, owner),
        json={"user_id": guest.id},
    )
    assert sent.status_code == 201, sent.json
    mark = last_id(session)
    answer = f"/api/v1/invitations/{sent.json['id']}/accept"
    assert client.post(answer, headers=auth(session, guest)).status_code == 200
    assert recorded(session, mark) == []
