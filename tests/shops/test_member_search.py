"""Finding a shop's members by the start of their name or email, for its stamping team."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.shops.models import ShopRoleType
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_role, make_shop


@pytest.fixture
def shop_world(session: Session):
    owner = make_user(session)
    shop = make_shop(session, owner)
    card, club = make_program(session, shop), make_program(session, shop)
    ada = make_user(session, name="Ada Lovelace", email="ada@example.com")
    adam = make_user(session, name="Adam Smith", email="smith@example.com")
    grace = make_user(session, name="Grace Hopper", email="grace@navy.example")
    make_membership(session, card, ada)
    make_membership(session, club, adam)
    make_membership(session, card, grace)
    make_membership(session, card, None, email="adele@example.com")
    elsewhere = make_program(session, make_shop(session, make_user(session)))
    make_membership(session, elsewhere, make_user(session, name="Adrian Elsewhere"))
    return shop, owner


def search(client: FlaskClient, shop_id: int, headers: dict[str, str], q: str):
    return client.get(f"/api/v1/shops/{shop_id}/members?q={q}", headers=headers)


def test_finds_by_name_or_email_prefix_in_this_shop_only(
    client: FlaskClient, session: Session, shop_world
) -> None:
    shop, owner = shop_world
    headers = auth(session, owner)
    names = [m["name"] or m["email"] for m in search(client, shop.id, headers, "ad").json["items"]]
    assert names == ["Ada Lovelace", "Adam Smith", "adele@example.com"]
    by_email = search(client, shop.id, headers, "GRACE@").json["items"]
    assert [m["name"] for m in by_email] == ["Grace Hopper"]
    assert by_email[0]["email"] == "grace@navy.example"


def test_finds_a_store_customer_by_its_id(
    client: FlaskClient, session: Session, shop_world
) -> None:
    shop, owner = shop_world
    card = make_program(session, shop)
    make_membership(session, card, None, external_id="shopify-7001")
    found = search(client, shop.id, auth(session, owner), "shopify-7001").json["items"]
    assert [(m["external_id"], m["user_id"]) for m in found] == [("shopify-7001", None)]
    assert search(client, shop.id, auth(session, owner), "shopify-70").json["items"] == []


def test_wildcards_are_literal(client: FlaskClient, session: Session, shop_world) -> None:
    shop, owner = shop_world
    assert search(client, shop.id, auth(session, owner), "%").json["items"] == []
    assert search(client, shop.id, auth(session, owner), "_da").json["items"] == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (ShopRoleType.MANAGER, 200),
        (ShopRoleType.ASSISTANT, 200),
        (ShopRoleType.VIEWER, 403),
    ],
)
def test_only_the_stamping_team_searches(
    client: FlaskClient, session: Session, shop_world, role: str, status: int
) -> None:
    shop, _owner = shop_world
    member = make_user(session)
    make_role(session, shop, member, role)
    assert search(client, shop.id, auth(session, member), "ad").status_code == status


def test_members_and_strangers_are_refused(
    client: FlaskClient, session: Session, shop_world
) -> None:
    shop, _owner = shop_world
    stranger = make_user(session)
    assert search(client, shop.id, auth(session, stranger), "ad").status_code == 403
    assert search(client, shop.id, {}, "ad").status_code == 401


@pytest.mark.parametrize("q", ["", "x" * 101])
def test_bad_queries(client: FlaskClient, session: Session, shop_world, q: str) -> None:
    shop, owner = shop_world
    assert search(client, shop.id, auth(session, owner), q).status_code == 422


def names_found(client: FlaskClient, shop_id: int, headers: dict[str, str], q: str) -> list[str]:
    return [m["name"] or m["email"] for m in search(client, shop_id, headers, q).json["items"]]


def test_the_search_follows_a_rename_through_the_api(
    client: FlaskClient, session: Session, shop_world
) -> None:
    shop, owner = shop_world
    ada = make_user(session, name="Zelda Fitzgerald", email="fitz@example.com")
    make_membership(session, make_program(session, shop), ada)
    response = client.patch(
        "/api/v1/users/me", json={"name": "Yvonne Z"}, headers=auth(session, ada)
    )
    assert response.status_code == 200, response.json
    headers = auth(session, owner)
    assert names_found(client, shop.id, headers, "zel") == []
    assert names_found(client, shop.id, headers, "yvo") == ["Yvonne Z"]
    assert names_found(client, shop.id, headers, "fitz@") == ["Yvonne Z"]


def test_the_search_keys_follow_every_change_whatever_code_makes_it(
    client: FlaskClient, session: Session, shop_world
) -> None:
    shop, owner = shop_world
    program = make_program(session, shop)
    customer = make_membership(session, program, None, email="walkin@example.com")
    headers = auth(session, owner)
    assert names_found(client, shop.id, headers, "walk") == ["walkin@example.com"]
    # The customer claims the membership: the user's name and email are found from now on.
    claimer = make_user(session, name="Quentin Blake", email="quentin@example.com")
    customer.user_id = claimer.id
    session.flush()
    assert names_found(client, shop.id, headers, "quen") == ["Quentin Blake"]
    claimer.email = "qb@example.com"
    session.flush()
    assert names_found(client, shop.id, headers, "qb@") == ["Quentin Blake"]
    assert names_found(client, shop.id, headers, "quentin@") == []


@pytest.mark.parametrize(
    ("stored", "typed"),
    [("Zoé Café", "zoe cafe"), ("Zoe Cafe", "ZOÉ CAFÉ"), ("ÉLODIE Ñúñez", "elodie nunez")],
)
def test_the_search_ignores_accents_and_case_both_ways(
    client: FlaskClient, session: Session, shop_world, stored: str, typed: str
) -> None:
    shop, owner = shop_world
    make_membership(session, make_program(session, shop), make_user(session, name=stored))
    assert names_found(client, shop.id, auth(session, owner), typed) == [stored]


def test_an_accented_rename_is_found_without_its_accents(
    client: FlaskClient, session: Session, shop_world
) -> None:
    shop, owner = shop_world
    zoe = make_user(session, name="Zoe Plain")
    make_membership(session, make_program(session, shop), zoe)
    zoe.name = "Zoë Ümlaut"
    session.flush()
    headers = auth(session, owner)
    assert names_found(client, shop.id, headers, "zoe um") == ["Zoë Ümlaut"]
    assert names_found(client, shop.id, headers, "zoe pl") == []
