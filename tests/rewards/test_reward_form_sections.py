"""The reward form a person can fill: the essentials first, the advanced settings folded into
sections that open on demand, several schedules added before saving."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.rewards.models import Reward
from tests.factories.rewards import make_reward
from tests.pages import Cafe, log_in, post, text_of
from tests.tasks.test_task_form_sections import folded_part, sections

FOLDS = (
    "Limits and expiry",
    "Group rewards and gifts",
    "When it can be redeemed",
    "When the limits start afresh",
    "Stock renewals",
    "Description and looks",
)


def test_the_essentials_come_first_and_the_rest_is_folded(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/shops/{cafe.shop.id}/rewards/new"))
    first_fold = page.index("<details")
    for essential in ('name="name"', 'name="summary"', 'name="cost"', 'name="quantity"'):
        assert page.index(essential) < first_fold, essential
    folded = sections(page)
    assert [folded[summary] for summary in FOLDS] == [False] * len(FOLDS)
    assert 'name="limit_reset-0-times"' in folded_part(page, "When the limits start afresh")
    assert "For experts: an RFC 5545 rule" in folded_part(page, "Stock renewals")


def test_sections_holding_a_setting_are_open_on_the_edit_page(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    reward = make_reward(
        session,
        cafe.shop,
        name="Lunch",
        cost=40,
        user_limit=1,
        schedule_settings={"availability": [{"days_of_week": [0, 1, 2, 3, 4]}]},
    )
    log_in(client, cafe.owner.email)
    folded = sections(text_of(client.get(f"/rewards/{reward.id}/edit")))
    assert folded["Limits and expiry"] and folded["When it can be redeemed"]
    assert not folded["Stock renewals"] and not folded["Group rewards and gifts"]


def test_two_schedules_are_added_before_saving(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/shops/{cafe.shop.id}/rewards/new"
    typed = {
        "name": "Lunch",
        "cost": 40,
        "availability-0-days": ["0", "1"],
        "availability-0-time_from": "12:00",
        "availability-0-time_until": "15:00",
        "limit_reset-0-limit_type": "both",
        "quantity_renewal-0-unit": "week",
    }
    first = post(client, new, new, {**typed, "more": "availability"})
    assert first.status_code == 200
    page = text_of(first)
    assert 'name="availability-1-time_from"' in page
    assert 'name="availability-2-time_from"' not in page
    assert 'name="availability-0-time_until" type="time" value="15:00"' in page  # kept
    assert 'value="Lunch"' in page
    folded = sections(page)
    assert folded["When it can be redeemed"] and not folded["Stock renewals"]
    assert session.scalars(select(Reward).where(Reward.name == "Lunch")).first() is None
    typed |= {"availability-1-days": ["5"], "availability-1-time_from": "10:00"}
    assert 'name="availability-2-time_from"' in text_of(
        post(client, new, new, {**typed, "more": "availability"})
    )
    saved = post(client, new, new, typed)
    assert saved.status_code in (302, 303), text_of(saved)
    reward = session.scalars(select(Reward).where(Reward.name == "Lunch")).one()
    availability = reward.schedule_settings["availability"]
    assert [window["days_of_week"] for window in availability] == [[0, 1], [5]]


def test_the_shop_form_adds_opening_hours_before_saving(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    """Every schedule list has the button; the shop form is not saved by it either."""
    log_in(client, cafe.owner.email)
    edit = f"/shops/{cafe.shop.id}/edit"
    typed = {"name": "Renamed", "time_zone": "Europe/Madrid", "availability_schedule-0-days": "0"}
    response = post(client, edit, edit, {**typed, "more": "availability_schedule"})
    assert response.status_code == 200
    assert 'name="availability_schedule-1-time_from"' in text_of(response)
    session.refresh(cafe.shop)
    assert cafe.shop.name == "Corner Café"
