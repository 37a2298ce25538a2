"""Rewards through the API: validation, lists, redeeming, receipts, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.ledger import book as ledger
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from stampbook.rewards.models import Favorite, Redemption, Reward, RewardChange
from stampbook.shops.models import Shop
from tests.factories.accounts import auth, make_user
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_shop

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The app's clock, pinned; tests move it by replacing ``clock[0]``."""
    now = [T0]
    monkeypatch.setattr("stampbook.core.clock.now", lambda: now[0])
    return now


@pytest.fixture
def owner(session: Session) -> User:
    return make_user(session)


@pytest.fixture
def shop(session: Session, owner: User) -> Shop:
    return make_shop(session, owner)


def headers_of(session: Session, membership: Membership) -> dict[str, str]:
    user = session.get(User, membership.user_id)
    assert user is not None
    return auth(session, user)


def balanced(client: FlaskClient) -> bool:
    """Every balance equals the sum of its entries (checked in a session of the app's)."""
    with client.application.app_context():
        return find_discrepancies() == []


def count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def redeem(
    client: FlaskClient, session: Session, member: Membership, reward: Reward, **body: Any
) -> Any:
    return client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": member.id, **body},
        headers=headers_of(session, member),
    )


# --- Creating and editing -------------------------------------------------------------------


def test_create_reward(client: FlaskClient, session: Session, owner: User, shop: Shop) -> None:
    body = {
        "name": "Free coffee",
        "cost": 50,
        "quantity": 10,
        "user_limit": 1,
        "expiry_date": "2030-01-01T00:00:00+01:00",
        "schedule_settings": {
            "limit_reset": [{"schedule": {"days_of_week": [0]}, "limit_type": "user"}],
            "quantity_renewal": [
                {"schedule": {"times": ["08:00"]}, "renewal_quantity": 5, "cap": 20}
            ],
            "availability": [{"time_ranges": [["08:00", "20:00"]]}],
        },
    }
    response = client.post(
        f"/api/v1/shops/{shop.id}/rewards", json=body, headers=auth(session, owner)
    )
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["name"], data["cost"], data["quantity"], data["created_by"]) == (
        "Free coffee",
        50,
        10,
        owner.id,
    )
    assert data["expiry_date"] == "2029-12-31T23:00:00Z"
    assert data["schedule_settings"]["quantity_renewal"][0]["cap"] == 20
    assert (data["is_group_reward"], data["can_contribute"], data["is_giftable"]) == (
        False,
        True,
        False,
    )


BAD_NUMBERS = [0, -1, 1.5, 2**63, "10", None, True, float("nan"), float("inf")]


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_bad_costs_are_refused_and_change_nothing(
    client: FlaskClient, session: Session, owner: User, shop: Shop, value: Any
) -> None:
    response = client.post(
        f"/api/v1/shops/{shop.id}/rewards",
        json={"name": "X", "cost": value},
        headers=auth(session, owner),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["cost"]
    assert count(session, Reward) == 0


@pytest.mark.parametrize("field", ["quantity", "membership_id"])
@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_bad_redemption_numbers_are_refused_and_change_nothing(
    client: FlaskClient, session: Session, shop: Shop, field: str, value: Any
) -> None:
    reward = make_reward(session, shop, quantity=5)
    member = make_member(session, shop, 100)
    body = {"membership_id": member.id, field: value}
    response = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions", json=body, headers=headers_of(session, member)
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field
    session.refresh(member)
    session.refresh(reward)
    assert (member.balance, reward.quantity, count(session, Redemption)) == (100, 5, 0)


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_bad_contribution_points_are_refused(
    client: FlaskClient, session: Session, shop: Shop, value: Any
) -> None:
    reward = make_reward(session, shop, cost=100, is_group_reward=True)
    member = make_member(session, shop, 100)
    response = client.post(
        f"/api/v1/rewards/{reward.id}/contributions",
        json={"membership_id": member.id, "points": value},
        headers=headers_of(session, member),
    )
    assert response.status_code == 422
    session.refresh(member)
    assert member.balance == 100


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "cost": 5, "shop_id": 9},
        {"name": "X", "cost": 5, "created_by": 9},
        {"name": "X", "cost": 5, "quantity": -1},
        {"name": "X", "cost": 5, "user_limit": 0},
        {"name": "X", "cost": 5, "is_giftable": "yes"},
        {"name": "X", "cost": 5, "expiry_date": "2030-01-01T00:00:00"},
        {"name": "X", "cost": 5, "schedule_settings": {"limit_reset": [{"schedule": {}}]}},
        {"name": "", "cost": 5},
    ],
)
def test_other_bad_reward_fields(
    client: FlaskClient, session: Session, owner: User, shop: Shop, body: dict[str, Any]
) -> None:
    response = client.post(
        f"/api/v1/shops/{shop.id}/rewards", json=body, headers=auth(session, owner)
    )
    assert response.status_code == 422
    assert count(session, Reward) == 0


