"""The home page and the navigation: what waits for me, and the badges."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import make_user
from tests.factories.people import make_message, make_request
from tests.pages import (
    Cafe,
    log_in,
    text_of,
)


def test_home_and_navigation_show_what_waits_for_me(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    for n in range(3):
        make_message(session, cafe.owner, cafe.member, f"Hello {n}")
    make_request(session, make_user(session), cafe.member)
    log_in(client, cafe.member.email)
    home = text_of(client.get("/"))
    assert "3 unread messages" in home and "1 buddy request to answer" in home
    explore = text_of(client.get("/explore"))
    assert re.search(r">3<span class=\"visually-hidden\"> unread messages</span>", explore)
    assert re.search(r">1<span class=\"visually-hidden\"> buddy request</span>", explore)
    assert f'href="/users/{cafe.member.id}"' in explore and 'href="/account"' in explore


def test_nothing_waiting_shows_no_badge(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    home = text_of(client.get("/"))
    assert "unread" not in home and 'visually-hidden"> buddy' not in home
