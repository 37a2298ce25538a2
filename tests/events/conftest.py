"""The events' tests: a shop's team (tests.factories.shops.make_team) calling the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.events.fake_stripe import fake_stripe  # noqa: F401 (a payments provider)
from tests.factories.accounts import make_token, make_user
from tests.factories.shops import Team, make_team

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Club:
    client: FlaskClient
    session: Session
    team: Team
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def person(self, name: str) -> None:
        self.tokens[name] = make_token(self.session, make_user(self.session))

    def make_event(self, who: str = "manager", **fields: Any) -> Any:
        body = {
            "title": "Trivia night",
            "starts_at": iso(SOON),
            "ends_at": iso(SOON + timedelta(hours=2)),
            **fields,
        }
        return self.client.post(
            f"/api/v1/shops/{self.team.shop.id}/events", json=body, headers=self.headers(who)
        )

    def register(self, event_id: int, who: str) -> Any:
        return self.client.post(
            f"/api/v1/events/{event_id}/registrations", headers=self.headers(who)
        )

    def check_in(self, event_id: int, code: str, who: str = "assistant", **extra: Any) -> Any:
        return self.client.post(
            f"/api/v1/events/{event_id}/check-ins",
            json={"ticket_code": code, **extra},
            headers=self.headers(who),
        )


@pytest.fixture
def club(client: FlaskClient, session: Session) -> Club:
    team = make_team(session)
    tokens = {
        name: make_token(session, getattr(team, name))
        for name in ("creator", "manager", "assistant", "viewer", "member", "outsider")
    }
    return Club(client, session, team, tokens)
