"""Programs and memberships through the API: create, edit, archive, join, leave, lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from stampbook.shops.models import Shop
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop, make_team


def test_create_runs_the_program_without_enrolling_its_creator(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    headers = auth(session, owner)
    response = client.post(
        f"/api/v1/shops/{shop.id}/programs",
        headers=headers,
        json={
            "name": "Coffee card",
            "color": "#6f4e37",
            "privacy_mode": "members",
            "membership_mode": "invite",
            "stamp_system_type": "self",
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["shop_id"], body["created_by"], body["stamp_system_type"]) == (
        shop.id,
        owner.id,
        "self",
    )
    # The team is not the members: the owner runs it through the shop, and joins if they wish.
    assert session.query(Membership).filter_by(program_id=body["id"]).count() == 0
    session.refresh(shop)
    assert shop.order_program_ids == [body["id"]]
    edited = client.patch(
        f"/api/v1/programs/{body['id']}", headers=headers, json={"summary": "Ours"}
    )
    assert edited.status_code == 200, edited.json
    board = client.get(f"/api/v1/programs/{body['id']}/leaderboard", headers=headers)
    assert board.status_code == 200, board.json
    assert board.json["items"] == []


def test_a_new_program_is_stamped_by_the_team_unless_told_otherwise(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    response = client.post(
        f"/api/v1/shops/{shop.id}/programs", headers=auth(session, owner), json={"name": "Card"}
    )
    assert response.status_code == 201, response.json
    assert response.json["stamp_system_type"] == "stampers"


def test_a_personal_program_makes_its_creator_its_one_member(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    response = client.post(
        f"/api/v1/shops/{shop.id}/programs",
        headers=auth(session, owner),
        json={"name": "My runs", "membership_mode": "personal"},
    )
    assert response.status_code == 201, response.json
    membership = session.query(Membership).filter_by(program_id=response.json["id"]).one()
    assert (membership.user_id, membership.role_type, membership.status) == (
        owner.id,
        "manager",
        "active",
    )


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"color": "blue"}, "color"),
        ({"privacy_mode": "friends"}, "privacy_mode"),
        ({"membership_mode": "open"}, "membership_mode"),
        ({"stamp_system_type": "anyone"}, "stamp_system_type"),
        ({"name": "  "}, "name"),
        ({"shop_id": 1}, "shop_id"),
        ({"created_by": 1}, "created_by"),
    ],
)
def test_create_refuses_bad_fields(
    client: FlaskClient, session: Session, fields: dict[str, Any], bad_field: str
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    response = client.post(
        f"/api/v1/shops/{shop.id}/programs",
        headers=auth(session, owner),
        json={"name": "Card", **fields},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == bad_field


@pytest.mark.parametrize(
    "field", ["shop_id", "created_by", "balance", "archived_at", "merged_into_id", "id"]
)
def test_program_patch_refuses_mass_assignment(
    client: FlaskClient, session: Session, field: str
) -> None:
    team = make_team(session)
    other_shop = make_shop(session, team.outsider)
    response = client.patch(
        f"/api/v1/programs/{team.program.id}",
        headers=auth(session, team.creator),
        json={field: other_shop.id},
    )
    assert response.status_code == 422
    session.refresh(team.program)
    assert team.program.shop_id == team.shop.id


@pytest.mark.parametrize(
    "body",
    [
        {"balance": 1000},
        {"status": "active"},
        {"user_id": 1},
        {"program_id": 1},
        {"created_by": 1},
        {"role_type": "owner"},
        {"permission_settings": {"delete_program": True}},
        {"role_type": None},
    ],
)
def test_membership_patch_refuses_mass_assignment_and_bad_values(
    client: FlaskClient, session: Session, body: dict[str, Any]
) -> None:
    team = make_team(session)
    membership = team.memberships["member"]
    response = client.patch(
        f"/api/v1/memberships/{membership.id}", headers=auth(session, team.creator), json=body
    )
    assert response.status_code == 422
    session.refresh(membership)
    assert (membership.balance, membership.role_type) == (0, "member")


@pytest.mark.parametrize(
    "body",
    [
        {"balance": 5},
        {"user_id": 1, "email": "a@example.com"},
        {"email": "a@example.com", "role_type": "manager"},
        {"role_type": "manager"},
        {"external_id": ""},
    ],
)
def test_membership_create_refuses_bad_bodies(
    client: FlaskClient, session: Session, body: dict[str, Any]
) -> None:
    team = make_team(session)
    response = client.post(
        f"/api/v1/programs/{team.program.id}/memberships",
        headers=auth(session, team.creator),
        json=body,
    )
    assert response.status_code == 422


def test_join_leave_and_come_back(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    user = make_user(session)
    headers = auth(session, user)
    url = f"/api/v1/programs/{team.program.id}/memberships"
    joined = client.post(url, headers=headers, json={})
    assert joined.status_code == 201
    assert (joined.json["user_id"], joined.json["role_type"], joined.json["balance"]) == (
        user.id,
        "member",
        0,
    )
    membership = session.get(Membership, joined.json["id"])
    assert membership is not None
    give_points(session, membership, 12)
    assert client.post(url, headers=headers, json={}).json["code"] == "already_member"
    assert client.delete(f"/api/v1/memberships/{membership.id}", headers=headers).status_code == 204
    left = client.get(f"/api/v1/memberships/{membership.id}", headers=headers).json
    assert (left["status"], left["balance"]) == ("left", 12)
    again = client.delete(f"/api/v1/memberships/{membership.id}", headers=headers)
    assert again.status_code == 403
    back = client.post(url, headers=headers, json={})
    assert (back.status_code, back.json["id"], back.json["balance"]) == (201, membership.id, 12)


def test_a_removed_member_cannot_rejoin_alone(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    membership = team.memberships["member"]
    removed = client.delete(
        f"/api/v1/memberships/{membership.id}", headers=auth(session, team.manager)
    )
    assert removed.status_code == 204
    session.refresh(membership)
    assert membership.status == "removed"
    response = client.post(
        f"/api/v1/programs/{team.program.id}/memberships",
        headers=auth(session, team.member),
        json={},
    )
    assert response.status_code == 403
    assert response.json["code"] == "removed"


def test_unclaimed_customers(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    headers = auth(session, team.manager)
    url = f"/api/v1/programs/{team.program.id}/memberships"
    by_email = client.post(url, headers=headers, json={"email": "Shopper@Example.com"})
    assert by_email.status_code == 201
    assert (by_email.json["user_id"], by_email.json["email"], by_email.json["status"]) == (
        None,
        "shopper@example.com",
        "active",
    )
    by_external = client.post(url, headers=headers, json={"external_id": "shopify-42"})
    assert by_external.status_code == 201
    assert (
        client.post(url, headers=headers, json={"email": "shopper@example.com"}).status_code == 409
    )
    assert client.post(url, headers=headers, json={"external_id": "shopify-42"}).status_code == 409
    # Only the team sees customers without accounts.
    member_view = client.get(url, headers=auth(session, team.member)).json["items"]
    assert all(m["user_id"] is not None for m in member_view)
    team_view = client.get(url, headers=headers).json["items"]
    assert {m["email"] for m in team_view} >= {"shopper@example.com"}
    customer = client.get(f"/api/v1/memberships/{by_email.json['id']}", headers=headers)
    assert customer.json["email"] == "shopper@example.com"
    hidden = client.get(
        f"/api/v1/memberships/{by_email.json['id']}", headers=auth(session, team.member)
    )
    assert hidden.status_code == 404
    # Whether the body is allowed depends on the membership (a customer's): 409, not 422.
    role = client.patch(
        f"/api/v1/memberships/{by_email.json['id']}", headers=headers, json={"role_type": "stamper"}
    )
    assert (role.status_code, role.json["code"]) == (409, "customer_is_member")


def test_member_list_follows_each_members_privacy(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    shy, open_ = make_user(session), make_user(session)
    shy.privacy_settings = {"memberships": "private"}
    open_.privacy_settings = {"memberships": "public"}
    give_points(session, make_membership(session, team.program, shy), 7)
    give_points(session, make_membership(session, team.program, open_), 9)
    url = f"/api/v1/programs/{team.program.id}/memberships"

    def seen(user: Any) -> dict[int, int]:
        headers = auth(session, user) if user else {}
        items = client.get(url, headers=headers).json["items"]
        return {m["user_id"]: m["balance"] for m in items}

    assert seen(team.viewer) == {
        team.stamper.id: 0,
        team.member.id: 0,
        shy.id: 7,
        open_.id: 9,
    }
    assert seen(team.member) == {team.stamper.id: 0, team.member.id: 0, open_.id: 9}
    assert seen(team.outsider) == {open_.id: 9}
    assert seen(None) == {open_.id: 9}
    assert seen(shy)[shy.id] == 7


def test_member_list_pages_are_full_and_complete(client: FlaskClient, session: Session) -> None:
    owner, viewer = make_user(session), make_user(session)
    program = make_program(session, make_shop(session, owner))
    visible = []
    for index in range(9):
        user = make_user(session)
        if index % 3 == 0:
            user.privacy_settings = {"memberships": "private"}
        membership = make_membership(session, program, user)
        if index % 3:
            visible.append(membership.id)
    mine = make_membership(session, program, viewer)
    visible.append(mine.id)
    seen: list[int] = []
    cursor = None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = client.get(
            f"/api/v1/programs/{program.id}/memberships?limit=3{suffix}",
            headers=auth(session, viewer),
        ).json
        assert len(page["items"]) == 3 or page["next_cursor"] is None
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(visible, reverse=True)


def test_team_filters_members_by_status(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    gone = make_membership(session, team.program, make_user(session), status="left")
    url = f"/api/v1/programs/{team.program.id}/memberships?status=left"
    assert [
        m["id"] for m in client.get(url, headers=auth(session, team.manager)).json["items"]
    ] == [gone.id]
    # Others only ever see active members.
    assert client.get(url, headers=auth(session, team.member)).json["items"] == []


def test_programs_list_paginates_and_shows_archived_on_request(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    live = [make_program(session, shop) for _ in range(5)]
    archived = make_program(session, shop)
    archived.archived_at = archived.created_at
    session.flush()
    url = f"/api/v1/shops/{shop.id}/programs"
    first = client.get(f"{url}?limit=3").json
    second = client.get(f"{url}?limit=3&cursor={first['next_cursor']}").json
    assert [p["id"] for p in first["items"] + second["items"]] == [p.id for p in reversed(live)]
    assert second["next_cursor"] is None
    # Archived programs: their team and former members only.
    assert client.get(f"{url}?archived=true").json["items"] == []
    listed = client.get(f"{url}?archived=true", headers=auth(session, owner)).json["items"]
    assert [p["id"] for p in listed] == [archived.id]


def test_personal_programs_have_one_member(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    headers = auth(session, team.creator)
    created = client.post(
        f"/api/v1/shops/{team.shop.id}/programs",
        headers=headers,
        json={"name": "My reading log", "membership_mode": "personal", "privacy_mode": "private"},
    ).json
    url = f"/api/v1/programs/{created['id']}/memberships"
    invited = client.post(url, headers=headers, json={"user_id": team.member.id})
    assert invited.status_code == 409
    assert invited.json["code"] == "personal_program"
    mine = client.get(url, headers=headers).json["items"][0]
    assert client.delete(f"/api/v1/memberships/{mine['id']}", headers=headers).status_code == 204
    assert client.post(url, headers=headers, json={}).status_code == 201  # its creator returns
    other = client.post(url, headers=auth(session, team.manager), json={})
    assert other.status_code == 403
    # A shared program cannot turn personal while others are in it.
    refused = client.patch(
        f"/api/v1/programs/{team.program.id}", headers=headers, json={"membership_mode": "personal"}
    )
    assert refused.status_code == 409
    assert refused.json["code"] == "program_has_members"


def test_deleted_program_is_gone_for_the_api_and_its_archive_kept(
    client: FlaskClient, session: Session, discrepancies: Callable[[], list[Any]]
) -> None:
    team = make_team(session)
    membership = team.memberships["member"]
    give_points(session, membership, 25)
    headers = auth(session, team.manager)
    url = f"/api/v1/programs/{team.program.id}"
    assert client.delete(url, headers=headers).status_code == 204
    member_headers = auth(session, team.member)
    gone = [
        client.get(url, headers=headers),
        client.patch(url, headers=headers, json={"name": "x"}),
        client.delete(url, headers=headers),
        client.get(url, headers=member_headers),
        client.get(f"{url}/memberships", headers=headers),
        client.post(f"{url}/memberships", headers=auth(session, team.outsider), json={}),
        client.post(f"{url}/invitations", headers=headers, json={"user_id": team.outsider.id}),
        client.get(f"{url}/leaderboard", headers=member_headers),
        client.get(f"{url}/tasks", headers=headers),
        client.post(f"{url}/tasks", headers=headers, json={"name": "t", "point_value": 1}),
        client.get(f"{url}/stats", headers=headers),
    ]
    assert [(r.status_code, r.json["code"]) for r in gone] == [(404, "not_found")] * len(gone)
    assert all(r.mimetype == "application/problem+json" for r in gone)
    shop_url = f"/api/v1/shops/{team.shop.id}/programs"
    assert team.program.id not in [
        p["id"] for p in client.get(shop_url, headers=headers).json["items"]
    ]
    # The archive, asked for by name: its team and former members read it, others do not.
    for reader in (headers, member_headers):
        archive = client.get(f"{shop_url}?archived=true", headers=reader).json["items"]
        assert [(p["id"], p["archived_at"] is not None) for p in archive] == [
            (team.program.id, True)
        ]
    outsider = client.get(f"{shop_url}?archived=true", headers=auth(session, team.outsider))
    assert outsider.json["items"] == []
    # Balances and history stay readable through the membership.
    mine = client.get(f"/api/v1/memberships/{membership.id}", headers=member_headers).json
    assert (mine["status"], mine["balance"]) == ("archived", 25)
    entries = client.get(f"/api/v1/memberships/{membership.id}/entries", headers=member_headers)
    assert entries.status_code == 200
    assert [e["amount"] for e in entries.json["items"]] == [25]
    shop = session.get(Shop, team.shop.id)
    assert shop is not None
    session.refresh(shop)
    assert team.program.id not in shop.order_program_ids
    assert discrepancies() == []


def test_my_memberships(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    other = make_program(session, team.shop)
    left = make_membership(session, other, team.member, status="left")
    headers = auth(session, team.member)
    everything = client.get("/api/v1/memberships", headers=headers).json["items"]
    assert [m["id"] for m in everything] == [left.id, team.memberships["member"].id]
    active = client.get("/api/v1/memberships?status=active", headers=headers).json["items"]
    assert [m["id"] for m in active] == [team.memberships["member"].id]
    assert client.get("/api/v1/memberships").status_code == 401


@pytest.mark.parametrize("path", ["invitations", "memberships"])
def test_inviting_a_user_who_does_not_exist_is_not_found(
    client: FlaskClient, session: Session, path: str
) -> None:
    # A well-formed id of nobody: 404 (422 is for bodies that break the documented schema).
    team = make_team(session)
    response = client.post(
        f"/api/v1/programs/{team.program.id}/{path}",
        headers=auth(session, team.creator),
        json={"user_id": 10**12},
    )
    assert response.status_code == 404
