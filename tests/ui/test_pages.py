"""The member's and the team's pages, driven through the test client (no browser)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Redemption, RedemptionStatus, Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership
from tests.factories.rewards import make_reward
from tests.factories.tasks import make_task
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    error_next_to,
    log_in,
    post,
    redeem,
    signed_in,
    statement_counts,
    text_of,
)

# --- Visitors and members -------------------------------------------------------------------


def test_a_member_joins_stamps_sees_the_breakdown_and_redeems(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    newcomer = make_user(session, email="new@example.com", name="Newcomer")
    log_in(client, newcomer.email)
    program_page = f"/programs/{cafe.program.id}"
    assert "Join Coffee card" in text_of(client.get(program_page))
    assert post(client, f"{program_page}/join", program_page, {}).status_code == 303
    page = text_of(client.get(program_page))
    assert "My balance" in page and "twice every three days" in page

    membership = session.scalars(select(Membership).where(Membership.user_id == newcomer.id)).one()
    response = post(
        client,
        f"/tasks/{cafe.task.id}/stamp",
        program_page,
        {"membership_id": membership.id, "quantity": 1},
    )
    assert response.status_code == 303
    page = text_of(client.get(program_page))
    assert "Stamped “Buy a coffee”: +15 points (the stamp 10, first stamp bonus 5)." in page
    assert "15 points" in page  # the balance

    reward_page = f"/rewards/{cafe.coffee.id}"
    response = post(
        client,
        f"/rewards/{cafe.coffee.id}/redeem",
        reward_page,
        {"membership_id": membership.id, "quantity": 1},
    )
    assert response.status_code == 303
    receipt = text_of(client.get(response.headers["Location"]))
    assert "Free coffee" in receipt and "Points paid" in receipt and ">12 points<" in receipt
    home = text_of(client.get("/"))
    assert "3 points" in home and "redemption" in home and "stamp" in home
    with app.app_context():
        assert find_discrepancies() == []


# --- The shop team --------------------------------------------------------------------------


def test_a_manager_creates_a_shop_program_task_and_reward(
    client: FlaskClient, session: Session
) -> None:
    boss = make_user(session, email="boss@example.com", name="Boss")
    log_in(client, boss.email)
    bad = post(client, "/shops/new", "/shops/new", {"name": "Gym", "time_zone": "Mars/Base"})
    assert bad.status_code == 422
    assert error_next_to(text_of(bad), "time_zone", "Choose a time zone from the list")
    response = post(
        client, "/shops/new", "/shops/new", {"name": "Gym", "time_zone": "Europe/Madrid"}
    )
    assert response.status_code == 302
    shop = session.scalars(select(Shop).where(Shop.name == "Gym")).one()
    assert shop.time_zone == "Europe/Madrid"

    page = f"/shops/{shop.id}/programs/new"
    response = post(client, page, page, {"name": "Workouts", "stamp_system_type": "stampers"})
    assert response.status_code == 302
    program = session.scalars(select(Program).where(Program.shop_id == shop.id)).one()

    page = f"/programs/{program.id}/tasks/new"
    refused = post(
        client,
        page,
        page,
        {"name": "Run", "point_value": 5, "allows_partial": "y"},
    )
    assert refused.status_code == 422
    assert "point_value_partial" in text_of(refused) or "partial" in text_of(refused)
    response = post(
        client,
        page,
        page,
        {
            "name": "Run",
            "point_value": 5,
            "frequency_quantity": 1,
            "frequency_span": 1,
            "frequency_unit": "day",
            "streaks-0-length": 3,
            "streaks-0-period": "day",
            "streaks-0-points": 4,
            "deadline": "2099-12-31T18:00",
        },
    )
    assert response.status_code == 302, text_of(response)
    task = session.scalars(select(Task).where(Task.program_id == program.id)).one()
    assert task.frequency_settings == {"quantity": 1, "time_unit_quantity": 1, "time_unit": "day"}
    assert task.bonus_values["streaks"][0]["points"] == 4
    assert task.deadline is not None and task.deadline.hour == 18  # the viewer's zone: UTC

    page = f"/shops/{shop.id}/rewards/new"
    response = post(client, page, page, {"name": "Towel", "cost": 30, "quantity": 3})
    assert response.status_code == 302
    reward = session.scalars(select(Reward).where(Reward.shop_id == shop.id)).one()
    assert (reward.cost, reward.quantity) == (30, 3)

    page = f"/programs/{program.id}/edit"
    response = post(
        client, page, page, {"name": "Workouts 2", "stamp_system_type": "self", "summary": ""}
    )
    session.refresh(program)
    assert response.status_code == 302 and program.name == "Workouts 2"
    page = f"/shops/{shop.id}/edit"
    response = post(client, page, page, {"name": "Gym 2", "time_zone": "UTC"})
    session.refresh(shop)
    assert response.status_code == 302 and shop.name == "Gym 2"


def test_the_team_stamps_a_member_found_by_name_and_cancels_a_receipt(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 20)
    log_in(client, cafe.owner.email)
    search = f"/shops/{cafe.shop.id}/stamp?q=ada"
    page = text_of(client.get(search))
    assert "Ada Member" in page and "Buy a coffee" in page
    response = post(
        client,
        f"/shops/{cafe.shop.id}/stamp",
        search,
        {"membership_id": cafe.membership.id, "task_id": cafe.task.id, "quantity": 1, "q": "ada"},
    )
    assert response.status_code == 303
    assert "Stamped: +15 points" in text_of(client.get(response.headers["Location"]))
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 35

    member = signed_in(app, cafe.member)
    redeem(member, cafe.coffee, cafe.membership, quantity=1)
    redemption = session.scalars(select(Redemption)).one()
    listing = f"/shops/{cafe.shop.id}/redemptions"
    assert "Ada Member" in text_of(client.get(listing))
    response = post(
        client,
        f"/receipts/{redemption.id}/cancel?next={listing}",
        listing,
        {"reason": "Machine broken"},
    )
    assert response.status_code == 303 and response.headers["Location"] == listing
    session.refresh(redemption)
    session.refresh(cafe.membership)
    assert redemption.status == RedemptionStatus.CANCELLED and cafe.membership.balance == 35
    assert "Machine broken" in text_of(client.get(listing + "?status=cancelled"))


def test_team_pages_are_refused_to_members(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    for path in (
        f"/shops/{cafe.shop.id}/stamp",
        f"/shops/{cafe.shop.id}/redemptions",
        f"/shops/{cafe.shop.id}/edit",
        f"/shops/{cafe.shop.id}/programs/new",
        f"/shops/{cafe.shop.id}/rewards/new",
        f"/programs/{cafe.program.id}/edit",
        f"/programs/{cafe.program.id}/tasks/new",
    ):
        assert client.get(path).status_code == 403, path


def test_open_redirects_are_refused(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    response = post(
        client,
        "/receipts/999999/cancel?next=//evil.example.com/",
        "/",
        {"reason": "x"},
    )
    assert response.status_code == 303
    assert "evil" not in response.headers["Location"]


def test_signed_out_visitors_are_sent_to_log_in(client: FlaskClient, cafe: Cafe) -> None:
    assert client.get("/receipts").status_code == 401
    assert "</a> to join." in text_of(client.get(f"/programs/{cafe.program.id}"))


# --- Security across every page -------------------------------------------------------------


def page_posts(app: Flask) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ())
        and not rule.rule.startswith("/api/")
        # The one-click unsubscribe: mail clients post it with no form (its signed token is
        # the proof), so it alone is exempt from CSRF (tests/notifications/test_email.py).
        and rule.endpoint not in ("static", "unsubscribe_pages.confirm_unsubscribe")
    )


def test_every_page_form_refuses_a_post_without_its_csrf_token(
    app: Flask, client: FlaskClient, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    posts = page_posts(app)
    assert len(posts) >= 14
    for rule in posts:
        path = re.sub(r"<int:[a-z_]+>", "1", rule)
        response = client.post(path, data={"name": "x", "reason": "x", "membership_id": "1"})
        assert response.status_code == 400, rule
        assert "This form has expired" in text_of(response), rule


def test_user_content_is_escaped_on_every_page(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    for thing in (cafe.shop, cafe.program, cafe.task, cafe.coffee, cafe.member):
        thing.name = EVIL
    cafe.shop.summary = cafe.coffee.summary = EVIL
    give_points(session, cafe.membership, 50)
    session.flush()
    log_in(client, cafe.owner.email)
    assert_escaped(
        client,
        (
            "/explore",
            f"/shops/{cafe.shop.id}",
            f"/programs/{cafe.program.id}",
            f"/tasks/{cafe.task.id}",
            f"/rewards/{cafe.coffee.id}",
            f"/shops/{cafe.shop.id}/stamp?q=ada",
            f"/shops/{cafe.shop.id}/redemptions",
            "/",
        ),
    )


# --- Cost: a handful of queries per page, however big the shop -----------------------------


def test_pages_stay_within_a_handful_of_queries(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    for n in range(15):
        person = make_user(session)
        give_points(session, make_membership(session, cafe.program, person), n + 1)
        make_reward(session, cafe.shop, name=f"Reward {n}", cost=n + 1)
        make_task(session, cafe.program, name=f"Task {n}", point_value=1)
    log_in(client, cafe.member.email)
    # Measured: home 4, explore 3, shop 8, program 11, task 10, reward 9.
    paths = [
        "/",
        "/explore",
        f"/shops/{cafe.shop.id}",
        f"/programs/{cafe.program.id}",
        f"/tasks/{cafe.task.id}",
        f"/rewards/{cafe.coffee.id}",
        "/receipts",
    ]
    counts = statement_counts(client, engine, paths)
    assert max(counts.values()) <= PAGE_BUDGET, counts


def test_mangled_query_strings_never_break_a_page(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    for path in (
        "/receipts?cursor=%%%&shop_id=abc&since=2020-01-01",
        "/explore?cursor=!!&q=" + "x" * 500,
        f"/shops/{cafe.shop.id}?program_id=-1&view=wide",
        f"/shops/{cafe.shop.id}/stamp?q=" + "%" * 300,
    ):
        assert client.get(path).status_code < 500, path
