"""The events' pages: the shop's list, an event's page (register, the waiting list, cancel),
the ticket with its QR code, the door's registrations and check-in (a typed code, a name
found, each refusal in words), the iCalendar files parsed back, and the attendance report as
a page and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy.orm import Session

from stampbook.events.models import Event, Registration
from tests.factories.shops import Team, make_team
from tests.pages import post, signed_in, text_of

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
CODE = "PAGETICKETPAGETICKETPAGETICKETPA"


@pytest.fixture
def team(session: Session) -> Team:
    return make_team(session)


def _event(session: Session, team: Team, **fields: object) -> Event:
    values: dict[str, object] = {
        "shop_id": team.shop.id,
        "title": "Trivia night",
        "starts_at": SOON,
        "ends_at": SOON + timedelta(hours=2),
        "event_type": "trivia",
        "location": "The back room",
        **fields,
    }
    event = Event(**values)
    session.add(event)
    session.flush()
    return event


def _seat(
    session: Session, event: Event, user_id: int, code: str = CODE, **fields: object
) -> Registration:
    values: dict[str, object] = {"status": "registered", **fields}
    registration = Registration(event_id=event.id, user_id=user_id, ticket_code=code, **values)
    session.add(registration)
    event.registered += 1
    session.flush()
    return registration


def test_the_shop_lists_its_upcoming_and_past_events(
    app: Flask, session: Session, team: Team
) -> None:
    _event(session, team)
    _event(
        session,
        team,
        title="Old quiz",
        starts_at=SOON - timedelta(days=30),
        ends_at=SOON - timedelta(days=29),
    )
    browser = app.test_client()
    upcoming = text_of(browser.get(f"/shops/{team.shop.id}/events"))
    assert "Trivia night" in upcoming and "Old quiz" not in upcoming
    past = text_of(browser.get(f"/shops/{team.shop.id}/events?when=past"))
    assert "Old quiz" in past and "Trivia night" not in past
    assert "Trivia night" not in text_of(browser.get(f"/shops/{team.shop.id}/events?type=karaoke"))


def test_a_member_registers_sees_the_ticket_and_cancels(
    app: Flask, session: Session, team: Team
) -> None:
    event = _event(session, team, capacity=30)
    page = text_of(app.test_client().get(f"/events/{event.id}"))
    assert "30 seats left" in page and "Sign in to register." in page
    member = signed_in(app, team.member)
    path = f"/events/{event.id}"
    answer = post(member, f"{path}/register", path, {})
    assert answer.status_code == 302 and "/registrations/" in answer.location
    ticket = member.get(answer.location)
    html = text_of(ticket)
    assert "You are registered." in html
    assert "<svg" in html and "<script" not in html.split("</nav>")[-1]
    event_page = text_of(member.get(path))
    assert "29 seats left" in event_page and "Cancel my registration" in event_page
    cancelled = post(member, f"{answer.location}/cancel", answer.location, {})
    assert "The registration is cancelled." in text_of(member.get(cancelled.location))
    assert "30 seats left" in text_of(member.get(path))


def test_a_full_event_offers_the_waiting_list(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team, capacity=1)
    _seat(session, event, team.outsider.id)
    member = signed_in(app, team.member)
    path = f"/events/{event.id}"
    assert "Join the waiting list" in text_of(member.get(path))
    answer = post(member, f"{path}/register", path, {})
    html = text_of(member.get(answer.location))
    assert "You are on the waiting list" in html and "<svg" not in html


def test_the_door_checks_a_typed_code_in_once_and_says_each_refusal(
    app: Flask, session: Session, team: Team
) -> None:
    event = _event(session, team)
    other = _event(session, team, title="Other night")
    _seat(session, event, team.member.id)
    _seat(session, other, team.outsider.id, code="OTHERTICKETOTHERTICKETOTHERTICKE")
    door = signed_in(app, team.assistant)
    page = f"/events/{event.id}/check-in"
    assert "Scan with the camera" in text_of(door.get(page))

    def scan(code: str, nonce: str = "") -> str:
        answer = post(door, page, page, {"ticket_code": code, "nonce": nonce})
        assert answer.status_code == 302
        return text_of(door.get(answer.location))

    assert f"{team.member.name} is checked in." in scan(CODE.lower(), "n1")
    assert "is checked in." in scan(CODE, "n1")  # the same scan replayed
    assert "This ticket is checked in already." in scan(CODE, "n2")
    assert "No ticket has this code." in scan("MADEUP")
    assert "This ticket is for another event." in scan("OTHERTICKETOTHERTICKETOTHERTICKE")
    listed = text_of(door.get(f"/events/{event.id}/registrations?q={team.member.name[:4]}"))
    assert team.member.name in listed and "Checked in" in listed


def test_a_name_found_at_the_door_is_checked_in(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team)
    registration = _seat(session, event, team.member.id)
    door = signed_in(app, team.assistant)
    found = text_of(door.get(f"/events/{event.id}/check-in?q={team.member.name}"))
    assert f'id="found-{registration.id}"' in found
    page = f"/events/{event.id}/check-in?q={team.member.name}"
    answer = post(door, f"/events/{event.id}/check-in", page, {"ticket_code": CODE, "nonce": "x"})
    assert "is checked in." in text_of(door.get(answer.location))


def test_a_member_cannot_work_the_door(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team)
    member = signed_in(app, team.member)
    assert member.get(f"/events/{event.id}/check-in").status_code == 403
    assert member.get(f"/events/{event.id}/attendance.csv").status_code == 403


def test_the_calendar_files_parse_back(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team)
    _event(
        session,
        team,
        title="Second night",
        starts_at=SOON + timedelta(days=7),
        ends_at=SOON + timedelta(days=7, hours=2),
    )
    browser = app.test_client()
    one = browser.get(f"/events/{event.id}.ics")
    assert one.status_code == 200 and one.mimetype == "text/calendar"
    items = list(Calendar.from_ical(one.data).walk("VEVENT"))
    assert len(items) == 1
    assert str(items[0]["summary"]) == "Trivia night"
    assert items[0].decoded("dtstart") == SOON
    assert str(items[0]["location"]) == "The back room"
    feed = browser.get(f"/shops/{team.shop.id}/events.ics")
    titles = sorted(str(c["summary"]) for c in Calendar.from_ical(feed.data).walk("VEVENT"))
    assert titles == ["Second night", "Trivia night"]


def test_the_attendance_report_and_its_csv(app: Flask, session: Session, team: Team) -> None:
    event = _event(
        session,
        team,
        starts_at=SOON - timedelta(days=9),
        ends_at=SOON - timedelta(days=9) + timedelta(hours=2),
    )
    registration = _seat(session, event, team.member.id)
    registration.status = "attended"
    registration.checked_in_at = event.starts_at
    _seat(
        session, event, team.outsider.id, code="NOSHOWNOSHOWNOSHOWNOSHOWNOSHOWNO", status="no_show"
    )
    session.flush()
    manager = signed_in(app, team.manager)
    page = text_of(manager.get(f"/events/{event.id}/attendance"))
    assert "Attendance report" in page and team.member.name in page
    answer = manager.get(f"/events/{event.id}/attendance.csv")
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert sorted(r["status"] for r in rows) == ["attended", "no_show"]
    period = manager.get(f"/shops/{team.shop.id}/events/attendance.csv")
    (line,) = list(csv.DictReader(io.StringIO(period.get_data(as_text=True))))
    assert (line["registered"], line["attended"], line["no_shows"]) == ("2", "1", "1")
    assert "Trivia night" in text_of(manager.get(f"/shops/{team.shop.id}/events/attendance"))


def test_home_shows_my_upcoming_registrations(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team)
    registration = _seat(session, event, team.member.id)
    home = text_of(signed_in(app, team.member).get("/"))
    assert "My upcoming events" in home and "Trivia night" in home
    assert f"/registrations/{registration.id}" in home
    assert "My upcoming events" not in text_of(signed_in(app, team.outsider).get("/"))


def test_the_door_says_why_a_seat_is_not_let_in(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team, price=500, capacity=1)
    _seat(session, event, team.member.id, payment_status="unpaid")
    waiting = Registration(
        event_id=event.id,
        user_id=team.outsider.id,
        status="waitlisted",
        ticket_code="WAITINGWAITINGWAITINGWAITINGWAIT",
    )
    mine = Registration(
        event_id=event.id,
        user_id=team.assistant.id,
        status="registered",
        ticket_code="MINEMINEMINEMINEMINEMINEMINEMINE",
    )
    session.add_all([waiting, mine])
    session.flush()
    door = signed_in(app, team.assistant)
    page = f"/events/{event.id}/check-in"

    def scan(code: str) -> str:
        answer = post(door, page, page, {"ticket_code": code, "nonce": code[:8]})
        return text_of(door.get(answer.location))

    assert "This ticket is not paid yet" in scan(CODE)
    assert "This ticket is on the waiting list" in scan("WAITINGWAITINGWAITINGWAITINGWAIT")
    assert "Someone else on the team checks your own ticket in." in scan(
        "MINEMINEMINEMINEMINEMINEMINEMINE"
    )
    assert post(door, page, page, {"ticket_code": ""}).status_code == 422


def test_the_pages_read_in_spanish(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team, capacity=30)
    registration = _seat(session, event, team.member.id)
    member = signed_in(app, team.member)
    member.set_cookie("language", "es")
    page = member.get(f"/events/{event.id}", headers={"Accept-Language": "es"})
    html = text_of(page)
    assert "Quedan 29 plazas" in html and "Cancelar mi inscripción" in html
    ticket = text_of(
        member.get(f"/registrations/{registration.id}", headers={"Accept-Language": "es"})
    )
    assert "Entrada para Trivia night" in ticket
