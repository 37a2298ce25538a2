"""The permission matrix of shops and their roles: every part against every action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.shops.policy import ShopPermission, permissions_for
from tests.factories.accounts import auth, make_user
from tests.factories.shops import ACTORS, Team, make_invitation, make_shop, make_team
from tests.pages import signed_in

Call = Callable[[FlaskClient, Session, Team, dict[str, str]], Any]


def _headers(session: Session, team: Team, name: str) -> dict[str, str]:
    actor = team.actor(name)
    return auth(session, actor) if actor else {}


def view(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/shops/{team.shop.id}", headers=headers)


def edit(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.patch(f"/api/v1/shops/{team.shop.id}", headers=headers, json={"summary": "x"})


def delete(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.delete(f"/api/v1/shops/{team.shop.id}", headers=headers)


def merge(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    source = make_shop(session, team.creator)
    return client.post(
        f"/api/v1/shops/{team.shop.id}/merge", headers=headers, json={"source_shop_id": source.id}
    )


def list_roles(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/shops/{team.shop.id}/roles", headers=headers)


def add_role(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    newcomer = make_user(session)
    return client.post(
        f"/api/v1/shops/{team.shop.id}/roles",
        headers=headers,
        json={"user_id": newcomer.id, "role_type": "viewer"},
    )


def edit_role(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.patch(
        f"/api/v1/roles/{team.roles['viewer'].id}",
        headers=headers,
        json={"permission_settings": {"stamp": True}},
    )


def remove_role(client: FlaskClient, session: Session, team: Team, headers: dict[str, str]) -> Any:
    return client.delete(f"/api/v1/roles/{team.roles['assistant'].id}", headers=headers)


def list_invitations(
    client: FlaskClient, session: Session, team: Team, headers: dict[str, str]
) -> Any:
    return client.get(f"/api/v1/shops/{team.shop.id}/invitations", headers=headers)


# creator, manager, assistant, viewer, stamper, member, outsider, anonymous
MATRIX: list[tuple[Call, tuple[int, ...]]] = [
    (view, (200, 200, 200, 200, 200, 200, 200, 200)),
    (edit, (200, 200, 403, 403, 403, 403, 403, 401)),
    (delete, (204, 403, 403, 403, 403, 403, 403, 401)),
    (merge, (200, 403, 403, 403, 403, 403, 403, 401)),
    (list_roles, (200, 200, 200, 200, 200, 200, 200, 200)),
    (add_role, (201, 201, 403, 403, 403, 403, 403, 401)),
    (edit_role, (200, 200, 403, 403, 403, 403, 403, 401)),
    # The assistant removes their own role: leaving the team is always allowed.
    (remove_role, (204, 204, 204, 403, 403, 403, 403, 401)),
    (list_invitations, (200, 200, 403, 403, 403, 403, 403, 401)),
]
CASES = [
    pytest.param(call, actor, status, id=f"{call.__name__}-{actor}")
    for call, statuses in MATRIX
    for actor, status in zip(ACTORS, statuses, strict=True)
]


@pytest.mark.parametrize(("call", "actor", "status"), CASES)
def test_public_shop_matrix(
    client: FlaskClient, session: Session, call: Call, actor: str, status: int
) -> None:
    team = make_team(session)
    response = call(client, session, team, _headers(session, team, actor))
    assert response.status_code == status, response.json


# A private shop: outsiders are told nothing exists (404), never "forbidden".
PRIVATE: list[tuple[Call, tuple[int, ...]]] = [
    (view, (200, 200, 200, 200, 200, 200, 404, 404)),
    (edit, (200, 200, 403, 403, 403, 403, 404, 401)),
    (delete, (204, 403, 403, 403, 403, 403, 404, 401)),
    (list_roles, (200, 200, 200, 200, 200, 200, 404, 404)),
    (add_role, (201, 201, 403, 403, 403, 403, 404, 401)),
    (edit_role, (200, 200, 403, 403, 403, 403, 404, 401)),
]


@pytest.mark.parametrize(
    ("call", "actor", "status"),
    [
        pytest.param(call, actor, status, id=f"{call.__name__}-{actor}")
        for call, statuses in PRIVATE
        for actor, status in zip(ACTORS, statuses, strict=True)
    ],
)
@pytest.mark.parametrize("privacy", ["private", "invite"])
def test_hidden_shop_matrix(
    client: FlaskClient, session: Session, call: Call, actor: str, status: int, privacy: str
) -> None:
    team = make_team(session, shop_fields={"privacy_mode": privacy})
    response = call(client, session, team, _headers(session, team, actor))
    assert response.status_code == status, response.json


@pytest.mark.parametrize(
    ("privacy", "invitation_status", "seen"),
    [
        ("invite", "pending", True),
        ("invite", "accepted", True),
        ("invite", "declined", False),
        ("invite", "revoked", False),
        ("private", "pending", False),
    ],
)
def test_invited_users_see_invite_shops_only(
    client: FlaskClient, session: Session, privacy: str, invitation_status: str, seen: bool
) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode=privacy)
    make_invitation(session, shop, user=guest, status=invitation_status)
    response = client.get(f"/api/v1/shops/{shop.id}", headers=auth(session, guest))
    assert response.status_code == (200 if seen else 404)


def test_members_who_left_no_longer_see_a_private_shop(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session, shop_fields={"privacy_mode": "private"})
    team.memberships["member"].status = "left"
    session.flush()
    assert view(client, session, team, auth(session, team.member)).status_code == 404


def test_deleted_shops_are_gone_for_the_api_and_for_everyone_but_admins(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    team.shop.deleted_at = team.shop.created_at
    admin = make_user(session, is_admin=True)
    session.flush()
    for name in ("creator", "manager", "member", "anonymous"):
        assert view(client, session, team, _headers(session, team, name)).status_code == 404
    # Admins too, through the API (a deleted thing is gone there); they keep its page.
    assert view(client, session, team, auth(session, admin)).status_code == 404
    assert edit(client, session, team, auth(session, admin)).status_code == 404
    assert signed_in(app, admin).get(f"/shops/{team.shop.id}").status_code == 200


def test_modular_permissions_turn_single_rights_on_and_off(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    team.roles["assistant"].permission_settings = {"edit_shop": True}
    team.roles["manager"].permission_settings = {"edit_shop": False}
    session.flush()
    assert edit(client, session, team, auth(session, team.assistant)).status_code == 200
    assert edit(client, session, team, auth(session, team.manager)).status_code == 403


def test_manage_roles_is_for_managers_only() -> None:
    assert ShopPermission.MANAGE_ROLES in permissions_for("manager", {})
    assert ShopPermission.MANAGE_ROLES not in permissions_for("assistant", {"manage_roles": True})
    assert ShopPermission.MANAGE_ROLES not in permissions_for("manager", {"manage_roles": False})
    assert permissions_for("creator", {"edit_shop": False}) == frozenset(ShopPermission)
