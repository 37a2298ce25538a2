"""A shop's API key as a bearer token: it acts as its maker, in its shop only and within its
scopes, on the routes that take keys; it is refused at once when revoked or when its maker
no longer runs the shop; its last use is recorded at most once a minute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.apikeys.models import ApiKey
from stampbook.core.db import utcnow
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Role, Shop
from tests.factories.accounts import make_user
from tests.factories.apikeys import bearer, make_api_key
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.webhooks.conftest import Clock


@dataclass
class Shops:
    """The key's shop, and another shop run by the same person (public, with a public
    program): the key's maker could act there, the key may not."""

    maker: User
    shop: Shop
    program: Program
    membership: Membership
    reward: Reward
    other_shop: Shop
    other_program: Program
    other_membership: Membership
    other_reward: Reward


@pytest.fixture
def shops(session: Session) -> Shops:
    maker = make_user(session)
    shop, other = make_shop(session, maker), make_shop(session, maker)
    program, other_program = make_program(session, shop), make_program(session, other)
    membership = make_membership(session, program, make_user(session), external_id="C-1")
    give_points(session, membership, 20)
    other_membership = make_membership(session, other_program, make_user(session))
    give_points(session, other_membership, 20)
    return Shops(
        maker=maker,
        shop=shop,
        program=program,
        membership=membership,
        reward=make_reward(session, shop, cost=5),
        other_shop=other,
        other_program=other_program,
        other_membership=other_membership,
        other_reward=make_reward(session, other, cost=5),
    )


def test_a_write_key_does_what_a_stores_server_needs_in_its_shop(
    client: FlaskClient, session: Session, shops: Shops
) -> None:
    secret, _key = make_api_key(session, shops.shop, scopes=["write"])
    headers = bearer(secret)
    program = client.get(f"/api/v1/programs/{shops.program.id}", headers=headers)
    assert program.status_code == 200, program.json
    listed = client.get(f"/api/v1/shops/{shops.shop.id}/programs", headers=headers)
    assert [p["id"] for p in listed.json["items"]] == [shops.program.id]
    found = client.get(
        f"/api/v1/programs/{shops.program.id}/memberships",
        query_string={"external_id": "C-1"},
        headers=headers,
    )
    assert [(m["id"], m["balance"]) for m in found.json["items"]] == [(shops.membership.id, 20)]
    one = client.get(f"/api/v1/memberships/{shops.membership.id}", headers=headers)
    assert (one.status_code, one.json["external_id"]) == (200, "C-1")
    rewards = client.get(f"/api/v1/shops/{shops.shop.id}/rewards", headers=headers)
    assert rewards.status_code == 200, rewards.json
    assert client.get(f"/api/v1/rewards/{shops.reward.id}", headers=headers).status_code == 200

    added = client.post(
        f"/api/v1/programs/{shops.program.id}/memberships",
        json={"external_id": "C-2"},
        headers=headers,
    )
    assert added.status_code == 201, added.json
    adjusting = {**headers, "Idempotency-Key": "refund-77"}
    path = f"/api/v1/memberships/{added.json['id']}/adjustments"
    for _ in range(2):  # retried with its key: one effect
        adjusted = client.post(path, json={"amount": 15, "note": "Welcome"}, headers=adjusting)
        assert adjusted.status_code == 201, adjusted.json
    entries = client.get(f"/api/v1/memberships/{added.json['id']}/entries", headers=headers)
    assert [e["amount"] for e in entries.json["items"]] == [15]


def test_a_key_is_confined_to_its_shop(client: FlaskClient, session: Session, shops: Shops) -> None:
    """The maker runs the other shop too, and its program and rewards are public: still 404."""
    secret, _key = make_api_key(session, shops.shop, scopes=["write"])
    headers = bearer(secret)
    for path in (
        f"/api/v1/programs/{shops.other_program.id}",
        f"/api/v1/programs/{shops.other_program.id}/memberships",
        f"/api/v1/memberships/{shops.other_membership.id}",
        f"/api/v1/memberships/{shops.other_membership.id}/entries",
        f"/api/v1/rewards/{shops.other_reward.id}",
        f"/api/v1/shops/{shops.other_shop.id}/rewards",
        f"/api/v1/shops/{shops.other_shop.id}/programs",
    ):
        response = client.get(path, headers=headers)
        assert (response.status_code, response.json["code"]) == (404, "not_found"), path
    writes = [
        (f"/api/v1/programs/{shops.other_program.id}/memberships", {"external_id": "X"}),
        (f"/api/v1/programs/{shops.other_program.id}/memberships", {"external_id": 5}),
        (
            f"/api/v1/memberships/{shops.other_membership.id}/adjustments",
            {"amount": 9, "note": "x"},
        ),
        (f"/api/v1/memberships/{shops.other_membership.id}/adjustments", {"amount": "many"}),
    ]
    for path, body in writes:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 404, (path, body, response.json)
    session.refresh(shops.other_membership)
    assert shops.other_membership.balance == 20
    # The maker's own token reaches the other shop: the key, not the person, is confined.
    from tests.factories.accounts import auth

    mine = client.get(
        f"/api/v1/memberships/{shops.other_membership.id}", headers=auth(session, shops.maker)
    )
    assert mine.status_code == 200


