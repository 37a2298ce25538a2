"""The permission matrix of programs and memberships: every part against every action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import ACTORS, Team, make_team

Call = Callable[[FlaskClient, Session, Team, dict[str, str]], Any]


def _headers(session: Session, team: Team, name: str) -> dict[str, str]:
    actor = team.actor(name)
    return auth(session, actor) if actor else {}


def view(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/programs/{team.program.id}", headers=headers)


def listing(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    response = client.get(f"/api/v1/shops/{team.shop.id}/programs", headers=headers)
    listed = [p["id"] for p in response.json.get("items", [])]
    # The listing agrees with the program's own page.
    if response.status_code == 200 and team.program.id not in listed:
        response.status_code = 404
    return response


def create(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/shops/{team.shop.id}/programs", headers=headers, json={"name": "New"}
    )


def edit(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.patch(
        f"/api/v1/programs/{team.program.id}", headers=headers, json={"summary": "x"}
    )


def delete(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.delete(f"/api/v1/programs/{team.program.id}", headers=headers)


def merge(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    source = make_program(session, team.shop)
    return client.post(
        f"/api/v1/programs/{team.program.id}/merge",
        headers=headers,
        json={"source_program_id": source.id},
    )


def view_membership(
    client: FlaskClient, session: Session, team: Team, headers: dict[str, str]
) -> Any:
    return client.get(f"/api/v1/memberships/{team.memberships['member'].id}", headers=headers)


def list_members(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/programs/{team.program.id}/memberships", headers=headers)


def join(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/programs/{team.program.id}/memberships", headers=headers, json={})


def change_role(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.patch(
        f"/api/v1/memberships/{team.memberships['member'].id}",
        headers=headers,
        json={"role_type": "stamper"},
    )


def remove(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.delete(f"/api/v1/memberships/{team.memberships['member'].id}", headers=headers)


def invite(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/programs/{team.program.id}/invitations",
        headers=headers,
        json={"user_id": make_user(session).id},
    )


def add_customer(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/programs/{team.program.id}/memberships",
        headers=headers,
        json={"email": "customer@example.com"},
    )


# creator, manager, assistant, viewer, stamper, member, outsider, anonymous
PUBLIC: list[tuple[Call, tuple[int, ...]]] = [
    (view, (200, 200, 200, 200, 200, 200, 200, 200)),
    (listing, (200, 200, 200, 200, 200, 200, 200, 200)),
    (create, (201, 201, 201, 403, 403, 403, 403, 401)),
    (edit, (200, 200, 403, 403, 403, 403, 403, 401)),
    (delete, (204, 204, 403, 403, 403, 403, 403, 401)),
    (merge, (200, 200, 403, 403, 403, 403, 403, 401)),
    (view_membership, (200, 200, 200, 200, 200, 200, 404, 404)),
    (list_members, (200, 200, 200, 200, 200, 200, 200, 200)),
    (join, (201, 201, 201, 201, 409, 409, 201, 401)),
    (change_role, (200, 200, 403, 403, 403, 403, 404, 401)),
    (remove, (204, 204, 403, 403, 403, 204, 404, 401)),
    (invite, (201, 201, 403, 403, 403, 403, 403, 401)),
    (add_customer, (201, 201, 403, 403, 403, 403, 403, 401)),
]
# A private program: only its team and members know it exists.
PRIVATE: list[tuple[Call, tuple[int, ...]]] = [
    (view, (200, 200, 200, 200, 200, 200, 404, 404)),
    (listing, (200, 200, 200, 200, 200, 200, 404, 404)),
    (edit, (200, 200, 403, 403, 403, 403, 404, 401)),
    (delete, (204, 204, 403, 403, 403, 403, 404, 401)),
    (view_membership, (200, 200, 200, 200, 200, 200, 404, 404)),
    (list_members, (200, 200, 200, 200, 200, 200, 404, 404)),
    (join, (201, 201, 201, 201, 409, 409, 404, 401)),
    (change_role, (200, 200, 403, 403, 403, 403, 404, 401)),
    (remove, (204, 204, 403, 403, 403, 204, 404, 401)),
]


def _cases(matrix: list[tuple[Call, tuple[int, ...]]]) -> list[Any]:
    return [
        pytest.param(call, actor, status, id=f"{call.__name__}-{actor}")
        for call, statuses in matrix
        for actor, status in zip(ACTORS, statuses, strict=True)
    ]


@pytest.mark.parametrize(("call", "actor", "status"), _cases(PUBLIC))
def test_public_program_matrix(
    client: FlaskClient, session: Session, call: Call, actor: str, status: int
) -> None:
    team = make_team(session)
    response = call(client, session, team, _headers(session, team, actor))
    assert response.status_code == status, response.json


@pytest.mark.parametrize(("call", "actor", "status"), _cases(PRIVATE))
@pytest.mark.parametrize("privacy", ["private", "members"])
def test_private_program_matrix(
    client: FlaskClient, session: Session, call: Call, actor: str, status: int, privacy: str
) -> None:
    team = make_team(session, program_fields={"privacy_mode": privacy})
    response = call(client, session, team, _headers(session, team, actor))
    assert response.status_code == status, response.json


def test_programs_of_a_hidden_shop_are_hidden(client: FlaskClient, session: Session) -> None:
    team = make_team(session, shop_fields={"privacy_mode": "private"})
    for name in ("outsider", "anonymous"):
        headers = _headers(session, team, name)
        assert view(client, session, team, headers).status_code == 404
        assert list_members(client, session, team, headers).status_code == 404


def test_an_assistant_controls_the_programs_they_created(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    headers = auth(session, team.assistant)
    created = client.post(
        f"/api/v1/shops/{team.shop.id}/programs", headers=headers, json={"name": "Mine"}
    )
    assert created.status_code == 201
    program_id = created.json["id"]
    members = client.get(f"/api/v1/programs/{program_id}/memberships", headers=headers).json
    assert members["items"] == []  # they run it from the shop's team, not as its member
    customer = client.post(
        f"/api/v1/programs/{program_id}/memberships",
        headers=headers,
        json={"email": "customer@example.com"},
    )
    assert customer.status_code == 201, customer.json
    url = f"/api/v1/programs/{program_id}"
    assert client.patch(url, headers=headers, json={"name": "Renamed"}).status_code == 200
    assert client.delete(url, headers=headers).status_code == 403
    assert client.delete(url, headers=auth(session, team.manager)).status_code == 204


def test_a_program_manager_runs_it_but_does_not_delete_it(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    boss = make_user(session)
    make_membership(session, team.program, boss, role_type="manager")
    headers = auth(session, boss)
    assert edit(client, session, team, headers).status_code == 200
    assert change_role(client, session, team, headers).status_code == 200
    assert delete(client, session, team, headers).status_code == 403
    assert merge(client, session, team, headers).status_code == 403


def test_member_permission_settings_grant_single_rights(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    team.memberships["stamper"].permission_settings = {"manage_members": True}
    session.flush()
    headers = auth(session, team.stamper)
    assert change_role(client, session, team, headers).status_code == 200
    # Handing out a role with more than the stamper holds is an escalation.
    response = client.patch(
        f"/api/v1/memberships/{team.memberships['member'].id}",
        headers=headers,
        json={"role_type": "manager"},
    )
    assert response.status_code == 403
    assert response.json["code"] == "escalation"


def test_nobody_changes_their_own_membership_role(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    own = make_membership(session, team.program, team.manager, role_type="member")
    response = client.patch(
        f"/api/v1/memberships/{own.id}",
        headers=auth(session, team.manager),
        json={"role_type": "manager"},
    )
    assert response.status_code == 403
    assert response.json["code"] == "own_role"


def test_the_shop_creator_membership_is_theirs_alone(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    theirs = make_membership(session, team.program, team.creator)
    url = f"/api/v1/memberships/{theirs.id}"
    response = client.delete(url, headers=auth(session, team.manager))
    assert response.status_code == 403
    assert response.json["code"] == "creator"
    assert client.delete(url, headers=auth(session, team.creator)).status_code == 204


@pytest.mark.parametrize(
    ("mode", "code"), [("invite", "invitation_required"), ("personal", "personal_program")]
)
def test_joining_needs_a_public_membership_mode(
    client: FlaskClient, session: Session, mode: str, code: str
) -> None:
    team = make_team(session, program_fields={"membership_mode": mode})
    response = join(client, session, team, auth(session, team.outsider))
    assert response.status_code == 403
    assert response.json["code"] == code


def test_members_of_a_private_program_see_only_themselves(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session, program_fields={"privacy_mode": "private"})
    headers = auth(session, team.member)
    listed = list_members(client, session, team, headers).json["items"]
    assert [m["user_id"] for m in listed] == [team.member.id]
    other = make_membership(session, team.program, make_user(session))
    assert client.get(f"/api/v1/memberships/{other.id}", headers=headers).status_code == 404
    team_view = list_members(client, session, team, auth(session, team.viewer)).json["items"]
    assert len(team_view) == 3
