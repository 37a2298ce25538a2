"""The consultations' pages: a shop's hosts, a host's free slots and booking one, the
booking's page (cancel, notes private to the host and the member, completed, rating,
payment), the host's bookings, the managers' host setup and verification, in Spanish too."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.consultations.models import Booking, Host
from stampbook.core.db import utcnow
from tests.consultations.conftest import make_host
from tests.factories.shops import Team, make_team
from tests.pages import error_next_to, post, signed_in, text_of


@pytest.fixture
def team(session: Session) -> Team:
    return make_team(session)


@pytest.fixture
def host(session: Session, team: Team) -> Host:
    return make_host(session, team.shop.id, user_id=team.manager.id, rate_minor=4500)


def _past_booking(session: Session, team: Team, host: Host, **fields: object) -> Booking:
    start = utcnow().replace(microsecond=0) - timedelta(hours=3)
    booking = Booking(
        host_id=host.id,
        shop_id=team.shop.id,
        user_id=team.member.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        **fields,
    )
    session.add(booking)
    session.flush()
    return booking


def test_a_member_books_a_free_slot_from_the_hosts_page(
    app: Flask, session: Session, team: Team, host: Host
) -> None:
    member = signed_in(app, team.member)
    listing = text_of(member.get(f"/shops/{team.shop.id}/hosts"))
    assert "Dr. Ana Ruiz" in listing and "sports_nutrition" in listing
    page = text_of(member.get(f"/hosts/{host.id}"))
    slots = re.findall(r'name="starts_at" value="([^"]+)"', page)
    assert slots, page
    answer = post(
        member,
        f"/hosts/{host.id}/book",
        f"/hosts/{host.id}",
        {"starts_at": slots[0], "session_type": "phone", "topic": "Training diet"},
    )
    assert answer.status_code == 303, text_of(answer)
    booking = session.scalars(select(Booking)).one()
    assert answer.headers["Location"].endswith(f"/consultations/{booking.id}")
    assert booking.session_type == "phone" and booking.topic == "Training diet"
    after = text_of(member.get(f"/hosts/{host.id}"))
    assert f'value="{slots[0]}"' not in after
    mine = text_of(member.get("/consultations"))
    assert "Dr. Ana Ruiz" in mine
    # A double click: said, not booked twice.
    again = post(member, f"/hosts/{host.id}/book", f"/hosts/{host.id}", {"starts_at": slots[0]})
    assert again.status_code == 303
    assert "You have booked this slot already" in text_of(member.get(f"/hosts/{host.id}"))


def test_visitors_see_slots_and_log_in_to_book(client: FlaskClient, host: Host) -> None:
    page = text_of(client.get(f"/hosts/{host.id}"))
    assert "Log in to book a slot." in page and 'name="starts_at"' not in page


def test_notes_are_private_to_the_host_and_the_member_on_the_page(
    app: Flask, session: Session, team: Team, host: Host
) -> None:
    booking = _past_booking(session, team, host)
    path = f"/consultations/{booking.id}"
    manager = signed_in(app, team.manager)  # the host
    saved = post(manager, f"{path}/notes", path, {"session_notes": "Less sugar, more fibre."})
    assert saved.status_code == 303
    assert "Less sugar, more fibre." in text_of(signed_in(app, team.member).get(path))
    for other in (team.creator, team.assistant, team.viewer):
        page = text_of(signed_in(app, other).get(path))
        assert "Less sugar" not in page, other.name
        assert 'name="session_notes"' not in page
    assert signed_in(app, team.outsider).get(path).status_code == 404
    refused = post(signed_in(app, team.assistant), f"{path}/notes", path, {"session_notes": "x"})
    assert refused.status_code == 403


def test_completed_then_rated_and_paid(
    app: Flask, session: Session, team: Team, host: Host
) -> None:
    booking = _past_booking(session, team, host, payment_status="unpaid", session_cost_minor=4500)
    path = f"/consultations/{booking.id}"
    assistant = signed_in(app, team.assistant)
    assert post(assistant, f"{path}/complete", path, {}).status_code == 303
    assert post(assistant, f"{path}/payment", path, {"payment_status": "paid"}).status_code == 303
    member = signed_in(app, team.member)
    page = text_of(member.get(path))
    assert "Rate the consultation" in page
    rated = post(
        member, f"{path}/rating", path, {"user_feedback_rating": "5", "user_feedback_text": "Great"}
    )
    assert rated.status_code == 303
    session.refresh(booking)
    assert (booking.status, booking.payment_status) == ("completed", "paid")
    assert booking.user_feedback_rating == 5
    assert "Rate the consultation" not in text_of(member.get(path))
    listed = text_of(signed_in(app, team.manager).get(f"/hosts/{host.id}/bookings"))
    assert "Completed" in listed and "Paid" in listed


def test_a_member_cancels_before_the_deadline(
    app: Flask, session: Session, team: Team, host: Host
) -> None:
    member = signed_in(app, team.member)
    page = text_of(member.get(f"/hosts/{host.id}"))
    last = re.findall(r'name="starts_at" value="([^"]+)"', page)[-1]
    post(member, f"/hosts/{host.id}/book", f"/hosts/{host.id}", {"starts_at": last})
    booking = session.scalars(select(Booking)).one()
    path = f"/consultations/{booking.id}"
    assert post(member, f"{path}/cancel", path, {"reason": "Travelling"}).status_code == 303
    session.refresh(booking)
    assert booking.status == "cancelled" and booking.cancel_reason == "Travelling"


def test_the_managers_add_and_verify_a_host(app: Flask, session: Session, team: Team) -> None:
    manager = signed_in(app, team.manager)
    new = f"/shops/{team.shop.id}/hosts/new"
    data = {
        "professional_name": "Mia Chen",
        "user_id": "",
        "credentials": "RD, PhD",
        "specializations": "diabetes",
        "languages": "English, Spanish",
        "years_experience": "12",
        "consultation_rate": "60,00",
        "currency": "eur",
        "time_zone": "Europe/Berlin",
        "day_0": "09:00-12:00, 15:00-18:00",
        "day_2": "10:00-13:00",
        "days_off": "2030-12-24",
        "slot_minutes": "45",
        "buffer_minutes": "15",
        "cancel_hours": "12",
        "is_available": "y",
    }
    bad = post(manager, new, new, {**data, "day_1": "9 to 5"})
    assert bad.status_code == 422
    assert error_next_to(text_of(bad), "day_1", "Write ranges like 09:00-12:00")
    overlap = post(manager, new, new, {**data, "day_1": "09:00-12:00, 11:00-13:00"})
    assert overlap.status_code == 409
    assert "overlap" in text_of(overlap)
    made = post(manager, new, new, data)
    assert made.status_code == 303, text_of(made)
    host = session.scalars(select(Host).where(Host.professional_name == "Mia Chen")).one()
    assert host.verification_status == "pending" and host.rate_minor == 6000
    assert host.currency == "EUR" and len(host.weekly_hours) == 3
    member = signed_in(app, team.member)
    assert member.get(f"/hosts/{host.id}").status_code == 404
    edit = f"/hosts/{host.id}/edit"
    verified = post(manager, edit, edit, {**data, "verification_status": "verified"})
    assert verified.status_code == 303, text_of(verified)
    assert member.get(f"/hosts/{host.id}").status_code == 200
    assert signed_in(app, team.assistant).get(edit).status_code == 403


def test_the_pages_speak_spanish(app: Flask, session: Session, team: Team, host: Host) -> None:
    booking = _past_booking(session, team, host)
    member = signed_in(app, team.member)
    headers = {"Accept-Language": "es"}
    assert "Huecos libres" in text_of(member.get(f"/hosts/{host.id}", headers=headers))
    assert "Mis consultas" in text_of(member.get("/consultations", headers=headers))
    assert "Consulta con" in text_of(member.get(f"/consultations/{booking.id}", headers=headers))
