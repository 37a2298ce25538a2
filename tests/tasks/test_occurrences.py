"""A stamp announces the points it earned; a stamp request dispatches to a consumer once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.core import outbox
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Consumer, Occurrence
from stampbook.tasks import stamping
from tests.factories.accounts import auth
from tests.factories.tasks import make_task, make_world
from tests.occurrences import last_id, recorded

seen: list[dict[str, object]] = []


@pytest.fixture
def consumer() -> Iterator[None]:
    seen.clear()

    def handle(occurrence: Occurrence) -> None:
        seen.append(occurrence.payload)

    before = outbox.use([Consumer("test-points", {OccurrenceType.POINTS_EARNED}, handle)])
    yield
    outbox.use(before)


@pytest.mark.usefixtures("app_context")
def test_a_stamp_announces_its_points(session: Session) -> None:
    world = make_world(session)
    task = make_task(session, world.program, point_value=3)
    mark = last_id(session)
    result = stamping.stamp_task(world.member, task_id=task.id, membership_id=world.membership.id)
    announced = recorded(session, mark)
    assert [(kind, shop_id) for kind, shop_id, _ in announced] == [("points.earned", world.shop.id)]
    payload = announced[0][2]
    assert (payload["kind"], payload["amount"], payload["cause_type"]) == ("stamp", 3, "stamp")
    assert payload["cause_id"] == str(result.stamp.id)
    assert payload["user_id"] == world.member.id


@pytest.mark.usefixtures("consumer")
def test_a_stamp_request_reaches_a_consumer_once_after_commit(
    client: FlaskClient, session: Session
) -> None:
    world = make_world(session)
    task = make_task(session, world.program, point_value=3)
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        headers=auth(session, world.member),
        json={"membership_id": world.membership.id},
    )
    assert response.status_code == 201, response.json
    assert [(p["kind"], p["amount"]) for p in seen] == [("stamp", 3)]


@pytest.mark.usefixtures("consumer")
def test_a_failing_consumer_does_not_break_the_stamp_request(
    client: FlaskClient, session: Session
) -> None:
    def broken(occurrence: Occurrence) -> None:
        raise RuntimeError("down")

    outbox.use([*outbox.registered(), Consumer("broken", {OccurrenceType.POINTS_EARNED}, broken)])
    world = make_world(session)
    task = make_task(session, world.program, point_value=3)
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        headers=auth(session, world.member),
        json={"membership_id": world.membership.id},
    )
    assert response.status_code == 201, response.json
    assert len(seen) == 1  # the other consumer still ran


@pytest.mark.usefixtures("app_context")
def test_a_bonus_is_announced_as_its_own_points_earned(session: Session) -> None:
    world = make_world(session)
    task = make_task(session, world.program, point_value=3, bonus_values={"first_time_only": 4})
    mark = last_id(session)
    stamping.stamp_task(world.member, task_id=task.id, membership_id=world.membership.id)
    kinds = [(p["kind"], p["amount"]) for kind, _, p in recorded(session, mark)]
    assert sorted(kinds) == [("bonus", 4), ("stamp", 3)]
