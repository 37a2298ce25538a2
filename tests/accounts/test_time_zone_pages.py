"""Choosing a time zone on the pages: a searchable list, the browser's zone filled in by
``static/zone.js``, and a readable refusal of a zone that is not on the list."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from tests.pages import Cafe, csrf_token, error_next_to, log_in, post, text_of

REFUSAL = "Choose a time zone from the list, like Europe/Madrid."


def register(client: FlaskClient, **fields: str):  # type: ignore[no-untyped-def]
    data = {"name": "Grace", "email": "grace@example.com", "password": "0123456789"}
    return client.post(
        "/register", data={**data, **fields, "csrf_token": csrf_token(client, "/register")}
    )


def registered(session: Session) -> User:
    return session.scalars(select(User).where(User.email == "grace@example.com")).one()


@pytest.mark.parametrize("path", ["/register", "/account"])
def test_the_zone_is_a_searchable_list_filled_by_the_browser(
    client: FlaskClient, cafe: Cafe, path: str
) -> None:
    if path == "/account":
        log_in(client, cafe.member.email)
    page = text_of(client.get(path))
    field = re.search(r'<input [^>]*id="time_zone"[^>]*>', page)
    assert field is not None
    assert 'list="time_zone-zones"' in field.group(0) and "data-browser-zone" in field.group(0)
    assert '<datalist id="time_zone-zones">' in page
    assert '<option value="Europe/Madrid">' in page and '<option value="Asia/Tokyo">' in page
    # The script that fills it in is a file of the site (the CSP allows no inline script).
    assert '<script src="/static/zone.js" defer></script>' in page
    assert "<script>" not in page
    assert "Intl.DateTimeFormat" in client.get("/static/zone.js").get_data(as_text=True)


def test_a_new_account_keeps_the_zone_chosen(client: FlaskClient, session: Session) -> None:
    page = text_of(client.get("/register"))
    assert re.search(r'<input [^>]*id="time_zone"[^>]*value=""', page)  # not a silent UTC
    response = register(client, time_zone="europe/madrid")  # any case will do
    assert response.status_code == 302
    assert registered(session).time_zone == "Europe/Madrid"


@pytest.mark.parametrize("typed", ["Mars/Base", "", "Madrid"])
def test_registration_refuses_a_zone_off_the_list_in_words(
    client: FlaskClient, session: Session, typed: str
) -> None:
    response = register(client, time_zone=typed)
    assert response.status_code == 422
    assert error_next_to(text_of(response), "time_zone", REFUSAL)
    assert session.scalars(select(User).where(User.email == "grace@example.com")).first() is None


def test_a_post_without_a_zone_keeps_the_apis_default(
    client: FlaskClient, session: Session
) -> None:
    """A client that posts the old fields (not the page) still registers, in UTC."""
    assert register(client).status_code == 302
    assert registered(session).time_zone == "UTC"


def test_the_profile_refuses_an_unknown_zone_in_words(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    response = post(client, "/account", "/account", {"name": "Ada", "time_zone": "Mars/Base"})
    assert response.status_code == 422
    assert error_next_to(text_of(response), "time_zone", REFUSAL)
    done = post(client, "/account", "/account", {"name": "Ada", "time_zone": "America/New York"})
    assert done.status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.time_zone == "America/New_York"