def test_patch_records_changes_and_null_rules(
    client: FlaskClient, session: Session, owner: User, shop: Shop, clock: list[datetime]
) -> None:
    reward = make_reward(session, shop, cost=10, quantity=5)
    name = reward.name
    headers = auth(session, owner)
    url = f"/api/v1/rewards/{reward.id}"
    assert client.patch(url, json={"cost": None}, headers=headers).status_code == 422
    assert client.patch(url, json={"cost": 2**63}, headers=headers).status_code == 422
    response = client.patch(url, json={"quantity": None, "name": "New"}, headers=headers)
    assert response.status_code == 200
    assert (response.json["quantity"], response.json["name"]) == (None, "New")
    changes = client.get(f"{url}/changes", headers=headers)
    assert changes.status_code == 200
    assert [(c["field"], c["old_value"], c["new_value"]) for c in changes.json["items"]] == [
        ("quantity", 5, None),
        ("name", name, "New"),
    ]
    assert count(session, RewardChange) == 2


def test_delete_is_soft(client: FlaskClient, session: Session, owner: User, shop: Shop) -> None:
    reward = make_reward(session, shop, cost=10)
    member = make_member(session, shop, 50)
    receipt = redeem(client, session, member, reward)
    assert receipt.status_code == 201
    headers, member_headers = auth(session, owner), headers_of(session, member)
    url = f"/api/v1/rewards/{reward.id}"
    assert client.delete(url, headers=headers).status_code == 204
    gone = [
        client.get(url, headers=headers),
        client.get(url, headers=member_headers),
        client.patch(url, headers=headers, json={"name": "x"}),
        client.delete(url, headers=headers),
        client.put(f"{url}/favorite", headers=member_headers),
        client.delete(f"{url}/favorite", headers=member_headers),
        client.get(f"{url}/changes", headers=headers),
        client.get(f"{url}/redemptions", headers=headers),
        redeem(client, session, member, reward),
        client.post(
            f"{url}/contributions",
            headers=member_headers,
            json={"membership_id": member.id, "amount": 1},
        ),
    ]
    assert [(r.status_code, r.json["code"]) for r in gone] == [(404, "not_found")] * len(gone)
    listed = client.get(f"/api/v1/shops/{shop.id}/rewards", headers=headers).json["items"]
    assert reward.id not in [r["id"] for r in listed]
    # Its receipt keeps the reward as it was, and the entry that paid for it names the receipt.
    kept = client.get(f"/api/v1/redemptions/{receipt.json['id']}", headers=member_headers)
    assert kept.status_code == 200
    assert kept.json["reward_id"] == reward.id
    entries = client.get(f"/api/v1/memberships/{member.id}/entries", headers=member_headers).json[
        "items"
    ]
    assert (entries[0]["cause_type"], entries[0]["cause_id"]) == ("redemption", receipt.json["id"])
    session.refresh(reward)
    assert reward.deleted_at is not None


@pytest.mark.parametrize("path", ["/api/v1/rewards/{}", "/api/v1/redemptions/{}"])
def test_huge_ids_are_just_not_found(
    client: FlaskClient, session: Session, owner: User, path: str
) -> None:
    response = client.get(path.format(2**70), headers=auth(session, owner))
    assert response.status_code == 404


