"""The tasks API: tasks, stamping with its breakdown, validation, history privacy, stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.tasks.models import Stamp, Task
from tests.factories.accounts import auth
from tests.factories.ledger import give_points
from tests.factories.rewards import make_reward
from tests.factories.tasks import World, make_stamp, make_task, make_world

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stampbook.core.clock.now", lambda: NOW)


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def spend(session: Session, world: World, amount: int) -> None:
    session.refresh(world.membership)  # the API wrote through its own session
    give_points(session, world.membership, -amount, EntryKind.REDEMPTION)


def post_stamp(client: FlaskClient, session: Session, user: Any, task: Task, **body: Any):
    return client.post(f"/api/v1/tasks/{task.id}/stamps", json=body, headers=auth(session, user))


# --- Tasks --------------------------------------------------------------------------------------

VALID_TASK = {
    "name": "Morning run",
    "point_value": 10,
    "allows_multiple": True,
    "max_multiple": 3,
    "target": 30,
    "deadline": "2030-01-01T00:00:00Z",
    "availability_settings": {
        "must_stamp_during": True,
        "schedules": [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["06:00", "10:00"]]}],
    },
    "frequency_settings": {"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"},
    "bonus_values": {
        "reach_total": 50,
        "first_time_only": 5,
        "streaks": [{"length": 3, "points": 2, "is_repeatable": True}],
        "milestones": [{"name": "Ten", "points": 10, "quantity": 10}],
    },
}


def test_create_and_read_a_task(client: FlaskClient, session: Session, world: World) -> None:
    response = client.post(
        f"/api/v1/programs/{world.program.id}/tasks",
        json=VALID_TASK,
        headers=auth(session, world.manager),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["program_id"] == world.program.id
    assert body["frequency_settings"] == VALID_TASK["frequency_settings"]
    assert body["bonus_values"]["streaks"][0] == {
        "name": None,
        "length": 3,
        "points": 2,
        "period": "day",
        "is_repeatable": True,
    }
    read = client.get(f"/api/v1/tasks/{body['id']}")
    assert read.status_code == 200
    assert read.json["deadline"].startswith("2030-01-01T00:00:00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"point_value": -1}, "point_value"),
        ({"point_value": 1.5}, "point_value"),
        ({"point_value": 2**63}, "point_value"),
        ({"point_value": "10"}, "point_value"),
        ({"point_value": None}, "point_value"),
        ({"max_multiple": 0}, "max_multiple"),
        ({"target": -3}, "target"),
        ({"deadline": "2030-01-01T00:00:00"}, "deadline"),
        (
            {"frequency_settings": {"quantity": 0, "time_unit": "day"}},
            "frequency_settings.quantity",
        ),
        (
            {"frequency_settings": {"quantity": 2, "time_unit": "fortnight"}},
            "frequency_settings.time_unit",
        ),
        (
            {"frequency_settings": {"quantity": 2, "time_unit_quantity": 0, "time_unit": "day"}},
            "frequency_settings.time_unit_quantity",
        ),
        (
            {"availability_settings": {"schedules": [{"days_of_week": [7]}]}},
            "availability_settings.schedules.0.days_of_week",
        ),
        (
            {"availability_settings": {"schedules": [{"rrule": "FREQ=SECONDLY"}]}},
            "availability_settings.schedules.0.rrule",
        ),
        (
            {"bonus_values": {"streaks": [{"length": 3, "points": -2}]}},
            "bonus_values.streaks.0.points",
        ),
        ({"bonus_values": {"reach_total": 10**15}}, "bonus_values.reach_total"),
        ({"created_by": 1}, "created_by"),
        ({"program_id": 99}, "program_id"),
        ({"allows_partial": True}, "point_value_partial"),
        ({"bonus_values": {"group_success": {"points": 3}}}, "bonus_values.group_success"),
    ],
)
def test_bad_tasks_get_422_and_nothing_changes(
    client: FlaskClient, session: Session, world: World, change: dict[str, Any], field: str
) -> None:
    before = count(session, Task)
    response = client.post(
        f"/api/v1/programs/{world.program.id}/tasks",
        json={**VALID_TASK, **change},
        headers=auth(session, world.manager),
    )
    assert response.status_code == 422, response.json
    assert response.json["code"] == "validation_failed"
    assert field in [e["field"] for e in response.json["errors"]]
    assert count(session, Task) == before


def test_patch_is_validated_as_a_whole_and_changes_nothing_when_bad(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(session, world.program, point_value=10, target=5)
    headers = auth(session, world.owner)
    # Wrong only together with the task's point_value: 409 (the body alone is well-formed).
    bad = client.patch(
        f"/api/v1/tasks/{task.id}", json={"point_value_partial": 20}, headers=headers
    )
    assert (bad.status_code, bad.json["code"]) == (409, "invalid_settings")
    assert bad.json["errors"][0]["field"] == "point_value_partial"
    null = client.patch(f"/api/v1/tasks/{task.id}", json={"name": None}, headers=headers)
    assert null.status_code == 422
    unchanged = client.get(f"/api/v1/tasks/{task.id}").json
    assert (unchanged["point_value_partial"], unchanged["name"]) == (None, task.name)
    good = client.patch(
        f"/api/v1/tasks/{task.id}", json={"target": None, "name": "Renamed"}, headers=headers
    )
    assert good.status_code == 200
    assert (good.json["target"], good.json["name"]) == (None, "Renamed")


def test_member_cannot_edit_and_outsider_cannot_see_private_tasks(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(session, world.program, privacy_mode="private")
    members_only = make_task(session, world.program, privacy_mode="members")
    public = make_task(session, world.program)
    patch = client.patch(
        f"/api/v1/tasks/{public.id}", json={"name": "x"}, headers=auth(session, world.member)
    )
    assert patch.status_code == 403
    assert (
        client.get(f"/api/v1/tasks/{task.id}", headers=auth(session, world.member)).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/tasks/{task.id}", headers=auth(session, world.stamper)).status_code
        == 200
    )
    listed = client.get(
        f"/api/v1/programs/{world.program.id}/tasks", headers=auth(session, world.member)
    )
    assert {t["id"] for t in listed.json["items"]} == {members_only.id, public.id}
    anonymous = client.get(f"/api/v1/programs/{world.program.id}/tasks")
    assert {t["id"] for t in anonymous.json["items"]} == {public.id}


def test_task_list_pages(client: FlaskClient, session: Session, world: World) -> None:
    ids = [make_task(session, world.program).id for _ in range(3)]
    first = client.get(f"/api/v1/programs/{world.program.id}/tasks?limit=2")
    assert [t["id"] for t in first.json["items"]] == ids[:0:-1]
    second = client.get(
        f"/api/v1/programs/{world.program.id}/tasks?limit=2&cursor={first.json['next_cursor']}"
    )
    assert [t["id"] for t in second.json["items"]] == [ids[0]]
    assert second.json["next_cursor"] is None


def test_delete_task(client: FlaskClient, session: Session, world: World) -> None:
    task = make_task(session, world.program, point_value=10)
    stamped = post_stamp(client, session, world.member, task, membership_id=world.membership.id)
    assert stamped.status_code == 201
    headers = auth(session, world.owner)
    url = f"/api/v1/tasks/{task.id}"
    membership = world.membership.id
    response = client.delete(url, headers=headers)
    assert response.status_code == 204
    gone = [
        client.get(url),
        client.get(url, headers=headers),
        client.patch(url, headers=headers, json={"name": "x"}),
        client.delete(url, headers=headers),
        client.get(f"{url}/stamps", headers=headers),
        post_stamp(client, session, world.member, task, membership_id=membership),
        client.put(f"{url}/overrides/{membership}", headers=headers, json={"target": 3}),
        client.delete(f"{url}/overrides/{membership}", headers=headers),
    ]
    assert [(r.status_code, r.json["code"]) for r in gone] == [(404, "not_found")] * len(gone)
    listed = client.get(f"/api/v1/programs/{world.program.id}/tasks", headers=headers)
    assert task.id not in [t["id"] for t in listed.json["items"]]
    # The points it gave stay, and their entry still names the stamp that caused them.
    entries = client.get(
        f"/api/v1/memberships/{membership}/entries", headers=auth(session, world.member)
    ).json["items"]
    assert [(e["amount"], e["cause_type"], e["cause_id"]) for e in entries] == [
        (10, "stamp", stamped.json["stamp"]["id"])
    ]


# --- Stamping -----------------------------------------------------------------------------------


def test_stamp_answers_points_and_breakdown(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(
        session,
        world.program,
        point_value=10,
        bonus_values={"streaks": [{"name": "3-day streak", "length": 3, "points": 2}]},
    )
    for days_ago in (2, 1):
        session.add(
            Stamp(
                task_id=task.id,
                membership_id=world.membership.id,
                quantity=1,
                local_date=(NOW - timedelta(days=days_ago)).date(),
                time_zone="UTC",
                created_at=NOW - timedelta(days=days_ago),
            )
        )
    session.flush()
    response = post_stamp(
        client, session, world.member, task, membership_id=world.membership.id, note="hi"
    )
    assert response.status_code == 201, response.json
    assert response.json["points"] == 12
    assert response.json["breakdown"] == [
        {"kind": "base", "name": None, "points": 10},
        {"kind": "streak", "name": "3-day streak", "points": 2},
    ]
    stamp = response.json["stamp"]
    assert (stamp["membership_id"], stamp["quantity"], stamp["partial"], stamp["note"]) == (
        world.membership.id,
        1,
        False,
        "hi",
    )
    assert stamp["created_at"].startswith("2024-05-06T10:00:00")
    assert stamp["local_date"] == "2024-05-06"


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 0},
        {"quantity": -1},
        {"quantity": 1.5},
        {"quantity": "2"},
        {"quantity": 10**20},
        {"quantity": None},
        {"membership_id": "abc"},
        {"partial": "maybe"},
        {"points": 1000},
        {"stamped_by": 1},
    ],
)
def test_bad_stamp_bodies_get_422_and_nothing_changes(
    client: FlaskClient, session: Session, world: World, body: dict[str, Any]
) -> None:
    task = make_task(session, world.program, allows_multiple=True)
    response = post_stamp(
        client, session, world.member, task, **{"membership_id": world.membership.id, **body}
    )
    assert response.status_code == 422
    assert count(session, Stamp) == 0
    assert count(session, LedgerEntry) == 0


@pytest.mark.parametrize(
    ("fields", "stamp_body", "status", "code"),
    [
        ({"deadline": NOW}, {}, 409, "deadline_passed"),
        ({"deadline": NOW + timedelta(seconds=1)}, {}, 201, None),
        ({"allows_multiple": True, "max_multiple": 2}, {"quantity": 3}, 409, "max_reached"),
        ({"allows_multiple": True, "max_multiple": 2}, {"quantity": 2}, 201, None),
        ({}, {"partial": True}, 409, "partial_not_allowed"),
        (
            {
                "availability_settings": {
                    "must_stamp_during": True,
                    "schedules": [{"days_of_week": [5, 6]}],
                }
            },
            {},
            409,
            "task_unavailable",
        ),
    ],
)
def test_stamp_refusals_by_code(
    client: FlaskClient,
    session: Session,
    world: World,
    fields: dict[str, Any],
    stamp_body: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    task = make_task(session, world.program, **fields)
    response = post_stamp(
        client, session, world.member, task, membership_id=world.membership.id, **stamp_body
    )
    assert response.status_code == status, response.json
    if code:
        assert response.json["code"] == code
        assert count(session, Stamp) == 0


def test_frequency_refusal_says_when_it_resets(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(
        session, world.program, frequency_settings={"quantity": 1, "time_unit": "week"}
    )
    assert (
        post_stamp(
            client, session, world.member, task, membership_id=world.membership.id
        ).status_code
        == 201
    )
    refused = post_stamp(client, session, world.member, task, membership_id=world.membership.id)
    assert refused.status_code == 409
    assert refused.json["code"] == "frequency_exceeded"
    assert refused.json["resets_at"] == "2024-05-13T00:00:00+00:00"


def test_stamp_with_idempotency_key_happens_once(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(session, world.program)
    headers = {**auth(session, world.member), "Idempotency-Key": "stamp-1"}
    body = {"membership_id": world.membership.id}
    first = client.post(f"/api/v1/tasks/{task.id}/stamps", json=body, headers=headers)
    again = client.post(f"/api/v1/tasks/{task.id}/stamps", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert count(session, Stamp) == 1
    session.refresh(world.membership)
    assert world.membership.balance == 10


# --- Revoking and notes --------------------------------------------------------------------------


def test_revoke_via_api(client: FlaskClient, session: Session, world: World, app: Flask) -> None:
    task = make_task(session, world.program, bonus_values={"first_time_only": 3})
    stamp_id = post_stamp(
        client, session, world.member, task, membership_id=world.membership.id
    ).json["stamp"]["id"]
    headers = auth(session, world.owner)
    response = client.delete(f"/api/v1/stamps/{stamp_id}", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["points"] == 13
    assert [e["amount"] for e in response.json["reversals"]] == [-10, -3]
    assert {e["kind"] for e in response.json["reversals"]} == {"reversal"}
    assert response.json["stamp"]["revoked_at"].startswith("2024-05-06T10:00:00")
    again = client.delete(f"/api/v1/stamps/{stamp_id}", headers=headers)
    assert (again.status_code, again.json["code"]) == (409, "already_revoked")
    with app.app_context():
        assert find_discrepancies() == []


def test_revoke_that_would_go_negative_is_refused(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(session, world.program)
    stamp_id = post_stamp(
        client, session, world.member, task, membership_id=world.membership.id
    ).json["stamp"]["id"]
    spend(session, world, 10)
    response = client.delete(f"/api/v1/stamps/{stamp_id}", headers=auth(session, world.owner))
    assert (response.status_code, response.json["code"]) == (409, "insufficient_points")
    assert session.get(Stamp, stamp_id).revoked_at is None  # type: ignore[union-attr]
    spend(session, world, -10)
    assert (
        client.delete(f"/api/v1/stamps/{stamp_id}", headers=auth(session, world.owner)).status_code
        == 200
    )


def test_personal_note(client: FlaskClient, session: Session, world: World) -> None:
    task = make_task(session, world.program)
    stamp = make_stamp(session, task, world.membership)
    mine = client.patch(
        f"/api/v1/stamps/{stamp.id}", json={"note": "rainy"}, headers=auth(session, world.member)
    )
    assert (mine.status_code, mine.json["note"]) == (200, "rainy")
    theirs = client.patch(
        f"/api/v1/stamps/{stamp.id}", json={"note": "x"}, headers=auth(session, world.other)
    )
    assert theirs.status_code == 403
    outsider = client.patch(
        f"/api/v1/stamps/{stamp.id}", json={"note": "x"}, headers=auth(session, world.outsider)
    )
    assert outsider.status_code in {403, 404}
    too_long = client.patch(
        f"/api/v1/stamps/{stamp.id}", json={"note": "x" * 501}, headers=auth(session, world.member)
    )
    assert too_long.status_code == 422


# --- Overrides ----------------------------------------------------------------------------------


def test_override_endpoints(client: FlaskClient, session: Session, world: World) -> None:
    task = make_task(session, world.program, target=1)
    url = f"/api/v1/tasks/{task.id}/overrides/{world.membership.id}"
    put = client.put(url, json={"target": 2}, headers=auth(session, world.owner))
    assert put.status_code == 200, put.json
    assert (put.json["target"], put.json["membership_id"]) == (2, world.membership.id)
    assert (
        client.put(url, json={"target": 0}, headers=auth(session, world.owner)).status_code == 422
    )
    assert (
        client.put(url, json={"target": 3}, headers=auth(session, world.member)).status_code == 403
    )
    for _ in range(2):
        assert (
            post_stamp(
                client, session, world.member, task, membership_id=world.membership.id
            ).status_code
            == 201
        )
    assert client.delete(url, headers=auth(session, world.owner)).status_code == 204
    assert client.delete(url, headers=auth(session, world.owner)).status_code == 404


# --- History privacy ----------------------------------------------------------------------------


def history(client: FlaskClient, session: Session, viewer: Any, task: Task, query: str = ""):
    headers = auth(session, viewer) if viewer is not None else {}
    return client.get(f"/api/v1/tasks/{task.id}/stamps{query}", headers=headers)


def test_history_follows_each_members_privacy(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(session, world.program)
    mine = make_stamp(session, task, world.membership, at=NOW - timedelta(days=2))
    theirs = make_stamp(session, task, world.other_membership, at=NOW - timedelta(days=1))
    world.other.privacy_settings = {"task_history": "private"}
    session.flush()

    own = history(client, session, world.member, task)
    assert [s["id"] for s in own.json["items"]] == [mine.id]
    hidden = history(client, session, world.member, task, f"?user_id={world.other.id}")
    assert hidden.status_code == 404
    by_membership = history(
        client, session, world.member, task, f"?membership_id={world.other_membership.id}"
    )
    assert by_membership.status_code == 404
    team = history(client, session, world.stamper, task)
    assert [s["id"] for s in team.json["items"]] == [theirs.id, mine.id]

    world.other.privacy_settings = {"task_history": "members"}
    session.flush()
    shared = history(client, session, world.member, task, f"?user_id={world.other.id}")
    assert [s["id"] for s in shared.json["items"]] == [theirs.id]
    assert (
        history(client, session, world.outsider, task, f"?user_id={world.other.id}").status_code
        == 404
    )
    assert history(client, session, None, task).json["items"] == []

    world.other.privacy_settings = {"task_history": "public"}
    session.flush()
    assert [s["id"] for s in history(client, session, None, task).json["items"]] == [theirs.id]


def test_history_filters_by_period(client: FlaskClient, session: Session, world: World) -> None:
    task = make_task(session, world.program)
    make_stamp(session, task, world.membership, at=NOW - timedelta(days=3))
    recent = make_stamp(session, task, world.membership, at=NOW - timedelta(hours=1))
    since = (NOW - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    response = history(client, session, world.member, task, f"?since={since}")
    assert [s["id"] for s in response.json["items"]] == [recent.id]


# --- Stats --------------------------------------------------------------------------------------


def test_program_stats(client: FlaskClient, session: Session, world: World) -> None:
    task = make_task(session, world.program, name="Run")
    post_stamp(client, session, world.member, task, membership_id=world.membership.id)
    spend(session, world, 4)
    old = make_stamp(session, task, world.other_membership, at=NOW - timedelta(days=30))
    assert old.id
    since = (NOW - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    response = client.get(
        f"/api/v1/programs/{world.program.id}/stats?since={since}",
        headers=auth(session, world.owner),
    )
    assert response.status_code == 200, response.json
    assert response.json == {
        "program_id": world.program.id,
        "members": 5,
        "points_issued": 10,
        "points_spent": 4,
        "tasks": [{"task_id": task.id, "name": "Run", "stamps": 1, "quantity": 1}],
    }
    member_view = client.get(
        f"/api/v1/programs/{world.program.id}/stats", headers=auth(session, world.member)
    )
    assert member_view.status_code == 200
    assert member_view.json["tasks"][0]["stamps"] == 2
    outsider = client.get(
        f"/api/v1/programs/{world.program.id}/stats", headers=auth(session, world.outsider)
    )
    assert outsider.status_code == 403


def test_a_cancelled_receipts_refund_is_not_counted_as_points_issued(
    client: FlaskClient, session: Session, world: World
) -> None:
    task = make_task(session, world.program, name="Coffee", point_value=15)
    stamped = post_stamp(client, session, world.member, task, membership_id=world.membership.id)
    assert stamped.status_code == 201, stamped.json
    reward = make_reward(session, world.shop, name="Cookie", cost=3)
    redeemed = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": world.membership.id},
        headers=auth(session, world.member),
    )
    assert redeemed.status_code == 201, redeemed.json
    owner = auth(session, world.owner)
    cancelled = client.post(
        f"/api/v1/redemptions/{redeemed.json['id']}/cancel",
        json={"reason": "Out of cookies"},
        headers=owner,
    )
    assert cancelled.status_code == 200, cancelled.json
    since = (NOW - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    for query in ("", f"?since={since}"):
        stats = client.get(f"/api/v1/programs/{world.program.id}/stats{query}", headers=owner)
        assert stats.status_code == 200, stats.json
        # The stamp earned 15; the 3 given back by the cancellation were not earned.
        assert (stats.json["points_issued"], stats.json["points_spent"]) == (15, 0), query


def test_stats_of_a_private_program(client: FlaskClient, session: Session) -> None:
    world = make_world(session, privacy_mode="private")
    url = f"/api/v1/programs/{world.program.id}/stats"
    assert client.get(url, headers=auth(session, world.member)).status_code == 403
    assert client.get(url, headers=auth(session, world.outsider)).status_code == 404
    assert client.get(url, headers=auth(session, world.stamper)).status_code == 200


def test_openapi_documents_the_task_routes(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/programs/{program_id}/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/stamps",
        "/api/v1/stamps/{stamp_id}",
        "/api/v1/tasks/{task_id}/overrides/{membership_id}",
        "/api/v1/programs/{program_id}/stats",
    ):
        assert path in paths
