"""Who may do what with rewards and receipts: the whole matrix, through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership
from stampbook.rewards.models import Redemption, Reward
from stampbook.shops.models import Shop
from tests.factories.accounts import auth, make_user
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_role, make_shop

ACTORS = [
    "creator",
    "manager",
    "assistant_own",
    "assistant_assigned",
    "assistant_other",
    "viewer",
    "member",
    "outsider",
    "anonymous",
    "admin",
]


def row(*statuses: int) -> dict[str, int]:
    return dict(zip(ACTORS, statuses, strict=True))


#                       creator mgr own  assgn other viewer member outsider anon admin
EXPECTED = {
    "create": row(201, 201, 201, 201, 201, 403, 403, 403, 401, 201),
    "edit": row(200, 200, 200, 200, 403, 403, 403, 403, 401, 200),
    "delete": row(204, 204, 204, 204, 403, 403, 403, 403, 401, 204),
    "view_changes": row(200, 200, 200, 200, 200, 200, 403, 403, 401, 200),
    "cancel": row(200, 200, 403, 403, 403, 403, 403, 404, 401, 200),
    "fulfil": row(200, 200, 200, 200, 200, 403, 403, 404, 401, 200),
    "list_shop_redemptions": row(200, 200, 200, 200, 200, 200, 403, 403, 401, 200),
    "list_reward_redemptions": row(200, 200, 200, 200, 200, 200, 403, 403, 401, 200),
    "view_receipt": row(200, 200, 200, 200, 200, 200, 200, 404, 401, 200),
    # Paying with the member's membership: only the member may; to others it does not exist.
    "redeem": row(404, 404, 404, 404, 404, 404, 201, 404, 401, 404),
}


@dataclass
class World:
    shop: Shop
    reward: Reward
    receipt_id: int
    member: Membership
    users: dict[str, User]


def build(client: FlaskClient, session: Session, privacy: str = "public") -> World:
    users = {name: make_user(session) for name in ACTORS if name != "anonymous"}
    users["admin"].is_admin = True
    shop = make_shop(session, users["creator"], privacy_mode=privacy)
    make_role(session, shop, users["manager"], "manager")
    make_role(session, shop, users["assistant_own"], "assistant")
    assigned = make_role(session, shop, users["assistant_assigned"], "assistant")
    make_role(session, shop, users["assistant_other"], "assistant")
    make_role(session, shop, users["viewer"], "viewer")
    reward = make_reward(session, shop, created_by=users["assistant_own"].id, quantity=10)
    assigned.reward_id = reward.id
    session.flush()
    member = make_member(session, shop, 100, user=users["member"])
    response = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": member.id},
        headers=auth(session, users["member"]),
    )
    assert response.status_code == 201
    return World(shop, reward, response.json["id"], member, users)


def call(client: FlaskClient, world: World, action: str, headers: dict[str, str]) -> Any:
    reward, receipt = (
        f"/api/v1/rewards/{world.reward.id}",
        f"/api/v1/redemptions/{world.receipt_id}",
    )
    requests: dict[str, tuple[str, str, dict[str, Any] | None]] = {
        "create": ("post", f"/api/v1/shops/{world.shop.id}/rewards", {"name": "N", "cost": 5}),
        "edit": ("patch", reward, {"name": "Edited"}),
        "delete": ("delete", reward, None),
        "view_changes": ("get", f"{reward}/changes", None),
        "cancel": ("post", f"{receipt}/cancel", {"reason": "test"}),
        "fulfil": ("post", f"{receipt}/fulfil", None),
        "list_shop_redemptions": ("get", f"/api/v1/shops/{world.shop.id}/redemptions", None),
        "list_reward_redemptions": ("get", f"{reward}/redemptions", None),
        "view_receipt": ("get", receipt, None),
        "redeem": ("post", f"{reward}/redemptions", {"membership_id": world.member.id}),
    }
    method, url, body = requests[action]
    return getattr(client, method)(url, json=body, headers=headers)


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("actor", ACTORS)
def test_permission_matrix(client: FlaskClient, session: Session, action: str, actor: str) -> None:
    world = build(client, session)
    headers = {} if actor == "anonymous" else auth(session, world.users[actor])
    response = call(client, world, action, headers)
    assert response.status_code == EXPECTED[action][actor], response.json


@pytest.mark.parametrize("action", ["create", "edit", "delete", "view_changes", "redeem"])
def test_a_private_shop_hides_everything_from_outsiders(
    client: FlaskClient, session: Session, action: str
) -> None:
    world = build(client, session, privacy="private")
    response = call(client, world, action, auth(session, world.users["outsider"]))
    assert response.status_code == 404
    assert client.get(f"/api/v1/rewards/{world.reward.id}").status_code == 404
    member_view = client.get(
        f"/api/v1/shops/{world.shop.id}/rewards", headers=auth(session, world.users["member"])
    )
    assert member_view.status_code == 200


def test_modular_permissions_widen_and_narrow_roles(client: FlaskClient, session: Session) -> None:
    world = build(client, session)
    other = make_reward(session, world.shop, created_by=world.users["creator"].id)
    editor = make_user(session)
    make_role(session, world.shop, editor, "assistant", permission_settings={"edit_rewards": True})
    cashier = make_user(session)
    make_role(
        session, world.shop, cashier, "assistant", permission_settings={"cancel_redemptions": True}
    )
    reader = make_user(session)
    make_role(session, world.shop, reader, "manager", permission_settings={"edit_rewards": False})
    url = f"/api/v1/rewards/{other.id}"
    assert client.patch(url, json={"cost": 7}, headers=auth(session, editor)).status_code == 200
    assert client.patch(url, json={"cost": 8}, headers=auth(session, reader)).status_code == 403
    cancel = client.post(
        f"/api/v1/redemptions/{world.receipt_id}/cancel",
        json={"reason": "x"},
        headers=auth(session, cashier),
    )
    assert cancel.status_code == 200


def test_the_giver_sees_the_gift_receipt(client: FlaskClient, session: Session) -> None:
    world = build(client, session)
    world.reward.is_giftable = True
    friend = make_user(session)
    gift = client.post(
        f"/api/v1/rewards/{world.reward.id}/redemptions",
        json={"membership_id": world.member.id, "gift_to_user_id": friend.id},
        headers=auth(session, world.users["member"]),
    )
    assert gift.status_code == 201
    url = f"/api/v1/redemptions/{gift.json['id']}"
    assert session.get(Redemption, gift.json["id"]) is not None
    for user in (friend, world.users["member"], world.users["viewer"]):
        assert client.get(url, headers=auth(session, user)).status_code == 200
    assert client.get(url, headers=auth(session, world.users["outsider"])).status_code == 404