# --- Viewing --------------------------------------------------------------------------------


def test_detail_with_status_favorite_and_last_redeemer_privacy(
    client: FlaskClient, session: Session, shop: Shop, clock: list[datetime]
) -> None:
    reward = make_reward(session, shop, cost=10)
    private = make_member(session, shop, 50)
    public = make_member(
        session, shop, 50, user=make_user(session, privacy_settings={"redemptions": "public"})
    )
    viewer = make_member(session, shop, 5)
    viewer_headers = headers_of(session, viewer)
    url = f"/api/v1/rewards/{reward.id}"

    assert client.put(f"{url}/favorite", headers=viewer_headers).json == {
        "reward_id": reward.id,
        "is_favorite": True,
    }
    data = client.get(url, headers=viewer_headers).json
    assert (data["status"], data["is_favorite"], data["last_redeemed_by"]) == (
        "too_expensive",
        True,
        None,
    )

    assert redeem(client, session, public, reward).status_code == 201
    clock[0] = T0 + timedelta(minutes=1)
    data = client.get(url, headers=viewer_headers).json
    assert data["last_redeemed_by"]["id"] == public.user_id

    assert redeem(client, session, private, reward).status_code == 201
    data = client.get(url, headers=viewer_headers).json
    assert data["last_redeemed_by"] is None  # private by default
    assert data["last_redeemed_at"] == "2024-05-01T12:01:00Z"
    own = client.get(url, headers=headers_of(session, private)).json
    assert own["last_redeemed_by"]["id"] == private.user_id
    anonymous = client.get(url).json
    assert (anonymous["status"], anonymous["is_favorite"]) == ("too_expensive", False)


def test_favorites_are_idempotent(client: FlaskClient, session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop)
    user = make_user(session)
    headers = auth(session, user)
    url = f"/api/v1/rewards/{reward.id}/favorite"
    assert client.put(url, headers=headers).status_code == 200
    assert client.put(url, headers=headers).status_code == 200
    assert count(session, Favorite) == 1
    assert client.delete(url, headers=headers).status_code == 204
    assert client.delete(url, headers=headers).status_code == 204
    assert count(session, Favorite) == 0
    assert client.put(url).status_code == 401


def test_unavailable_detail_says_when_it_opens(
    client: FlaskClient, session: Session, shop: Shop, clock: list[datetime]
) -> None:
    reward = make_reward(
        session, shop, schedule_settings={"availability": [{"time_ranges": [["13:00", "14:00"]]}]}
    )
    data = client.get(f"/api/v1/rewards/{reward.id}").json
    assert (data["status"], data["available_again_at"]) == ("unavailable", "2024-05-01T13:00:00Z")


# --- The shop's list ------------------------------------------------------------------------


@pytest.fixture
def catalogue(session: Session, shop: Shop) -> dict[str, Reward]:
    """One reward per status (as seen with 50 points), and a favourite."""
    return {
        "expired": make_reward(session, shop, name="e", cost=5, expiry_date=T0),
        "cheap": make_reward(session, shop, name="c", cost=20, created_at=T0),
        "dear": make_reward(session, shop, name="d", cost=99),
        "empty": make_reward(session, shop, name="b", cost=1, quantity=0),
        "also_cheap": make_reward(session, shop, name="a", cost=20),
        "closed": make_reward(
            session,
            shop,
            name="f",
            cost=7,
            schedule_settings={"availability": [{"dates": ["2030-01-01"]}]},
        ),
        "starred": make_reward(session, shop, name="s", cost=500),
    }