def test_a_read_key_is_refused_on_writes(
    client: FlaskClient, session: Session, shops: Shops
) -> None:
    secret, _key = make_api_key(session, shops.shop, scopes=["read"])
    headers = bearer(secret)
    assert client.get(f"/api/v1/programs/{shops.program.id}", headers=headers).status_code == 200
    for path, body in (
        (f"/api/v1/programs/{shops.program.id}/memberships", {"external_id": "C-9"}),
        (f"/api/v1/memberships/{shops.membership.id}/adjustments", {"amount": 5, "note": "x"}),
    ):
        refused = client.post(path, json=body, headers=headers)
        assert (refused.status_code, refused.json["code"]) == (403, "api_key_scope")
        assert refused.json["detail"] == "This API key may not do this: it needs the “write” scope."
    session.refresh(shops.membership)
    assert shops.membership.balance == 20


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/users/me", None),
        ("PATCH", "/api/v1/users/me", {"name": "Key"}),
        ("POST", "/api/v1/shops", {"name": "Made by a key"}),
        ("GET", "/api/v1/shops", None),  # public, but no store's server needs it
        ("DELETE", "/api/v1/tokens/current", None),
        ("GET", "/api/v1/memberships", None),
        ("GET", "/api/v1/redemptions", None),
        ("DELETE", "/api/v1/shops/{shop}", None),
        ("PATCH", "/api/v1/programs/{program}", {"name": "Renamed"}),
    ],
)
def test_a_key_is_refused_on_routes_that_do_not_take_keys(
    client: FlaskClient, session: Session, shops: Shops, method: str, path: str, body: object
) -> None:
    secret, _key = make_api_key(session, shops.shop, scopes=["write"])
    url = path.format(shop=shops.shop.id, program=shops.program.id)
    refused = client.open(url, method=method, json=body, headers=bearer(secret))
    assert (refused.status_code, refused.json["code"]) == (403, "api_key_not_allowed")
    session.refresh(shops.shop)
    assert shops.shop.deleted_at is None


def test_a_revoked_key_is_refused_at_once(
    client: FlaskClient, session: Session, shops: Shops
) -> None:
    from tests.factories.accounts import auth

    secret, key = make_api_key(session, shops.shop)
    path = f"/api/v1/programs/{shops.program.id}"
    assert client.get(path, headers=bearer(secret)).status_code == 200
    revoked = client.delete(f"/api/v1/api-keys/{key.id}", headers=auth(session, shops.maker))
    assert revoked.status_code == 204
    refused = client.get(path, headers=bearer(secret))
    assert (refused.status_code, refused.json["code"]) == (401, "invalid_token")


@pytest.mark.parametrize("change", ["removed", "demoted", "deleted account", "deleted shop"])
def test_a_key_dies_with_its_makers_place_in_the_shop(
    client: FlaskClient, session: Session, shops: Shops, change: str
) -> None:
    manager = make_user(session)
    role = make_role(session, shops.shop, manager, "manager")
    secret, _key = make_api_key(session, shops.shop, manager)
    path = f"/api/v1/programs/{shops.program.id}"
    assert client.get(path, headers=bearer(secret)).status_code == 200
    if change == "removed":
        session.execute(delete(Role).where(Role.id == role.id))
    elif change == "demoted":
        session.execute(update(Role).where(Role.id == role.id).values(role_type="assistant"))
    elif change == "deleted account":
        session.execute(update(User).where(User.id == manager.id).values(deleted_at=utcnow()))
    else:
        session.execute(update(Shop).where(Shop.id == shops.shop.id).values(deleted_at=utcnow()))
    session.flush()
    refused = client.get(path, headers=bearer(secret))
    assert (refused.status_code, refused.json["code"]) == (401, "invalid_token")


@pytest.mark.parametrize(
    "secret",
    ["sk_unknown", "sk_" + "x" * 200, "sk_", "SK_abc"],
    ids=["unknown", "long", "bare", "case"],
)
def test_an_unknown_key_is_a_bad_token(client: FlaskClient, secret: str) -> None:
    refused = client.get("/api/v1/shops", headers=bearer(secret))
    assert (refused.status_code, refused.json["code"]) == (401, "invalid_token")


def test_the_last_use_is_recorded_at_most_once_a_minute(
    client: FlaskClient,
    session: Session,
    shops: Shops,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(utcnow().replace(microsecond=0))
    monkeypatch.setattr("stampbook.core.clock.now", clock.now)
    secret, key = make_api_key(session, shops.shop, scopes=["read"])
    path = f"/api/v1/programs/{shops.program.id}"

    def last_used() -> object:
        session.expire(key)
        return session.get(ApiKey, key.id).last_used_at  # type: ignore[union-attr]

    first = clock.moment
    assert client.get(path, headers=bearer(secret)).status_code == 200
    assert last_used() == first
    clock.advance(timedelta(seconds=30))
    assert client.get(path, headers=bearer(secret)).status_code == 200
    assert last_used() == first  # fresh: nothing written
    clock.advance(timedelta(seconds=31))
    # A refused call used the key too.
    refused = client.post(path + "/memberships", json={}, headers=bearer(secret))
    assert refused.status_code == 403
    assert last_used() == first + timedelta(seconds=61)


def test_pages_never_take_keys(
    app: Flask, client: FlaskClient, session: Session, shops: Shops
) -> None:
    secret, key = make_api_key(session, shops.shop)
    page = client.get(f"/shops/{shops.shop.id}/api-keys", headers=bearer(secret))
    assert page.status_code in {302, 303, 401}
    assert "/login" in page.headers.get("Location", "/login")
    session.expire(key)
    assert session.get(ApiKey, key.id).last_used_at is None  # type: ignore[union-attr]
