"""Who may stamp whom, per stamp system and role; who may edit tasks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.tasks.models import Stamp
from tests.factories.accounts import auth, make_user
from tests.factories.shops import make_role
from tests.factories.tasks import World, make_task, make_world

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)

# Who stamps, and whose membership: "member" stamps their own, "peer" stamps the member's.
ACTORS = [
    "owner",
    "manager",
    "assistant_own_task",
    "assistant_others_task",
    "stamper",
    "member",
    "peer",
    "outsider",
    "anonymous",
]
EXPECTED = {
    "self": [201, 201, 201, 403, 201, 201, 403, 404, 401],
    # An assistant is a member too: in "members" they stamp anyone, whatever the task.
    "members": [201, 201, 201, 201, 201, 201, 201, 404, 401],
    "stampers": [201, 201, 201, 403, 201, 403, 403, 404, 401],
}
MATRIX = [
    (system, actor, status)
    for system, statuses in EXPECTED.items()
    for actor, status in zip(ACTORS, statuses, strict=True)
]


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stampbook.core.clock.now", lambda: NOW)


def headers_for(session: Session, world: World, actor: str) -> dict[str, str]:
    user = {
        "owner": world.owner,
        "manager": world.manager,
        "assistant_own_task": world.assistant,
        "assistant_others_task": world.assistant,
        "stamper": world.stamper,
        "member": world.member,
        "peer": world.other,
        "outsider": world.outsider,
    }.get(actor)
    return auth(session, user) if user is not None else {}


@pytest.mark.parametrize(("system", "actor", "status"), MATRIX)
def test_stamp_rule_matrix(
    client: FlaskClient, session: Session, system: str, actor: str, status: int
) -> None:
    world = make_world(session, stamp_system_type=system)
    creator = world.assistant if actor == "assistant_own_task" else world.owner
    task = make_task(session, world.program, created_by=creator.id)
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": world.membership.id},
        headers=headers_for(session, world, actor),
    )
    assert response.status_code == status, response.json
    if status == 403:
        assert response.json["code"] == "stamp_not_allowed"
    stamps = session.scalar(select(func.count()).select_from(Stamp))
    assert stamps == (1 if status == 201 else 0)


def test_shop_roles_stamp_as_their_permissions_say(client: FlaskClient, session: Session) -> None:
    world = make_world(session, stamp_system_type="stampers")
    assigned, other = make_task(session, world.program), make_task(session, world.program)
    scoped, manager, viewer, stamping_viewer = (make_user(session) for _ in range(4))
    make_role(session, world.shop, scoped, "assistant", task_id=assigned.id)
    make_role(session, world.shop, manager, "manager")
    make_role(session, world.shop, viewer, "viewer")
    make_role(session, world.shop, stamping_viewer, "viewer", permission_settings={"stamp": True})

    def status(user: object, task: object) -> int:
        return client.post(
            f"/api/v1/tasks/{task.id}/stamps",  # type: ignore[attr-defined]
            json={"membership_id": world.membership.id},
            headers=auth(session, user),  # type: ignore[arg-type]
        ).status_code

    assert status(scoped, assigned) == 201
    assert status(scoped, other) == 403
    assert status(manager, other) == 201
    assert status(viewer, other) == 403
    assert status(stamping_viewer, other) == 201


def test_a_member_who_left_may_not_stamp_themselves(client: FlaskClient, session: Session) -> None:
    world = make_world(session)
    task = make_task(session, world.program)
    world.membership.status = "left"
    session.flush()
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": world.membership.id},
        headers=auth(session, world.member),
    )
    assert (response.status_code, response.json["code"]) == (409, "membership_inactive")


def test_stamping_in_a_private_program_is_hidden_from_outsiders(
    client: FlaskClient, session: Session
) -> None:
    world = make_world(session, privacy_mode="private")
    task = make_task(session, world.program)
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": world.membership.id},
        headers=auth(session, world.outsider),
    )
    assert response.status_code == 404


EDITORS = {
    "owner": 200,
    "manager": 200,
    "assistant_own_task": 200,
    "assistant_others_task": 403,
    "stamper": 403,
    "member": 403,
    "outsider": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize(("actor", "status"), EDITORS.items())
def test_who_edits_a_task(client: FlaskClient, session: Session, actor: str, status: int) -> None:
    world = make_world(session)
    creator = world.assistant if actor == "assistant_own_task" else world.owner
    task = make_task(session, world.program, created_by=creator.id)
    response = client.patch(
        f"/api/v1/tasks/{task.id}",
        json={"point_value": 3},
        headers=headers_for(session, world, actor),
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("owner", 201),
        ("manager", 201),
        ("assistant_own_task", 201),
        ("stamper", 403),
        ("member", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_creates_a_task(client: FlaskClient, session: Session, actor: str, status: int) -> None:
    world = make_world(session)
    response = client.post(
        f"/api/v1/programs/{world.program.id}/tasks",
        json={"name": "New", "point_value": 1},
        headers=headers_for(session, world, actor),
    )
    assert response.status_code == status