def list_ids(
    client: FlaskClient, shop: Shop, headers: dict[str, str], query: str = ""
) -> list[int]:
    response = client.get(f"/api/v1/shops/{shop.id}/rewards{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_list_default_order_and_filters(
    client: FlaskClient,
    session: Session,
    shop: Shop,
    catalogue: dict[str, Reward],
    clock: list[datetime],
) -> None:
    member = make_member(session, shop, 50)
    session.add(Favorite(user_id=member.user_id, reward_id=catalogue["starred"].id))
    headers = headers_of(session, member)
    r = {name: reward.id for name, reward in catalogue.items()}
    assert list_ids(client, shop, headers) == [
        r["starred"],
        r["cheap"],
        r["also_cheap"],
        r["dear"],
        r["closed"],
        r["expired"],
        r["empty"],
    ]
    # The shop's own order breaks ties within a group.
    shop.order_reward_ids = [r["also_cheap"], r["empty"]]
    session.flush()
    ordered = list_ids(client, shop, headers)
    assert ordered[1:3] == [r["also_cheap"], r["cheap"]]
    assert ordered[-2:] == [r["empty"], r["expired"]]
    assert set(list_ids(client, shop, headers, "?hide_expired=true")) == set(r.values()) - {
        r["expired"]
    }
    assert set(list_ids(client, shop, headers, "?hide_unavailable=true")) == set(r.values()) - {
        r["closed"],
        r["empty"],
    }
    items = client.get(f"/api/v1/shops/{shop.id}/rewards", headers=headers).json["items"]
    status = {item["id"]: (item["status"], item["is_favorite"]) for item in items}
    assert status[r["starred"]] == ("too_expensive", True)
    assert status[r["empty"]] == ("out_of_stock", False)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("cost", ["empty", "expired", "closed", "cheap", "also_cheap", "dear", "starred"]),
        ("-cost", ["starred", "dear", "cheap", "also_cheap", "closed", "expired", "empty"]),
        ("name", ["also_cheap", "empty", "cheap", "dear", "expired", "closed", "starred"]),
    ],
)
def test_list_sorts(
    client: FlaskClient,
    session: Session,
    shop: Shop,
    catalogue: dict[str, Reward],
    clock: list[datetime],
    sort: str,
    expected: list[str],
) -> None:
    ids = list_ids(client, shop, {}, f"?sort={sort}")
    assert ids == [catalogue[name].id for name in expected]


def test_list_newest_slim_and_bad_queries(
    client: FlaskClient, session: Session, shop: Shop, clock: list[datetime]
) -> None:
    old = make_reward(session, shop, created_at=T0 - timedelta(days=2))
    new = make_reward(session, shop, created_at=T0 - timedelta(days=1))
    assert list_ids(client, shop, {}, "?sort=newest") == [new.id, old.id]
    slim = client.get(f"/api/v1/shops/{shop.id}/rewards?view=slim").json["items"]
    assert {tuple(sorted(item)) for item in slim} == {("cost", "id", "name", "status")}
    for query in ("?sort=price", "?view=fat", "?program_id=0", "?program_id=x", "?limit=3"):
        assert client.get(f"/api/v1/shops/{shop.id}/rewards{query}").status_code == 422


def test_program_id_decides_whose_balance_counts(
    client: FlaskClient, session: Session, shop: Shop, clock: list[datetime]
) -> None:
    reward = make_reward(session, shop, cost=30)
    rich = make_member(session, shop, 40)
    user = session.get(User, rich.user_id)
    poor = make_member(session, shop, 10, user=user)
    headers = headers_of(session, rich)

    def status(query: str) -> str:
        items = client.get(f"/api/v1/shops/{shop.id}/rewards{query}", headers=headers).json
        return str(items["items"][0]["status"])

    assert status("") == "redeemable"
    assert status(f"?program_id={poor.program_id}") == "too_expensive"
    assert status(f"?program_id={rich.program_id}") == "redeemable"
    assert reward.id


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_list_costs_a_fixed_number_of_queries(
    client: FlaskClient,
    session: Session,
    owner: User,
    clock: list[datetime],
    statements: list[str],
) -> None:
    def queries_for(rewards: int) -> int:
        shop = make_shop(session, owner)
        member = make_member(session, shop, 50)
        daily = {"limit_reset": [{"schedule": {"times": ["00:00"]}, "limit_type": "both"}]}
        for n in range(rewards):
            reward = make_reward(
                session,
                shop,
                cost=10 + n,
                user_limit=3,
                group_limit=10,
                quantity=5,
                is_group_reward=n % 3 == 0,
                schedule_settings=daily if n % 2 else {},
            )
            session.add(Favorite(user_id=member.user_id, reward_id=reward.id))
            if n % 2:
                redeem(client, session, member, reward)
        headers = headers_of(session, member)
        statements.clear()
        response = client.get(f"/api/v1/shops/{shop.id}/rewards", headers=headers)
        assert response.status_code == 200
        assert len(response.json["items"]) == rewards
        return len(statements)

    few, many = queries_for(2), queries_for(15)
    assert few == many <= 10


