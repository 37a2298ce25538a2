"""Deleting from the pages: a shop (said what happens first, the creator only) and
my account (after saying what happens)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.shops.models import Shop
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.ledger import give_points
from tests.factories.people import make_buddies
from tests.factories.shops import make_role
from tests.pages import (
    Cafe,
    field_error,
    log_in,
    post,
    text_of,
)

# --- My account -------------------------------------------------------------------------------


def test_delete_my_account_after_saying_what_happens(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    make_buddies(session, cafe.member, cafe.owner)
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account/delete"))
    assert (
        "cannot be undone" in page and "Deleted user" in page and "you leave every program" in page
    )
    unticked = post(client, "/account/delete", "/account/delete", {"password": PASSWORD})
    assert unticked.status_code == 422
    assert field_error(text_of(unticked), "Tick this box to confirm.")
    wrong = post(
        client, "/account/delete", "/account/delete", {"password": "not it", "confirm": "y"}
    )
    assert wrong.status_code == 401
    session.refresh(cafe.member)
    assert cafe.member.deleted_at is None
    done = post(
        client, "/account/delete", "/account/delete", {"password": PASSWORD, "confirm": "y"}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert "Your account is deleted" in text_of(client.get("/"))
    assert client.get("/account").status_code == 401  # signed out
    session.refresh(cafe.member)
    session.refresh(cafe.membership)
    assert cafe.member.deleted_at is not None and cafe.member.name == "Deleted user"
    assert cafe.membership.status == "left"
    assert app.test_client().get(f"/users/{cafe.member.id}").status_code == 404


# --- A shop -----------------------------------------------------------------------------------


def test_deleting_says_what_happens_then_archives(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 40)
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/delete"
    confirm = text_of(client.get(page))
    assert re.search(r"Running programs</dt><dd[^>]*>1<", confirm)
    assert re.search(r"Their active members</dt><dd[^>]*>2<", confirm)
    assert re.search(r"Points they hold, all kept</dt><dd[^>]*>40<", confirm)
    assert "Delete Corner Café for good" in confirm
    assert session.get(Shop, cafe.shop.id).deleted_at is None  # type: ignore[union-attr]
    response = post(client, page, page, {})
    assert response.status_code == 303
    session.refresh(cafe.shop)
    session.refresh(cafe.program)
    assert cafe.shop.deleted_at is not None and cafe.program.archived_at is not None
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 40
    assert client.get(f"/shops/{cafe.shop.id}").status_code == 404


def test_only_the_creator_deletes(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    manager = make_user(session, email="manager@example.com")
    make_role(session, cafe.shop, manager, "manager")
    log_in(client, manager.email)
    page = f"/shops/{cafe.shop.id}/delete"
    assert client.get(page).status_code == 403
    assert post(client, page, f"/shops/{cafe.shop.id}", {}).status_code == 403
    assert "Delete the shop" not in text_of(client.get(f"/shops/{cafe.shop.id}"))
    assert cafe.shop.deleted_at is None
