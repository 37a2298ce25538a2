"""Invitations answered: accepted, declined or revoked by whom may, into a shop or a
program, through the API and the service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.flows import invitations as flows_invitations
from stampbook.programs.models import Membership
from stampbook.shops import queries, services
from stampbook.shops.schemas import InvitationQuery
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_program
from tests.factories.shops import make_shop, make_team

WEDNESDAY_NOON_UTC = datetime(2025, 7, 2, 12, 0, tzinfo=UTC)  # 14:00 in Madrid: just closed


def invite(client: FlaskClient, headers: dict[str, str], shop_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/shops/{shop_id}/invitations", headers=headers, json=body)


def test_invite_accept_and_see_the_shop(client: FlaskClient, session: Session) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite", name="Hidden Garden")
    guest_headers = auth(session, guest)
    assert client.get(f"/api/v1/shops/{shop.id}", headers=guest_headers).status_code == 404

    sent = invite(client, auth(session, owner), shop.id, user_id=guest.id)
    assert sent.status_code == 201, sent.json
    assert (sent.json["status"], sent.json["shop_name"]) == ("pending", "Hidden Garden")
    # Pending: the invitee sees the shop, to decide.
    assert client.get(f"/api/v1/shops/{shop.id}", headers=guest_headers).status_code == 200
    inbox = client.get("/api/v1/invitations", headers=guest_headers).json["items"]
    assert [i["id"] for i in inbox] == [sent.json["id"]]

    accepted = client.post(f"/api/v1/invitations/{sent.json['id']}/accept", headers=guest_headers)
    assert accepted.status_code == 200
    assert accepted.json["status"] == "accepted"
    assert accepted.json["responded_at"] is not None
    assert client.get(f"/api/v1/shops/{shop.id}", headers=guest_headers).status_code == 200
    assert client.get("/api/v1/invitations", headers=guest_headers).json["items"] == []
    again = client.post(f"/api/v1/invitations/{sent.json['id']}/accept", headers=guest_headers)
    assert again.status_code == 409
    assert again.json["code"] == "answered"


def test_decline_hides_the_shop_again(client: FlaskClient, session: Session) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    sent = invite(client, auth(session, owner), shop.id, user_id=guest.id).json
    guest_headers = auth(session, guest)
    declined = client.post(f"/api/v1/invitations/{sent['id']}/decline", headers=guest_headers)
    assert declined.status_code == 200
    assert declined.json["status"] == "declined"
    assert client.get(f"/api/v1/shops/{shop.id}", headers=guest_headers).status_code == 404


def test_invitation_by_email_waits_for_the_account(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    sent = invite(client, auth(session, owner), shop.id, email="Later@Example.com")
    assert sent.status_code == 201
    assert (sent.json["user_id"], sent.json["email"]) == (None, "later@example.com")
    newcomer = make_user(session, email="later@example.com")
    headers = auth(session, newcomer)
    assert client.get(f"/api/v1/shops/{shop.id}", headers=headers).status_code == 200
    accepted = client.post(f"/api/v1/invitations/{sent.json['id']}/accept", headers=headers)
    assert accepted.status_code == 200
    assert accepted.json["user_id"] == newcomer.id


def test_only_the_invitee_answers_and_the_team_revokes(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session, shop_fields={"privacy_mode": "invite"})
    guest = make_user(session)
    sent = invite(client, auth(session, team.manager), team.shop.id, user_id=guest.id).json
    url = f"/api/v1/invitations/{sent['id']}"
    for name in ("creator", "manager", "member", "outsider"):
        headers = auth(session, getattr(team, name))
        assert client.post(f"{url}/accept", headers=headers).status_code == 404, name
    assert client.delete(url, headers=auth(session, guest)).status_code == 403
    assert client.delete(url, headers=auth(session, team.assistant)).status_code == 403
    assert client.delete(url, headers=auth(session, team.outsider)).status_code == 404
    assert client.delete(url, headers=auth(session, team.creator)).status_code == 204
    assert client.post(f"{url}/accept", headers=auth(session, guest)).status_code == 409
    listed = client.get(
        f"/api/v1/shops/{team.shop.id}/invitations?status=revoked",
        headers=auth(session, team.manager),
    ).json["items"]
    assert [i["id"] for i in listed] == [sent["id"]]


def test_program_invitation_makes_a_member(client: FlaskClient, session: Session) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="private")
    program = make_program(session, shop, membership_mode="invite", name="Book club")
    sent = client.post(
        f"/api/v1/programs/{program.id}/invitations",
        headers=auth(session, owner),
        json={"user_id": guest.id, "role_type": "stamper"},
    )
    assert sent.status_code == 201, sent.json
    assert (sent.json["program_name"], sent.json["role_type"]) == ("Book club", "stamper")
    invited = session.query(Membership).filter_by(program_id=program.id, user_id=guest.id).one()
    assert invited.status == "invited"
    headers = auth(session, guest)
    assert client.get(f"/api/v1/shops/{shop.id}", headers=headers).status_code == 404
    accepted = client.post(f"/api/v1/invitations/{sent.json['id']}/accept", headers=headers)
    assert accepted.status_code == 200
    session.refresh(invited)
    assert (invited.status, invited.role_type) == ("active", "stamper")
    assert client.get(f"/api/v1/shops/{shop.id}", headers=headers).status_code == 200


def test_program_invitation_by_email_creates_the_membership_on_accept(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner), membership_mode="invite")
    sent = client.post(
        f"/api/v1/programs/{program.id}/invitations",
        headers=auth(session, owner),
        json={"email": "new@example.com"},
    ).json
    assert session.query(Membership).filter_by(program_id=program.id).count() == 0
    newcomer = make_user(session, email="new@example.com")
    headers = auth(session, newcomer)
    assert (
        client.post(f"/api/v1/invitations/{sent['id']}/accept", headers=headers).status_code == 200
    )
    membership = session.query(Membership).filter_by(program_id=program.id).one()
    assert (membership.user_id, membership.status, membership.role_type) == (
        newcomer.id,
        "active",
        "member",
    )


def test_declined_and_revoked_program_invitations_close_the_membership(
    client: FlaskClient, session: Session
) -> None:
    owner, first, second = make_user(session), make_user(session), make_user(session)
    program = make_program(session, make_shop(session, owner), membership_mode="invite")
    headers = auth(session, owner)
    ids = [
        client.post(
            f"/api/v1/programs/{program.id}/memberships", headers=headers, json={"user_id": u.id}
        ).json["id"]
        for u in (first, second)
    ]
    inbox = client.get("/api/v1/invitations", headers=auth(session, first)).json["items"]
    client.post(f"/api/v1/invitations/{inbox[0]['id']}/decline", headers=auth(session, first))
    pending = client.get(f"/api/v1/shops/{program.shop_id}/invitations", headers=headers).json[
        "items"
    ]
    assert (
        client.delete(f"/api/v1/invitations/{pending[0]['id']}", headers=headers).status_code == 204
    )
    session.expire_all()
    assert [session.get(Membership, i).status for i in ids] == ["left", "removed"]


def test_answers_record_when(session: Session, app_context: None) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    invitation = services.invite_to_shop(owner, shop.id, user_id=guest.id)
    answered = flows_invitations.accept_invitation(guest, invitation.id, now=WEDNESDAY_NOON_UTC)
    assert (answered.status, answered.responded_at) == ("accepted", WEDNESDAY_NOON_UTC)
    page = queries.my_invitations(guest, InvitationQuery(status=None))
    assert [i.id for i in page.items] == [invitation.id]
    assert page.items[0].shop_name == shop.name
