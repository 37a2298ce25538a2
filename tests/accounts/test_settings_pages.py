"""My settings: profile, privacy, ordering, stars, email, deleting the account; the home
page's waiting messages and requests; the navigation's badges."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stampbook.rewards.models import Favorite
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.people import make_message
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    SETTINGS_PAGES,
    Cafe,
    assert_escaped,
    field_error,
    log_in,
    post,
    statement_counts,
    text_of,
)

# --- Profile ----------------------------------------------------------------------------------


def test_edit_my_profile(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account"))
    assert 'value="Ada Member"' in page and 'list="time_zone-zones"' in page
    assert re.search(r'<input [^>]*id="time_zone"[^>]*value="UTC"', page)
    bad = post(client, "/account", "/account", {"name": "Ada", "color": "red"})
    assert bad.status_code == 422
    assert field_error(text_of(bad), "Write the colour as #rrggbb, e.g. #6f4e37.")
    unknown_zone = post(client, "/account", "/account", {"name": "Ada", "time_zone": "Mars/Base"})
    assert unknown_zone.status_code == 422
    done = post(
        client,
        "/account",
        "/account",
        {
            "name": "Ada Lovelace",
            "summary": "Coffee first",
            "description": "Line one\nLine two",
            "color": "#3366cc",
            "icon": "☕",
            "time_zone": "Europe/Madrid",
        },
    )
    assert done.status_code == 303
    session.refresh(cafe.member)
    assert (cafe.member.name, cafe.member.time_zone, cafe.member.color) == (
        "Ada Lovelace",
        "Europe/Madrid",
        "#3366cc",
    )
    mine = text_of(client.get(f"/users/{cafe.member.id}"))
    assert "Coffee first" in mine and "Line one<br>Line two" in mine
    emptied = {"name": "Ada", "summary": "", "color": "", "icon": "", "time_zone": "UTC"}
    cleared = post(client, "/account", "/account", emptied)
    assert cleared.status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.summary is None and cafe.member.color is None
    assert post(client, "/account", "/account", {"name": "  "}).status_code == 422


def test_settings_pages_link_to_each_other_and_to_the_password_page(
    client: FlaskClient, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account/password"))
    assert 'aria-current="page"' in page and "Change my password" in page
    for link in ("/account", "/account/privacy", "/account/order", "/account/stars"):
        assert f'href="{link}"' in page
    assert 'href="/account/email"' in page and 'href="/account/delete"' in page


# --- Privacy ----------------------------------------------------------------------------------


def test_privacy_per_section_changes_what_others_see(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account/privacy"))
    assert '<option selected value="members">' in page  # memberships' default
    chosen = {
        "page": "public",
        "buddies": "friends",
        "shops": "public",
        "memberships": "public",
        "task_history": "private",
        "redemptions": "private",
        "favorites": "private",
        "messages": "friends",
    }
    assert post(client, "/account/privacy", "/account/privacy", chosen).status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.privacy_settings["memberships"] == "public"
    assert cafe.member.privacy_settings["messages"] == "friends"
    assert "Coffee card" in text_of(app.test_client().get(f"/users/{cafe.member.id}"))
    odd = post(client, "/account/privacy", "/account/privacy", {**chosen, "page": "everyone"})
    assert odd.status_code == 422 and "Not a valid choice" in text_of(odd)
    hidden = post(client, "/account/privacy", "/account/privacy", {**chosen, "page": "private"})
    assert hidden.status_code == 303
    assert app.test_client().get(f"/users/{cafe.member.id}").status_code == 404


# --- Ordering ---------------------------------------------------------------------------------


def test_order_my_shops_and_tasks(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    bakery = make_shop(session, cafe.owner, name="Bakery")
    make_membership(session, make_program(session, bakery), cafe.member)
    second = make_task(session, cafe.program, name="Bring a friend")
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account/order"))
    assert "Bakery" in page and "Corner Café" in page and "Tasks of Coffee card" in page
    assert page.index("Bakery") < page.index("Corner Café")  # by name, until ordered
    bad = post(client, "/account/order", "/account/order", {f"shop_{bakery.id}": "0"})
    assert bad.status_code == 422
    data = {
        f"shop_{cafe.shop.id}": "1",
        f"shop_{bakery.id}": "2",
        f"task_{second.id}": "1",
        f"task_{cafe.task.id}": "2",
    }
    assert post(client, "/account/order", "/account/order", data).status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.order_settings == {
        "shop_ids": [cafe.shop.id, bakery.id],
        "program_task_ids": {str(cafe.program.id): [second.id, cafe.task.id]},
    }
    page = text_of(client.get("/account/order"))
    assert page.index("Corner Café") < page.index("Bakery")
    assert page.index("Bring a friend") < page.index("Buy a coffee")


def test_nothing_to_order_says_so(client: FlaskClient, session: Session) -> None:
    loner = make_user(session, email="loner@example.com")
    log_in(client, loner.email)
    assert "nothing to order" in text_of(client.get("/account/order"))


# --- Stars ------------------------------------------------------------------------------------


def test_star_a_shop_and_unstar_a_reward(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    session.add(Favorite(user_id=cafe.member.id, reward_id=cafe.cake.id))
    session.flush()
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account/stars"))
    assert "Corner Café" in page and "Cake" in page and "500 points" in page
    starred = post(client, "/account/stars", "/account/stars", {"shop_id": cafe.shop.id})
    assert starred.status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.starred_shop_id == cafe.shop.id
    assert "My starred shop" in text_of(client.get("/"))
    foreign = make_shop(session, cafe.owner, name="Secret", privacy_mode="private")
    refused = post(client, "/account/stars", "/account/stars", {"shop_id": foreign.id})
    assert refused.status_code == 422  # not among the choices
    assert post(client, "/account/stars", "/account/stars", {"shop_id": 0}).status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.starred_shop_id is None
    removed = post(client, f"/account/stars/rewards/{cafe.cake.id}/remove", "/account/stars", {})
    assert removed.status_code == 303
    assert session.scalars(select(Favorite)).all() == []


def test_a_starred_shop_i_am_not_in_stays_a_choice(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    elsewhere = make_shop(session, cafe.owner, name="Elsewhere")
    cafe.member.starred_shop_id = elsewhere.id
    session.flush()
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account/stars"))
    assert f'<option selected value="{elsewhere.id}">Elsewhere</option>' in page


# --- Email ------------------------------------------------------------------------------------


def test_change_my_email_with_my_password(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    page = "/account/email"
    wrong = post(client, page, page, {"email": "ada@new.example.com", "password": "not it"})
    assert wrong.status_code == 401
    assert field_error(text_of(wrong), "The current password is wrong.")
    taken = post(client, page, page, {"email": cafe.owner.email, "password": PASSWORD})
    assert taken.status_code == 409
    assert field_error(text_of(taken), "An account with this email exists.")
    invalid = post(client, page, page, {"email": "nope", "password": PASSWORD})
    assert invalid.status_code == 422
    done = post(client, page, page, {"email": "Ada@New.example.com", "password": PASSWORD})
    assert done.status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.email == "ada@new.example.com"
    assert "ada@new.example.com" in text_of(client.get(page))


# --- Password ---------------------------------------------------------------------------------


def test_password_change(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    page = "/account/password"
    wrong = post(
        client,
        page,
        page,
        {"old_password": "not it at all", "new_password": "0123456789", "confirm": "0123456789"},
    )
    assert wrong.status_code == 401 and "The current password is wrong." in text_of(wrong)
    differ = post(
        client,
        page,
        page,
        {"old_password": "x", "new_password": "0123456789", "confirm": "9876543210"},
    )
    assert "The two passwords differ." in text_of(differ)
    from tests.factories.accounts import PASSWORD

    done = post(
        client,
        page,
        page,
        {"old_password": PASSWORD, "new_password": "a brand new one", "confirm": "a brand new one"},
    )
    assert done.status_code == 302
    assert "Ada Member" in text_of(client.get("/"))  # this session survives


# --- Deleting my account ----------------------------------------------------------------------


# --- Home and navigation ----------------------------------------------------------------------


def test_login_and_signup_show_their_errors_next_to_the_field(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    bad = log_in(client, cafe.member.email, "wrong password!")
    assert bad.status_code == 401
    assert field_error(text_of(bad), "The email or password is wrong.")
    token_page = "/register"
    taken = post(
        client,
        token_page,
        token_page,
        {"name": "Ada", "email": cafe.member.email, "password": "0123456789"},
    )
    assert taken.status_code == 409
    assert field_error(text_of(taken), "An account with this email exists.")
    short = post(
        client, token_page, token_page, {"name": "Ada", "email": "x@y.org", "password": "1"}
    )
    assert short.status_code == 422
    assert field_error(text_of(short), "Use at least 10 characters (1024 at most).")


# --- Signed out, escaping, cost ---------------------------------------------------------------


def test_settings_are_for_signed_in_people(client: FlaskClient) -> None:
    for path in SETTINGS_PAGES:
        assert client.get(path).status_code == 401, path


def test_user_content_is_escaped_on_the_settings_pages(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    for thing in (cafe.member, cafe.shop, cafe.program, cafe.task, cafe.cake):
        thing.name = EVIL
    session.add(Favorite(user_id=cafe.member.id, reward_id=cafe.cake.id))
    session.flush()
    log_in(client, cafe.member.email)
    assert_escaped(
        client, ("/", "/account", "/account/order", "/account/stars", f"/users/{cafe.member.id}")
    )


def test_settings_pages_stay_within_a_handful_of_queries(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    for n in range(12):
        shop = make_shop(session, cafe.owner, name=f"Shop {n}")
        program = make_program(session, shop)
        make_membership(session, program, cafe.member)
        make_task(session, program, name=f"Task {n}")
        reward = make_reward(session, shop, name=f"Reward {n}", cost=n + 1)
        session.add(Favorite(user_id=cafe.member.id, reward_id=reward.id))
        make_message(session, cafe.owner, cafe.member, f"Hi {n}")
    session.flush()
    log_in(client, cafe.member.email)
    counts = statement_counts(client, engine, ("/", *SETTINGS_PAGES))
    assert max(counts.values()) <= PAGE_BUDGET, counts
