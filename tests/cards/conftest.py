"""The cards' tests: a café (``tasks``' world: owner, manager, assistant, stamper, a member
with points, another member) with a coffee task that stamps at most once a day and a
reward, and another café with a member of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from stampbook.rewards.models import Reward
from stampbook.tasks.models import Task
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import World, make_task, make_world

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)  # a Monday
ONCE_A_DAY = {"quantity": 1, "time_unit_quantity": 1, "time_unit": "day"}


@dataclass
class Counter:
    world: World
    session: Session
    client: FlaskClient
    coffee: Task
    cake: Reward
    dear: Reward
    elsewhere: Membership  # a member of another café's program

    @property
    def program_id(self) -> int:
        return self.world.program.id

    def headers(self, user: Any) -> dict[str, str]:
        return auth(self.session, user)

    def scan(self, code: str, user: Any = None, **extra: Any) -> Any:
        return self.client.post(
            f"/api/v1/programs/{self.program_id}/card-scans",
            json={"card_code": code, **extra},
            headers=self.headers(user or self.world.stamper),
        )

    def stamp(self, code: str, user: Any = None, key: str | None = None, **extra: Any) -> Any:
        headers = self.headers(user or self.world.stamper)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(
            f"/api/v1/programs/{self.program_id}/card-scans/stamps",
            json={"card_code": code, "task_id": self.coffee.id, **extra},
            headers=headers,
        )


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stampbook.core.clock.now", lambda: NOW)


@pytest.fixture
def counter(session: Session, client: FlaskClient) -> Counter:
    world = make_world(session)
    coffee = make_task(
        session, world.program, name="Coffee", point_value=10, frequency_settings=ONCE_A_DAY
    )
    give_points(session, world.membership, 30)
    cake = make_reward(session, world.shop, name="Cake", cost=25)
    dear = make_reward(session, world.shop, name="Dinner", cost=500)
    owner = make_user(session)
    other_shop = make_shop(session, owner, name="Across the street")
    elsewhere = make_membership(session, make_program(session, other_shop), make_user(session))
    return Counter(world, session, client, coffee, cake, dear, elsewhere)