# --- Redeeming ------------------------------------------------------------------------------


def test_redeem_codes_through_the_api(
    client: FlaskClient, session: Session, shop: Shop, clock: list[datetime]
) -> None:
    reward = make_reward(
        session,
        shop,
        cost=10,
        user_limit=1,
        schedule_settings={
            "limit_reset": [{"schedule": {"times": ["00:00"]}, "limit_type": "user"}]
        },
    )
    member = make_member(session, shop, 25)
    first = redeem(client, session, member, reward)
    assert first.status_code == 201
    assert first.json["reward_content"]["cost"] == 10
    second = redeem(client, session, member, reward)
    assert second.status_code == 409
    assert second.content_type == "application/problem+json"
    assert (second.json["code"], second.json["limit"], second.json["resets_at"]) == (
        "limit_reached",
        "user",
        "2024-05-02T00:00:00+00:00",
    )
    clock[0] = T0 + timedelta(days=1)
    assert redeem(client, session, member, reward).status_code == 201
    clock[0] = T0 + timedelta(days=2)
    poor = redeem(client, session, member, reward)
    assert (poor.status_code, poor.json["code"], poor.json["needed"]) == (
        409,
        "insufficient_points",
        10,
    )
    session.refresh(member)
    assert member.balance == 5
    assert balanced(client)


def test_memberships_that_cannot_pay(client: FlaskClient, session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop)
    member = make_member(session, shop, 100)
    user = session.get(User, member.user_id)
    stranger = make_member(session, shop, 100)
    elsewhere = make_member(session, make_shop(session, make_user(session)), 100, user=user)
    left = make_member(session, shop, 100, user=user, status="left")
    headers = headers_of(session, member)
    url = f"/api/v1/rewards/{reward.id}/redemptions"

    def status(membership_id: int) -> int:
        return client.post(url, json={"membership_id": membership_id}, headers=headers).status_code

    assert status(stranger.id) == 404  # someone else's: not even there
    assert status(2**62) == 404
    assert status(elsewhere.id) == 403  # mine, but another shop's
    assert status(left.id) == 403  # mine, but no longer active
    assert count(session, Redemption) == 0


