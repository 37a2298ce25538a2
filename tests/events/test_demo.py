"""The demo café's weekly trivia night: last week's with check-ins and no-shows, this
week's with 30 seats taken and a waiting list."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.events.models import Event, Registration


def test_the_demo_has_a_trivia_night_with_a_waiting_list_and_check_ins(
    app: Flask, app_context: None, session: Session
) -> None:
    domains.load_demo()
    nights = session.scalars(select(Event).order_by(Event.starts_at)).all()
    assert len(nights) > 2 and {night.title for night in nights} == {"Trivia night"}
    counts = dict(
        session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == nights[0].id)
            .group_by(Registration.status)
        ).all()
    )
    assert counts == {"attended": 9, "no_show": 3}
    this_week = dict(
        session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == nights[1].id)
            .group_by(Registration.status)
        ).all()
    )
    assert this_week == {"registered": 30, "waitlisted": 4}
    assert nights[1].registered == 30
