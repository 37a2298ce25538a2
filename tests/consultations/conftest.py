"""The consultations' tests: a team's shop with a verified host (a manager's account) and a
listed professional pending verification, through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from stampbook.consultations.models import Host
from tests.factories.accounts import make_token, make_user
from tests.factories.shops import Team, make_team

# Every day, 09:00 to 12:00 in Madrid: three slots of 50 minutes and 10 between.
WEEKLY = [{"day": day, "start": "09:00", "end": "12:00"} for day in range(7)]


def make_host(session: Session, shop_id: int, **fields: Any) -> Host:
    fields.setdefault("professional_name", "Dr. Ana Ruiz")
    fields.setdefault("verification_status", "verified")
    fields.setdefault("time_zone", "Europe/Madrid")
    fields.setdefault("weekly_hours", WEEKLY)
    fields.setdefault("slot_minutes", 50)
    fields.setdefault("buffer_minutes", 10)
    fields.setdefault("credentials", ["RD"])
    fields.setdefault("specializations", ["sports_nutrition"])
    fields.setdefault("languages", ["Spanish", "English"])
    host = Host(shop_id=shop_id, **fields)
    session.add(host)
    session.flush()
    return host


@dataclass
class Clinic:
    client: FlaskClient
    team: Team
    host: Host  # verified; its account is the manager's
    listed: Host  # a professional without an account, pending
    tokens: dict[str, str]

    def call(self, method: str, url: str, who: str | None, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def slots(self, host_id: int | None = None, who: str | None = "member") -> list[str]:
        answer = self.call("GET", f"/api/v1/hosts/{host_id or self.host.id}/slots", who)
        assert answer.status_code == 200, answer.json
        return [item["starts_at"] for item in answer.json["items"]]

    def book(self, who: str, starts_at: str, host_id: int | None = None) -> TestResponse:
        url = f"/api/v1/hosts/{host_id or self.host.id}/bookings"
        return self.call("POST", url, who, json={"starts_at": starts_at})


@pytest.fixture
def clinic(client: FlaskClient, session: Session) -> Clinic:
    team = make_team(session)
    host = make_host(session, team.shop.id, user_id=team.manager.id, rate_minor=4500)
    listed = make_host(
        session, team.shop.id, professional_name="Leo Park", verification_status="pending"
    )
    second = make_user(session)
    people = {
        "creator": team.creator,
        "manager": team.manager,
        "assistant": team.assistant,
        "viewer": team.viewer,
        "member": team.member,
        "outsider": team.outsider,
        "second": second,
    }
    tokens = {name: make_token(session, user) for name, user in people.items()}
    return Clinic(client, team, host, listed, tokens)