def test_same_idempotency_key_has_one_effect(
    client: FlaskClient, session: Session, shop: Shop
) -> None:
    reward = make_reward(session, shop, cost=10, quantity=5)
    member = make_member(session, shop, 100)
    headers = {**headers_of(session, member), "Idempotency-Key": "redeem-1"}
    url = f"/api/v1/rewards/{reward.id}/redemptions"
    first = client.post(url, json={"membership_id": member.id}, headers=headers)
    again = client.post(url, json={"membership_id": member.id}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(url, json={"membership_id": member.id, "quantity": 2}, headers=headers)
    assert (other.status_code, other.json["code"]) == (422, "idempotency_key_reused")
    session.refresh(member)
    session.refresh(reward)
    assert (member.balance, reward.quantity, count(session, Redemption)) == (90, 4, 1)


def test_gift_through_the_api(client: FlaskClient, session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, cost=10, is_giftable=True)
    giver = make_member(session, shop, 10)
    friend = make_user(session)
    response = redeem(client, session, giver, reward, gift_to_user_id=friend.id)
    assert response.status_code == 201
    receipt_id = response.json["id"]
    assert (response.json["user_id"], response.json["gifted_by_user_id"]) == (
        friend.id,
        giver.user_id,
    )
    mine = client.get("/api/v1/redemptions", headers=auth(session, friend)).json["items"]
    assert [r["id"] for r in mine] == [receipt_id]
    assert client.get(f"/api/v1/redemptions/{receipt_id}", headers=headers_of(session, giver))
    assert client.get("/api/v1/redemptions", headers=headers_of(session, giver)).json["items"] == []


# --- Receipts -------------------------------------------------------------------------------


def test_receipts_by_shop_time_and_page(
    client: FlaskClient, session: Session, owner: User, shop: Shop, clock: list[datetime]
) -> None:
    other_shop = make_shop(session, owner)
    here, there = make_reward(session, shop, cost=1), make_reward(session, other_shop, cost=1)
    member = make_member(session, shop, 100)
    user = session.get(User, member.user_id)
    member_there = make_member(session, other_shop, 100, user=user)
    ids = []
    for day in range(4):
        clock[0] = T0 + timedelta(days=day)
        ids.append(redeem(client, session, member, here).json["id"])
        ids.append(redeem(client, session, member_there, there).json["id"])
    headers = headers_of(session, member)

    def receipt_ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/redemptions{query}", headers=headers)
        assert response.status_code == 200
        return [r["id"] for r in response.json["items"]]

    assert receipt_ids("") == ids[::-1]
    assert receipt_ids(f"?shop_id={shop.id}") == ids[::2][::-1]
    window = "?since=2024-05-02T12:00:00Z&until=2024-05-03T12:00:00Z"
    assert receipt_ids(window.replace("Z", "%2B00:00")) == ids[2:4][::-1]
    page = client.get("/api/v1/redemptions?limit=3", headers=headers).json
    assert len(page["items"]) == 3
    rest = client.get(f"/api/v1/redemptions?cursor={page['next_cursor']}", headers=headers).json
    assert [r["id"] for r in page["items"] + rest["items"]] == ids[::-1]
    assert client.get("/api/v1/redemptions?since=yesterday", headers=headers).status_code == 422
    assert client.get("/api/v1/redemptions").status_code == 401

    team = auth(session, owner)
    shop_list = client.get(f"/api/v1/shops/{shop.id}/redemptions", headers=team).json
    assert [r["id"] for r in shop_list["items"]] == ids[::2][::-1]
    by_reward = client.get(f"/api/v1/rewards/{here.id}/redemptions", headers=team).json
    assert [r["id"] for r in by_reward["items"]] == ids[::2][::-1]


def test_receipt_is_hidden_from_others(
    client: FlaskClient, session: Session, owner: User, shop: Shop
) -> None:
    reward = make_reward(session, shop)
    member = make_member(session, shop, 100)
    receipt_id = redeem(client, session, member, reward).json["id"]
    url = f"/api/v1/redemptions/{receipt_id}"
    assert client.get(url, headers=headers_of(session, member)).status_code == 200
    assert client.get(url, headers=auth(session, owner)).status_code == 200
    assert client.get(url, headers=auth(session, make_user(session))).status_code == 404
    assert client.get(url).status_code == 401


def test_cancel_and_fulfil_through_the_api(
    client: FlaskClient, session: Session, owner: User, shop: Shop
) -> None:
    reward = make_reward(session, shop, cost=10, quantity=2)
    member = make_member(session, shop, 30)
    first = redeem(client, session, member, reward).json["id"]
    second = redeem(client, session, member, reward).json["id"]
    team = auth(session, owner)
    fulfilled = client.post(f"/api/v1/redemptions/{first}/fulfil", headers=team)
    assert (fulfilled.status_code, fulfilled.json["status"]) == (200, "fulfilled")
    url = f"/api/v1/redemptions/{second}/cancel"
    assert client.post(url, json={}, headers=team).status_code == 422
    cancelled = client.post(url, json={"reason": "Sold out"}, headers=team)
    assert (cancelled.status_code, cancelled.json["status"], cancelled.json["cancel_reason"]) == (
        200,
        "cancelled",
        "Sold out",
    )
    again = client.post(url, json={"reason": "Sold out"}, headers=team)
    assert (again.status_code, again.json["code"]) == (409, "already_cancelled")
    session.refresh(member)
    session.refresh(reward)
    assert (member.balance, reward.quantity) == (20, 1)
    assert balanced(client)


# --- Group rewards --------------------------------------------------------------------------


def test_contributions_through_the_api(client: FlaskClient, session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, cost=50, is_group_reward=True)
    ann, bob = make_member(session, shop, 40), make_member(session, shop, 40)
    url = f"/api/v1/rewards/{reward.id}/contributions"
    first = client.post(
        url, json={"membership_id": ann.id, "points": 30}, headers=headers_of(session, ann)
    )
    assert first.status_code == 201
    assert (first.json["completed"], first.json["group_progress"], first.json["redemption"]) == (
        False,
        30,
        None,
    )
    last = client.post(
        url, json={"membership_id": bob.id, "points": 40}, headers=headers_of(session, bob)
    )
    assert last.status_code == 201
    assert (last.json["contribution"]["points"], last.json["completed"]) == (20, True)
    assert last.json["redemption"]["points_paid"] == 20
    assert client.get(f"/api/v1/rewards/{reward.id}").json["group_progress"] == 0


def test_an_expired_pot_is_refunded_when_the_reward_is_next_read(
    client: FlaskClient, session: Session, shop: Shop, clock: list[datetime]
) -> None:
    reward = make_reward(
        session, shop, cost=100, is_group_reward=True, expiry_date=T0 + timedelta(hours=1)
    )
    ann = make_member(session, shop, 100)
    url = f"/api/v1/rewards/{reward.id}/contributions"
    body = {"membership_id": ann.id, "points": 30}
    assert client.post(url, json=body, headers=headers_of(session, ann)).status_code == 201
    session.refresh(ann)
    assert ann.balance == 70
    clock[0] = T0 + timedelta(hours=2)
    assert client.get(f"/api/v1/rewards/{reward.id}").json["status"] == "expired"
    session.refresh(ann)
    session.refresh(reward)
    assert (ann.balance, reward.group_progress) == (100, 0)
    assert client.get(f"/api/v1/rewards/{reward.id}").status_code == 200
    session.refresh(ann)
    assert ann.balance == 100
    assert balanced(client)


def test_a_refused_contribution_still_settles_the_expired_pot(
    client: FlaskClient, session: Session, shop: Shop, clock: list[datetime]
) -> None:
    reward = make_reward(
        session, shop, cost=100, is_group_reward=True, expiry_date=T0 + timedelta(hours=1)
    )
    ann = make_member(session, shop, 100)
    url = f"/api/v1/rewards/{reward.id}/contributions"
    body = {"membership_id": ann.id, "points": 30}
    assert client.post(url, json=body, headers=headers_of(session, ann)).status_code == 201
    clock[0] = T0 + timedelta(hours=2)
    refused = client.post(url, json=body, headers=headers_of(session, ann))
    assert (refused.status_code, refused.json["code"]) == (409, "reward_expired")
    session.refresh(ann)
    assert ann.balance == 100


@pytest.mark.parametrize("when", ["before_debit", "after_debit"])
def test_a_failure_midway_leaves_nothing_behind(
    client: FlaskClient,
    session: Session,
    shop: Shop,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    reward = make_reward(session, shop, cost=10, quantity=3)
    member = make_member(session, shop, 50)
    original = ledger.post

    def failing_post(**kwargs: Any) -> Any:
        if when == "after_debit":
            original(**kwargs)
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr("stampbook.rewards.redeeming.ledger.post", failing_post)
    response = redeem(client, session, member, reward)
    assert (response.status_code, response.json["code"]) == (500, "internal_error")
    session.refresh(member)
    session.refresh(reward)
    assert (member.balance, reward.quantity, count(session, Redemption)) == (50, 3, 0)
    assert balanced(client)
