"""A shop's opening hours on its page: in words, in the shop's time zone, and moved to the
viewer's when that differs; and the rule that moves them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.schedules.rules import Schedule
from stampbook.shops.rules import hours_in_zone
from tests.pages import Cafe, log_in, text_of

WEEKDAYS = {"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["09:00", "17:00"]]}
SATURDAY = {"days_of_week": [5], "time_ranges": [["10:00", "14:00"]]}
# Saturday 5 December 2026, 12:00 UTC: Madrid is at UTC+1, New York at UTC-5, Tokyo at UTC+9.
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stampbook.core.clock.now", lambda: NOW)


def hours_of(page: str) -> str:
    found = re.search(
        r'<section class="mb-1" aria-labelledby="hours-title">.*?</section>', page, re.S
    )
    assert found, "no opening hours on the shop page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


def open_at(session: Session, cafe: Cafe, *schedules: dict[str, object]) -> None:
    cafe.shop.time_zone = "Europe/Madrid"
    cafe.shop.availability_schedule = list(schedules)
    session.flush()


def test_a_visitor_reads_the_hours_in_the_shops_zone(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    open_at(session, cafe, WEEKDAYS, SATURDAY)
    hours = hours_of(text_of(client.get(f"/shops/{cafe.shop.id}")))
    assert "Opening hours weekdays · 09:00 to 17:00 Saturdays · 10:00 to 14:00" in hours
    assert "your time zone" not in hours


def test_a_viewer_elsewhere_reads_them_on_their_own_clocks_too(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    open_at(session, cafe, WEEKDAYS, SATURDAY)
    cafe.member.time_zone = "America/New_York"
    session.flush()
    log_in(client, cafe.member.email)
    hours = hours_of(text_of(client.get(f"/shops/{cafe.shop.id}")))
    assert "weekdays · 09:00 to 17:00" in hours
    assert (
        "In your time zone (America/New_York): weekdays · 03:00 to 11:00 "
        "Saturdays · 04:00 to 08:00" in hours
    )


def test_a_viewer_on_the_same_clocks_reads_them_once(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    open_at(session, cafe, WEEKDAYS)
    cafe.member.time_zone = "Europe/Paris"  # another name, the same clocks
    session.flush()
    log_in(client, cafe.member.email)
    hours = hours_of(text_of(client.get(f"/shops/{cafe.shop.id}")))
    assert "weekdays · 09:00 to 17:00" in hours and "your time zone" not in hours


def test_hours_no_weekly_table_can_move_give_both_clocks(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    open_at(session, cafe, {"dates": ["2026-12-24"], "time_ranges": [["09:00", "13:00"]]})
    cafe.member.time_zone = "Asia/Tokyo"
    session.flush()
    log_in(client, cafe.member.email)
    hours = hours_of(text_of(client.get(f"/shops/{cafe.shop.id}")))
    assert "on 2026-12-24 · 09:00 to 13:00" in hours
    assert "When it is 13:00 at the shop, it is 21:00 in your time zone (Asia/Tokyo)." in hours


def test_a_shop_without_hours_is_open_at_all_hours(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    open_at(session, cafe)
    cafe.member.time_zone = "Asia/Tokyo"
    session.flush()
    log_in(client, cafe.member.email)
    hours = hours_of(text_of(client.get(f"/shops/{cafe.shop.id}")))
    assert hours == "Opening hours Open at all hours."


def test_moving_hours_across_midnight_moves_their_days() -> None:
    evenings = [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["20:00", "23:00"]]}]
    moved = hours_in_zone(evenings, "Europe/Madrid", "Asia/Tokyo", date(2026, 12, 5))
    assert moved == [Schedule(days_of_week=[1, 2, 3, 4, 5], time_ranges=[(time(4), time(7))])]
    late = [{"days_of_week": [4], "time_ranges": [["22:00", "02:00"]]}]  # Friday night
    moved = hours_in_zone(late, "Europe/Madrid", "UTC", date(2026, 12, 5))
    assert moved == [Schedule(days_of_week=[4], time_ranges=[(time(21), time(1))])]
    every_day = [{"time_ranges": [["09:00", "17:00"]]}]
    moved = hours_in_zone(every_day, "Europe/Madrid", "America/New_York", date(2026, 12, 5))
    assert moved == [Schedule(time_ranges=[(time(3), time(11))])]


def test_only_weekly_hours_move() -> None:
    today = date(2026, 12, 5)
    assert hours_in_zone([], "Europe/Madrid", "UTC", today) == []
    for schedule in (
        {"days_of_week": [0]},  # all day: a day there is not a day here
        {"rrule": "FREQ=WEEKLY;BYDAY=MO", "time_ranges": [["09:00", "17:00"]]},
        {"months_of_year": [12], "time_ranges": [["09:00", "17:00"]]},
        {
            "time_ranges": [["09:00", "17:00"]],
            "excluded": {"dates": ["2026-12-25"]},
        },
    ):
        assert hours_in_zone([schedule], "Europe/Madrid", "UTC", today) is None, schedule
