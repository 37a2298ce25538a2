"""Shops through the API: create, read, list, edit, delete; validation and privacy."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.rewards.models import Reward
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_invitation, make_shop


def create(client: FlaskClient, headers: dict[str, str], **fields: Any):
    return client.post("/api/v1/shops", headers=headers, json={"name": "Corner Café", **fields})


def test_create_and_read_a_shop(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    headers = auth(session, user)
    response = create(
        client,
        headers,
        summary="Coffee",
        color="#6f4e37",
        time_zone="Europe/Madrid",
        privacy_mode="invite",
        image_url="https://example.com/cafe.jpg",
        availability_schedule=[{"days_of_week": [0, 1, 2, 3, 4, 5, 6]}],
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["created_by"] == user.id
    assert body["my_role"] == "creator"
    assert body["is_open_now"] is True
    assert body["availability_schedule"][0]["days_of_week"] == [0, 1, 2, 3, 4, 5, 6]
    again = client.get(f"/api/v1/shops/{body['id']}", headers=headers)
    assert again.status_code == 200
    assert again.json == body


def test_a_closed_schedule_says_closed(client: FlaskClient, session: Session) -> None:
    headers = auth(session, make_user(session))
    past = [{"date_ranges": [["2001-01-01", "2001-01-02"]]}]
    response = create(client, headers, availability_schedule=past)
    assert response.status_code == 201
    assert response.json["is_open_now"] is False


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"color": "red"}, "color"),
        ({"color": "#12345"}, "color"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "utc+2"}, "time_zone"),
        ({"availability_schedule": [{"months_of_year": [13]}]}, "availability_schedule.0"),
        ({"availability_schedule": [{"time_ranges": [["09:00", "09:00"]]}]}, "availability"),
        ({"availability_schedule": [{"rrule": "FREQ=HOURLY"}]}, "availability_schedule.0"),
        ({"availability_schedule": [{"weekdays": [1]}]}, "availability_schedule.0"),
        ({"availability_schedule": {"days_of_week": [1]}}, "availability_schedule"),
        ({"privacy_mode": "secret"}, "privacy_mode"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_create_refuses_bad_fields(
    client: FlaskClient, session: Session, fields: dict[str, Any], bad_field: str
) -> None:
    response = create(client, auth(session, make_user(session)), **fields)
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"
    assert all(e["field"].startswith(bad_field) for e in response.json["errors"])


@pytest.mark.parametrize(
    "field", ["created_by", "id", "deleted_at", "merged_into_id", "balance", "shop_id"]
)
def test_patch_refuses_mass_assignment(client: FlaskClient, session: Session, field: str) -> None:
    owner, other = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    response = client.patch(
        f"/api/v1/shops/{shop.id}", headers=auth(session, owner), json={field: other.id}
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == field
    session.refresh(shop)
    assert shop.created_by == owner.id


def test_patch_edits_and_refuses_emptying_required_fields(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    headers = auth(session, owner)
    url = f"/api/v1/shops/{shop.id}"
    response = client.patch(url, headers=headers, json={"summary": "New", "color": "#112233"})
    assert response.status_code == 200
    assert (response.json["summary"], response.json["color"]) == ("New", "#112233")
    cleared = client.patch(url, headers=headers, json={"summary": None})
    assert cleared.status_code == 200
    assert cleared.json["summary"] is None
    for field in ("name", "time_zone", "privacy_mode"):
        refused = client.patch(url, headers=headers, json={field: None})
        assert refused.status_code == 422, field


def test_the_address_is_set_edited_and_cleared(client: FlaskClient, session: Session) -> None:
    headers = auth(session, make_user(session))
    created = create(client, headers, address="  Calle Mayor 1\n28013 Madrid\nSpain \n")
    assert created.status_code == 201, created.json
    assert created.json["address"] == "Calle Mayor 1\n28013 Madrid\nSpain"  # stripped
    url = f"/api/v1/shops/{created.json['id']}"
    assert client.get(url, headers=headers).json["address"] == created.json["address"]
    edited = client.patch(url, headers=headers, json={"address": "Plaza 2\r\n08001 Barcelona"})
    assert edited.status_code == 200, edited.json
    assert edited.json["address"] == "Plaza 2\r\n08001 Barcelona"
    kept = client.patch(url, headers=headers, json={"summary": "Coffee"})
    assert kept.json["address"] == "Plaza 2\r\n08001 Barcelona"  # not sent: unchanged
    cleared = client.patch(url, headers=headers, json={"address": None})
    assert cleared.status_code == 200
    assert cleared.json["address"] is None
    assert create(client, headers).json["address"] is None


@pytest.mark.parametrize(
    "address",
    ["", " ", " \n\t\u00a0\n", "x" * 301, " " * 300 + "x", 12, ["Calle Mayor 1"]],
)
def test_a_blank_or_too_long_address_is_refused(
    client: FlaskClient, session: Session, address: Any
) -> None:
    owner = make_user(session)
    headers = auth(session, owner)
    shop = make_shop(session, owner, address="Calle Mayor 1")
    for response in (
        create(client, headers, address=address),
        client.patch(f"/api/v1/shops/{shop.id}", headers=headers, json={"address": address}),
    ):
        assert response.status_code == 422, response.json
        assert response.json["code"] == "validation_failed"
        assert [e["field"] for e in response.json["errors"]] == ["address"]
    session.refresh(shop)
    assert shop.address == "Calle Mayor 1"


def test_an_address_of_300_characters_is_kept(client: FlaskClient, session: Session) -> None:
    address = "\n".join(["x" * 99] * 3) + "!"  # three lines, newlines counted: 300
    fits = create(client, auth(session, make_user(session)), address=address)
    assert fits.status_code == 201, fits.json
    assert fits.json["address"] == address
    # The limit is on what is sent: a trailing newline makes it 301, stripped or not.
    longer = create(client, auth(session, make_user(session)), address=address + "\n")
    assert longer.status_code == 422


def test_order_ids_must_belong_to_the_shop(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    shop, elsewhere = make_shop(session, owner), make_shop(session, owner)
    first, second = make_program(session, shop), make_program(session, shop)
    foreign = make_program(session, elsewhere)
    reward = Reward(shop_id=shop.id, name="Cake", cost=10)
    other_reward = Reward(shop_id=elsewhere.id, name="Tea", cost=5)
    session.add_all([reward, other_reward])
    session.flush()
    headers, url = auth(session, owner), f"/api/v1/shops/{shop.id}"

    ok = client.patch(
        url,
        headers=headers,
        json={"order_program_ids": [second.id, first.id], "order_reward_ids": [reward.id]},
    )
    assert ok.status_code == 200
    assert ok.json["order_program_ids"] == [second.id, first.id]
    assert ok.json["order_reward_ids"] == [reward.id]

    for body, field in [
        ({"order_program_ids": [first.id, first.id]}, "order_program_ids"),
        ({"order_reward_ids": ["1"]}, "order_reward_ids"),
    ]:
        response = client.patch(url, headers=headers, json=body)
        assert response.status_code == 422, body
        assert response.json["errors"][0]["field"].startswith(field)
    # Well-formed ids of things of another shop: not found here (the schema cannot know).
    for body, field in [
        ({"order_program_ids": [first.id, foreign.id]}, "order_program_ids"),
        ({"order_reward_ids": [other_reward.id]}, "order_reward_ids"),
    ]:
        response = client.patch(url, headers=headers, json=body)
        assert response.status_code == 404, body
        assert response.json["detail"].startswith(field)


def test_list_shows_public_shops_and_mine_only(client: FlaskClient, session: Session) -> None:
    owner, member, invited, stranger = (make_user(session) for _ in range(4))
    public = make_shop(session, owner, privacy_mode="public")
    private = make_shop(session, owner, privacy_mode="private")
    invite = make_shop(session, owner, privacy_mode="invite")
    deleted = make_shop(session, owner)
    deleted.deleted_at = deleted.created_at
    make_membership(session, make_program(session, private), member)
    make_invitation(session, invite, user=invited)

    def listed(user: Any) -> set[int]:
        headers = auth(session, user) if user else {}
        response = client.get("/api/v1/shops?limit=200", headers=headers)
        assert response.status_code == 200
        return {item["id"] for item in response.json["items"]} & {
            public.id,
            private.id,
            invite.id,
            deleted.id,
        }

    assert listed(owner) == {public.id, private.id, invite.id}
    assert listed(member) == {public.id, private.id}
    assert listed(invited) == {public.id, invite.id}
    assert listed(stranger) == {public.id}
    assert listed(None) == {public.id}


def test_list_searches_names_and_paginates(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    made = [make_shop(session, owner, name=f"Zebra 100% {n}") for n in range(5)]
    make_shop(session, owner, name="Other")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "/api/v1/shops?q=zebra%20100%25&limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(query)
        assert response.status_code == 200
        seen += [item["id"] for item in response.json["items"]]
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == [shop.id for shop in reversed(made)]
    assert pages == 3
    # "%" is a literal, not a wildcard.
    assert client.get("/api/v1/shops?q=zebra%25").json["items"] == []


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "cursor=not-a-cursor!", "q=" + "x" * 101]
)
def test_list_refuses_bad_queries(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/v1/shops?{query}")
    assert response.status_code == 422


def test_invisible_shops_answer_404(client: FlaskClient, session: Session) -> None:
    owner, stranger = make_user(session), make_user(session)
    for privacy in ("private", "invite"):
        shop = make_shop(session, owner, privacy_mode=privacy)
        for headers in ({}, auth(session, stranger)):
            assert client.get(f"/api/v1/shops/{shop.id}", headers=headers).status_code == 404
        patch = client.patch(
            f"/api/v1/shops/{shop.id}", headers=auth(session, stranger), json={"name": "Mine"}
        )
        assert patch.status_code == 404
    assert client.get("/api/v1/shops/999999").status_code == 404


@pytest.mark.parametrize(
    ("stored", "typed"),
    [("Café Luna", "cafe luna"), ("Cafe Sol", "CAFÉ sol"), ("ÑOÑO Bäckerei", "nono backerei")],
)
def test_shop_search_ignores_accents_and_case_both_ways(
    client: FlaskClient, session: Session, stored: str, typed: str
) -> None:
    owner = make_user(session)
    wanted = make_shop(session, owner, name=stored)
    make_shop(session, owner, name="Other")
    found = client.get("/api/v1/shops", query_string={"q": typed}).json["items"]
    assert [item["id"] for item in found] == [wanted.id]


def test_a_renamed_shop_is_found_by_its_new_name_without_accents(
    client: FlaskClient, session: Session
) -> None:
    shop = make_shop(session, make_user(session), name="Plain Name")
    shop.name = "Pâtisserie Élan"
    session.flush()
    assert [s["id"] for s in client.get("/api/v1/shops?q=patisserie elan").json["items"]] == [
        shop.id
    ]
    assert client.get("/api/v1/shops?q=plain").json["items"] == []
