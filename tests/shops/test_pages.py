"""The shop pages: explore, the shop, and the team's shop tools (open, edit, arrange, delete,
stamp a member, receipts with their filters, fulfil and cancel)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership, MembershipStatus
from stampbook.rewards.models import Redemption, Reward
from stampbook.shops.models import Shop
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    log_in,
    post,
    redeem,
    signed_in,
    statement_counts,
    text_of,
)


def shop_pages(cafe: Cafe) -> list[str]:
    """The explore page, the café's page and the team's shop pages (not the member search)."""
    shop = f"/shops/{cafe.shop.id}"
    return [
        "/explore",
        shop,
        f"{shop}/edit",
        f"{shop}/arrange",
        f"{shop}/delete",
        f"{shop}/redemptions",
    ]


def make_receipt(
    session: Session, cafe: Cafe, membership: Membership, reward: Reward
) -> Redemption:
    """A receipt as a redemption leaves it (the points are not taken: the pages only read it)."""
    receipt = Redemption(
        shop_id=cafe.shop.id,
        reward_id=reward.id,
        user_id=membership.user_id,
        paid_by_membership_id=membership.id,
        paid_by_user_id=membership.user_id,
        points_paid=reward.cost,
        reward_content={"id": reward.id, "name": reward.name, "cost": reward.cost},
    )
    session.add(receipt)
    session.flush()
    return receipt


# --- Explore and the shop -------------------------------------------------------------------


def test_explore_and_the_shop_page_still_work(client: FlaskClient, cafe: Cafe) -> None:
    page = text_of(client.get("/explore?q=corner"))
    assert "Corner Café" in page and "Open now" in page
    assert "No shop matches “bakery”." in text_of(client.get("/explore?q=bakery"))
    page = text_of(client.get(f"/shops/{cafe.shop.id}"))
    assert "Coffee card" in page and "Free coffee" in page and "5 left" in page
    assert "Team tools" not in page  # a visitor sees no team tools


def test_explore_finds_public_shops_by_name(client: FlaskClient, cafe: Cafe) -> None:
    page = text_of(client.get("/explore?q=corner"))
    assert "Corner Café" in page and "Coffee and cake" in page
    assert "Corner Café" not in text_of(client.get("/explore?q=bakery"))


def test_shop_page_lists_programs_and_rewards_sorted_filtered_and_slim(
    client: FlaskClient, cafe: Cafe
) -> None:
    page = text_of(client.get(f"/shops/{cafe.shop.id}?sort=-cost"))
    assert "Coffee card" in page
    assert page.index("Cake") < page.index("Free coffee")
    page = text_of(client.get(f"/shops/{cafe.shop.id}?sort=cost"))
    assert page.index("Free coffee") < page.index("Cake")
    slim = text_of(client.get(f"/shops/{cafe.shop.id}?view=slim"))
    assert "Free coffee" in slim and "5 left" not in slim
    assert "5 left" in text_of(client.get(f"/shops/{cafe.shop.id}"))
    odd = client.get(f"/shops/{cafe.shop.id}?sort=sideways")
    assert odd.status_code == 200 and "not understood" in text_of(odd)


def test_shop_page_hides_what_the_visitor_may_not_see(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    hidden = make_shop(session, cafe.owner, name="Secret", privacy_mode="private")
    assert client.get(f"/shops/{hidden.id}").status_code == 404
    assert "Secret" not in text_of(client.get("/explore"))
    assert "Stamp a member" not in text_of(client.get(f"/shops/{cafe.shop.id}"))


def test_the_shop_page_lists_programs_in_the_shop_order(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    tea = make_program(session, cafe.shop, name="Tea card")
    cafe.shop.order_program_ids = [tea.id, cafe.program.id]
    session.flush()
    page = text_of(client.get(f"/shops/{cafe.shop.id}"))
    assert page.index("Tea card") < page.index("Coffee card")
    cafe.shop.order_program_ids = [cafe.program.id]
    session.flush()
    page = text_of(client.get(f"/shops/{cafe.shop.id}"))
    assert page.index("Coffee card") < page.index("Tea card")


def test_the_owner_sees_every_team_tool(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/shops/{cafe.shop.id}"))
    for tool in (
        "Stamp a member",
        "Receipts",
        "Edit the shop",
        "Arrange",
        "Team",
        "Invitations",
        "Merge a shop in",
        "Delete the shop",
        "Members of Coffee card",
    ):
        assert tool in page, tool
    assert "Leave this shop" not in page  # the creator has no role to leave


# --- Open and edit --------------------------------------------------------------------------


def test_a_shop_opens_with_every_field(client: FlaskClient, session: Session) -> None:
    boss = make_user(session, email="boss@example.com", name="Boss")
    log_in(client, boss.email)
    form = text_of(client.get("/shops/new"))
    labels = ("Name", "Summary", "Description", "Address", "Colour", "Icon", "Picture", "Time zone")
    for label in labels:
        assert f">{label}</label>" in form, label
    assert '<datalist id="time_zone-zones">' in form and 'value="Europe/Madrid"' in form
    assert 'list="time_zone-zones"' in form and 'src="/static/zone.js" defer' in form
    response = post(
        client,
        "/shops/new",
        "/shops/new",
        {
            "name": "Gym",
            "summary": "Lift things",
            "description": "A long story",
            "address": "Gym Street 1\r\nTown",
            "color": "#112233",
            "icon": "dumbbell",
            "image_url": "https://example.com/gym.jpg",
            "time_zone": "Europe/Madrid",
            "privacy_mode": "invite",
            "review_points": 3,
        },
    )
    assert response.status_code == 302, text_of(response)
    shop = session.scalars(select(Shop).where(Shop.name == "Gym")).one()
    assert (shop.summary, shop.description, shop.color, shop.icon) == (
        "Lift things",
        "A long story",
        "#112233",
        "dumbbell",
    )
    assert shop.address == "Gym Street 1\nTown"
    assert (shop.image_url, shop.time_zone, shop.privacy_mode, shop.review_points) == (
        "https://example.com/gym.jpg",
        "Europe/Madrid",
        "invite",
        3,
    )
    assert "Your shop Gym is open." in text_of(client.get(response.headers["Location"]))


def test_bad_shop_fields_are_refused_next_to_them(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/edit"
    response = post(
        client,
        page,
        page,
        {
            "name": "Café",
            "time_zone": "Mars/Base",
            "color": "brown",
            "image_url": "ftp://example.com/x",
        },
    )
    assert response.status_code == 422
    text = text_of(response)
    for field in ("time_zone", "color", "image_url"):
        assert re.search(rf'id="{field}-help" class="invalid-feedback', text), field
    assert cafe.shop.name == "Corner Café"


def test_the_shop_is_edited_and_empty_fields_clear(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/edit"
    form = text_of(client.get(page))
    assert 'value="Coffee and cake"' in form and "Delete the shop" in form
    response = post(
        client,
        page,
        page,
        {
            "name": "Café 2",
            "summary": "",
            "time_zone": "UTC",
            "icon": "☕",
            "privacy_mode": "private",
        },
    )
    assert response.status_code == 302
    session.refresh(cafe.shop)
    assert (cafe.shop.name, cafe.shop.summary, cafe.shop.icon, cafe.shop.privacy_mode) == (
        "Café 2",
        None,
        "☕",
        "private",
    )


def test_the_address_is_typed_on_lines_and_shown_on_the_shop_page(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page, shown = f"/shops/{cafe.shop.id}/edit", f"/shops/{cafe.shop.id}"
    assert ">Address</label>" in text_of(client.get(page))
    assert "<address" not in text_of(client.get(shown))
    fields = {"name": "Corner Café", "time_zone": "UTC"}
    # A browser sends a textarea's line ends as CRLF: kept as one newline each, stripped.
    typed = " Calle Mayor 1\r\n28013 Madrid\r\n"
    response = post(client, page, page, {**fields, "address": typed})
    assert response.status_code == 302, text_of(response)
    session.refresh(cafe.shop)
    assert cafe.shop.address == "Calle Mayor 1\n28013 Madrid"
    assert "Calle Mayor 1\n28013 Madrid</textarea>" in text_of(client.get(page))
    address = '<address class="mb-1" style="white-space: pre-line">Calle Mayor 1\n28013 Madrid'
    assert address in text_of(client.get(shown))
    visitor = client.application.test_client()
    assert address in text_of(visitor.get(shown))
    # Too long: refused next to the field, the address kept.
    response = post(client, page, page, {**fields, "address": "x" * 301})
    assert response.status_code == 422
    assert re.search(r'id="address-help" class="invalid-feedback', text_of(response))
    session.refresh(cafe.shop)
    assert cafe.shop.address == "Calle Mayor 1\n28013 Madrid"
    # Spaces alone clear it, as an empty field does.
    response = post(client, page, page, {**fields, "address": " \r\n "})
    assert response.status_code == 302, text_of(response)
    session.refresh(cafe.shop)
    assert cafe.shop.address is None
    assert "<address" not in text_of(client.get(shown))


def test_opening_hours_are_filled_in_kept_and_removed(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/edit"
    assert "Opening hours" in text_of(client.get(page))
    response = post(
        client,
        page,
        page,
        {
            "name": "Corner Café",
            "time_zone": "Europe/Madrid",
            "availability_schedule-0-days": ["0", "1", "2", "3", "4"],
            "availability_schedule-0-time_from": "08:00",
            "availability_schedule-0-time_until": "18:00",
        },
    )
    assert response.status_code == 302, text_of(response)
    session.refresh(cafe.shop)
    assert cafe.shop.availability_schedule == [
        {"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["08:00:00", "18:00:00"]]}
    ]
    form = text_of(client.get(page))
    assert 'name="availability_schedule-0-time_from" type="time" value="08:00"' in form
    response = post(
        client,
        page,
        page,
        {
            "name": "Corner Café",
            "time_zone": "Europe/Madrid",
            "availability_schedule-0-days": ["0"],
            "availability_schedule-0-time_from": "08:00",
            "availability_schedule-0-remove": "y",
        },
    )
    assert response.status_code == 302
    session.refresh(cafe.shop)
    assert cafe.shop.availability_schedule == []


def test_a_bad_opening_hour_is_refused_next_to_its_input(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/edit"
    response = post(
        client,
        page,
        page,
        {
            "name": "Corner Café",
            "time_zone": "UTC",
            "availability_schedule-0-time_from": "25:99",
            "availability_schedule-0-date_from": "2026-05-01",
            "availability_schedule-0-date_until": "2026-04-01",
        },
    )
    assert response.status_code == 422
    text = text_of(response)
    assert re.search(r'id="availability_schedule-0-time_from-help" class="invalid-feedback', text)
    assert cafe.shop.availability_schedule == []


# --- Arrange --------------------------------------------------------------------------------


def test_the_programs_and_rewards_are_arranged_by_place(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    tea = make_program(session, cafe.shop, name="Tea card")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/arrange"
    form = text_of(client.get(page))
    assert "Place of Coffee card" in form and "Place of Cake" in form
    response = post(
        client,
        page,
        page,
        {
            f"program_{cafe.program.id}": 2,
            f"program_{tea.id}": 1,
            f"reward_{cafe.coffee.id}": 5,
            f"reward_{cafe.cake.id}": 1,
        },
    )
    assert response.status_code == 303, text_of(response)
    session.refresh(cafe.shop)
    assert cafe.shop.order_program_ids == [tea.id, cafe.program.id]
    assert cafe.shop.order_reward_ids == [cafe.cake.id, cafe.coffee.id]
    shop_page = text_of(client.get(f"/shops/{cafe.shop.id}"))
    assert shop_page.index("Tea card") < shop_page.index("Coffee card")


def test_a_place_must_be_a_number_from_one(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/arrange"
    response = post(
        client,
        page,
        page,
        {
            f"program_{cafe.program.id}": 0,
            f"reward_{cafe.coffee.id}": "first",
            f"reward_{cafe.cake.id}": 1,
        },
    )
    assert response.status_code == 422
    text = text_of(response)
    assert f'id="program_{cafe.program.id}-error"' in text
    assert f'id="reward_{cafe.coffee.id}-error"' in text


# --- Delete ---------------------------------------------------------------------------------


# --- Stamp a member -------------------------------------------------------------------------


def test_the_team_stamps_a_member_found_by_email(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    search = f"/shops/{cafe.shop.id}/stamp?q=ada@"
    page = text_of(client.get(search))
    assert "Ada Member" in page and "Stamp Ada Member" in page
    response = post(
        client,
        f"/shops/{cafe.shop.id}/stamp",
        search,
        {"membership_id": cafe.membership.id, "task_id": cafe.task.id, "q": "ada@"},
    )
    assert response.status_code == 303
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 15
    assert "No member of this shop matches" in text_of(
        client.get(f"/shops/{cafe.shop.id}/stamp?q=zed")
    )


# --- Receipts -------------------------------------------------------------------------------


# --- Everyone else, escaping, cost ----------------------------------------------------------


def test_the_shop_tools_are_refused_to_members_and_hidden_from_strangers(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    for path in ("edit", "arrange", "delete", "redemptions", "stamp"):
        assert client.get(f"/shops/{cafe.shop.id}/{path}").status_code == 403, path
    hidden = make_shop(session, cafe.owner, name="Secret", privacy_mode="private")
    for path in ("edit", "arrange", "delete", "redemptions"):
        assert client.get(f"/shops/{hidden.id}/{path}").status_code == 404, path
    visitor = client.application.test_client()
    assert visitor.get(f"/shops/{cafe.shop.id}/arrange").status_code == 401


def test_shop_pages_escape_what_people_typed(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    for thing in (cafe.shop, cafe.program, cafe.coffee, cafe.member):
        thing.name = EVIL
    cafe.shop.summary = cafe.shop.description = cafe.shop.icon = cafe.shop.address = EVIL
    give_points(session, cafe.membership, 50)
    session.flush()
    member = signed_in(app, cafe.member)
    redeem(member, cafe.coffee, cafe.membership, quantity=1)
    log_in(client, cafe.owner.email)
    assert_escaped(client, [*shop_pages(cafe), f"/shops/{cafe.shop.id}/stamp?q={EVIL}"])


def test_shop_pages_stay_within_a_handful_of_queries(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    for n in range(12):
        person = make_user(session)
        give_points(session, make_membership(session, cafe.program, person), 500)
        make_reward(session, cafe.shop, name=f"Reward {n}", cost=1)
        make_program(session, cafe.shop, name=f"Program {n}")
        make_task(session, cafe.program, name=f"Task {n}", point_value=1)
        make_membership(session, cafe.program, None, email=f"c{n}@example.com")
    session.execute(
        update(Membership)
        .where(Membership.program_id == cafe.program.id)
        .values(status=MembershipStatus.ACTIVE)
    )
    for membership in session.scalars(
        select(Membership).where(Membership.program_id == cafe.program.id)
    ).all()[:12]:
        if membership.user_id is not None:
            make_receipt(session, cafe, membership, cafe.coffee)
    log_in(client, cafe.owner.email)
    paths = [*shop_pages(cafe), f"/shops/{cafe.shop.id}/stamp?q=user"]
    counts = statement_counts(client, engine, paths)
    assert max(counts.values()) <= PAGE_BUDGET, counts
