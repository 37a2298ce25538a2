"""Self check-in's pages: the team's door screen (its QR code, the typed code, the JSON its
script polls, the managers' switch), and a member's own check-in from the QR code's link,
each answer in words, in English and Spanish."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from stampbook.core import clock
from stampbook.events import door
from stampbook.events.models import Event, Registration
from tests.factories.accounts import PASSWORD
from tests.factories.shops import Team, make_team
from tests.pages import csrf_token, post, signed_in, text_of

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
SPANISH = {"Accept-Language": "es"}


@pytest.fixture
def team(session: Session) -> Team:
    return make_team(session)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    now = [datetime.now(UTC).replace(microsecond=0)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now


def _event(session: Session, team: Team, **fields: Any) -> Event:
    values: dict[str, Any] = {
        "shop_id": team.shop.id,
        "title": "Trivia night",
        "starts_at": SOON,
        "ends_at": SOON + timedelta(hours=2),
        "self_check_in": True,
        **fields,
    }
    event = Event(**values)
    session.add(event)
    session.flush()
    return event


def _seat(session: Session, event: Event, user_id: int, **fields: Any) -> Registration:
    registration = Registration(
        event_id=event.id,
        user_id=user_id,
        ticket_code=f"DOORPAGES{user_id:0>23}",
        status=fields.pop("status", "registered"),
        **fields,
    )
    session.add(registration)
    event.registered += 1
    session.flush()
    return registration


def _code(app: Flask, event_id: int, at: datetime) -> str:
    return door.current(door.derive_key(app.config["SECRET_KEY"]), event_id, at).code


def _self_check_in(browser: Any, event_id: int, code: str, **headers: str) -> Any:
    page = f"/events/{event_id}/self-check-in?c={code}"
    return browser.post(
        f"/events/{event_id}/self-check-in",
        data={"door_code": code, "nonce": "", "csrf_token": csrf_token(browser, page)},
        headers=headers,
        follow_redirects=True,
    )


def test_the_door_screen_shows_the_current_code_as_a_qr_code_and_in_letters(
    app: Flask, session: Session, team: Team, pinned: list[datetime]
) -> None:
    event = _event(session, team)
    assistant = signed_in(app, team.assistant)
    page = text_of(assistant.get(f"/events/{event.id}/door"))
    code = _code(app, event.id, pinned[0])
    assert 'src="data:image/svg+xml' in page  # an image the CSP allows, no inline markup
    assert door.typed(code) in page
    assert f'data-code="{code}"' in page
    assert "event_door.js" in page
    assert "Switch self check-in off" not in page  # the switch is the managers'

    polled = assistant.get(f"/events/{event.id}/door/code")
    assert polled.status_code == 200
    assert polled.headers["Cache-Control"] == "no-store"
    body = polled.json
    assert body["code"] == code and body["typed"] == door.typed(code)
    assert body["url"].endswith(f"/events/{event.id}/self-check-in?c={code}")
    assert body["qr"].startswith("data:image/svg+xml")
    assert 0 < body["refresh_in_ms"] <= door.STEP_SECONDS * 1000 + 100
    pinned[0] += timedelta(seconds=door.STEP_SECONDS)
    assert assistant.get(f"/events/{event.id}/door/code").json["code"] != code


def test_members_may_not_see_the_door_screen(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team)
    member = signed_in(app, team.member)
    assert member.get(f"/events/{event.id}/door").status_code == 403
    assert member.get(f"/events/{event.id}/door/code").status_code == 403


def test_a_manager_switches_self_check_in_on_and_off(
    app: Flask, session: Session, team: Team
) -> None:
    event = _event(session, team, self_check_in=False)
    manager = signed_in(app, team.manager)
    page = f"/events/{event.id}/door"
    off = text_of(manager.get(page))
    assert "Self check-in is off for this event" in off
    assert manager.get(f"{page}/code").status_code == 409
    switched = post(manager, f"{page}/switch", page, {"on": "1"})
    assert switched.status_code == 302
    session.refresh(event)
    assert event.self_check_in is True
    assert "Self check-in is on: show this screen at the door." in text_of(manager.get(page))
    post(manager, f"{page}/switch", page, {"on": "0"})
    session.refresh(event)
    assert event.self_check_in is False
    assistant = signed_in(app, team.assistant)
    assert "The event's managers can switch it on." in text_of(assistant.get(page))
    refused = post(assistant, f"{page}/switch", f"/events/{event.id}/check-in", {"on": "1"})
    assert refused.status_code == 403


def test_a_member_checks_in_from_the_qr_codes_link(
    app: Flask, session: Session, team: Team, pinned: list[datetime]
) -> None:
    event = _event(session, team, points=4, program_id=team.program.id)
    seat = _seat(session, event, team.member.id)
    member = signed_in(app, team.member)
    code = _code(app, event.id, pinned[0])
    opened = text_of(member.get(f"/events/{event.id}/self-check-in?c={code}"))
    assert 'data-auto="1"' in opened  # the script sends it at once
    assert f'value="{code}"' in opened
    session.refresh(seat)
    assert seat.status == "registered"  # opening the link changes nothing by itself
    done = text_of(_self_check_in(member, event.id, code))
    assert "You are checked in: 4 points are yours." in done
    again = text_of(_self_check_in(member, event.id, code))
    assert "You are checked in already." in again
    assert 'id="self-checked-in"' in again


def test_each_refusal_reads_in_words(
    app: Flask, session: Session, team: Team, pinned: list[datetime]
) -> None:
    event = _event(session, team)
    _seat(session, event, team.member.id)
    member = signed_in(app, team.member)
    stale = _code(app, event.id, pinned[0] - timedelta(seconds=30))
    said = text_of(_self_check_in(member, event.id, stale))
    assert "This door code is not valid or has expired" in said
    outsider = signed_in(app, team.outsider)
    page = text_of(outsider.get(f"/events/{event.id}/self-check-in"))
    assert "You are not registered for this event." in page
    off = _event(session, team, title="Quiz", self_check_in=False)
    assert "does not take self check-in" in text_of(member.get(f"/events/{off.id}/self-check-in"))


def test_signing_in_comes_back_to_the_same_link(app: Flask, session: Session, team: Team) -> None:
    event = _event(session, team)
    link = f"/events/{event.id}/self-check-in?c=123.ABC"
    page = text_of(app.test_client().get(link))
    found = re.search(r'href="(/login\?next=[^"]+)"', page)
    assert found, page
    target = found.group(1).replace("&amp;", "&")
    browser = app.test_client()
    token = csrf_token(browser, target)
    answer = browser.post(
        target, data={"email": team.member.email, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(link)


def test_the_pages_read_in_spanish(
    app: Flask, session: Session, team: Team, pinned: list[datetime]
) -> None:
    event = _event(session, team)
    _seat(session, event, team.member.id)
    member = signed_in(app, team.member)
    stale = _code(app, event.id, pinned[0] - timedelta(seconds=30))
    said = text_of(_self_check_in(member, event.id, stale, **SPANISH))
    assert "This door code" not in said and "código" in said.lower()
    done = text_of(_self_check_in(member, event.id, _code(app, event.id, pinned[0]), **SPANISH))
    assert "You are checked in" not in done
    screen = text_of(
        signed_in(app, team.assistant).get(f"/events/{event.id}/door", headers=SPANISH)
    )
    assert "Scan to check yourself in" not in screen
