"""Registering tells the person their ticket is ready (a link to it); a seat from the
waiting list tells the person promoted (DESIGN 8.8)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.notifications.models import Notification
from tests.events.conftest import Club


def _told(session: Session) -> list[tuple[int, str, str | None]]:
    rows = session.execute(select(Notification.user_id, Notification.kind, Notification.link))
    return [(user_id, kind, link) for user_id, kind, link in rows]


def test_a_seat_and_a_promotion_are_told(club: Club, session: Session) -> None:
    event = club.make_event(capacity=1).json["id"]
    first = club.register(event, "member").json
    assert club.register(event, "outsider").json["status"] == "waitlisted"
    member, outsider = club.team.member.id, club.team.outsider.id
    told = _told(session)
    assert (member, "event_registered", f"/registrations/{first['id']}") in told
    assert not [row for row in told if row[0] == outsider]  # waiting is not a seat
    cancelled = club.client.delete(
        f"/api/v1/registrations/{first['id']}", headers=club.headers("member")
    )
    assert cancelled.status_code == 204
    kinds = [kind for user_id, kind, _link in _told(session) if user_id == outsider]
    assert kinds == ["event_promoted"]
