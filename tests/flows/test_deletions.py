"""Deleting a shop and one's account: what is archived, ended, anonymised and kept, and who
may."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core.errors import Conflict, NotFound
from stampbook.flows import deletions
from stampbook.flows import invitations as flows_invitations
from stampbook.ledger.queries import find_discrepancies
from stampbook.people.models import Buddy
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops import services
from stampbook.shops.models import Shop
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.people import make_buddies, make_message, make_request
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_invitation, make_role, make_shop, make_team

WEDNESDAY_NOON_UTC = datetime(2025, 7, 2, 12, 0, tzinfo=UTC)  # 14:00 in Madrid: just closed


# --- A shop -----------------------------------------------------------------------------------


def test_delete_archives_everything_and_keeps_points(
    client: FlaskClient, session: Session, discrepancies: Callable[[], list[Any]]
) -> None:
    owner, member = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    programs = [make_program(session, shop), make_program(session, shop)]
    memberships = [make_membership(session, program, member) for program in programs]
    left = make_membership(session, programs[0], make_user(session), status="left")
    give_points(session, memberships[0], 40)
    give_points(session, left, 5)
    headers = auth(session, owner)

    response = client.delete(f"/api/v1/shops/{shop.id}", headers=headers)

    assert response.status_code == 204
    assert client.get(f"/api/v1/shops/{shop.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/shops/{shop.id}/programs", headers=headers).status_code == 404
    session.expire_all()
    assert session.get(Shop, shop.id).deleted_at is not None
    assert all(session.get(Program, p.id).archived_at is not None for p in programs)
    assert {session.get(Membership, m.id).status for m in memberships} == {"archived"}
    assert session.get(Membership, left.id).status == MembershipStatus.LEFT
    # The member still reads their balance and its history.
    member_headers = auth(session, member)
    mine = client.get(f"/api/v1/memberships/{memberships[0].id}", headers=member_headers)
    assert mine.status_code == 200
    assert (mine.json["balance"], mine.json["status"]) == (40, "archived")
    entries = client.get(f"/api/v1/memberships/{memberships[0].id}/entries", headers=member_headers)
    assert entries.status_code == 200
    assert [e["amount"] for e in entries.json["items"]] == [40]
    listed = client.get("/api/v1/memberships", headers=member_headers).json["items"]
    assert {m["id"] for m in listed} == {m.id for m in memberships}
    assert discrepancies() == []


def test_a_deleted_shop_is_gone_with_all_under_it(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    program = make_program(session, shop)
    headers = auth(session, owner)
    url = f"/api/v1/shops/{shop.id}"
    assert client.delete(url, headers=headers).status_code == 204
    gone = [
        client.get(url, headers=headers),
        client.patch(url, headers=headers, json={"name": "x"}),
        client.delete(url, headers=headers),
        *(client.get(f"{url}/{part}", headers=headers) for part in SHOP_PARTS),
        client.post(f"{url}/programs", headers=headers, json={"name": "p"}),
        client.post(f"{url}/rewards", headers=headers, json={"name": "r", "cost": 1}),
        client.get(f"/api/v1/programs/{program.id}", headers=headers),
    ]
    assert [(r.status_code, r.json["code"]) for r in gone] == [(404, "not_found")] * len(gone)


SHOP_PARTS = [
    "roles",
    "invitations",
    "members",
    "programs",
    "programs?archived=true",
    "rewards",
    "redemptions",
    "notification-templates",
    "webhook-endpoints",
]


def test_only_the_creator_deletes(client: FlaskClient, session: Session) -> None:
    owner, manager = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    make_role(session, shop, manager, "manager")
    response = client.delete(f"/api/v1/shops/{shop.id}", headers=auth(session, manager))
    assert response.status_code == 403
    session.refresh(shop)
    assert shop.deleted_at is None


def test_delete_stamps_the_given_time(session: Session, app_context: None) -> None:
    team = make_team(session)
    deletions.delete_shop(team.creator, team.shop.id, now=WEDNESDAY_NOON_UTC)
    session.refresh(team.shop)
    program = session.get(Program, team.program.id)
    assert program is not None
    session.refresh(program)
    assert team.shop.deleted_at == program.archived_at == WEDNESDAY_NOON_UTC
    with pytest.raises(NotFound):
        services.get_shop(team.creator, team.shop.id)


def test_deleting_revokes_pending_invitations(session: Session, app_context: None) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    invitation = make_invitation(session, shop, user=guest)
    program_invitation = make_invitation(
        session, shop, user=guest, program=make_program(session, shop)
    )
    deletions.delete_shop(owner, shop.id, now=WEDNESDAY_NOON_UTC)
    session.expire_all()
    assert invitation.status == program_invitation.status == "revoked"
    with pytest.raises(Conflict):
        flows_invitations.accept_invitation(guest, invitation.id)


# --- My account -------------------------------------------------------------------------------


def test_delete_me_anonymises_and_ends_tokens(client: FlaskClient, session: Session) -> None:
    user = make_user(session, name="Someone")
    headers = auth(session, user)
    assert client.delete("/api/v1/users/me", headers=headers).status_code == 204
    session.refresh(user)
    assert user.name == "Deleted user" and user.deleted_at is not None
    assert "example.com" not in user.email
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    assert client.get(f"/api/v1/users/{user.id}").status_code == 404


def test_deleting_the_account_ends_memberships_and_keeps_the_ledger(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    me = make_user(session, name="Leaving")
    buddy, asker, pen_pal = make_user(session), make_user(session), make_user(session)
    shop = make_shop(session, make_user(session))
    programs = [make_program(session, shop) for _ in range(2)]
    memberships = [make_membership(session, p, me) for p in programs]
    give_points(session, memberships[0], 70)
    invited = make_program(session, shop)
    pending = make_membership(session, invited, me, status="invited")
    invitation = make_invitation(session, shop, user=me, program=invited)
    make_buddies(session, me, buddy)
    request = make_request(session, asker, me)
    message = make_message(session, me, pen_pal, "Bye")
    me.starred_shop_id = shop.id
    session.flush()

    assert client.delete("/api/v1/users/me", headers=auth(session, me)).status_code == 204

    for row in (*memberships, pending, invitation, request, me):
        session.refresh(row)
    assert [m.status for m in memberships] == ["left", "left"]
    assert pending.status == "left" and invitation.status == "declined"
    assert memberships[0].balance == 70  # the points stay where they were
    with app.app_context():
        assert find_discrepancies() == []
    assert session.scalar(select(func.count()).select_from(Buddy)) == 0
    assert request.status == "cancelled"
    assert me.starred_shop_id is None and me.name == "Deleted user"
    inbox = client.get("/api/v1/conversations", headers=auth(session, pen_pal)).json["items"]
    assert inbox[0]["user"]["name"] == "Deleted user"
    assert inbox[0]["last_message"]["id"] == message.id
    assert client.get(f"/api/v1/users/{me.id}").status_code == 404
    reply = client.post(
        "/api/v1/messages",
        headers=auth(session, pen_pal),
        json={"to_user_id": me.id, "body": "Wait"},
    )
    assert reply.status_code == 404
