"""Every route of the app, called by every role, against the declared table (cases 26, 27).

The routes come from the app's URL map, not from a list kept by hand: a new route that is
missing from ``authz_table.EXPECTED`` fails here until someone declares who may call it.
Each call runs in a savepoint that is rolled back, on one world seeded once per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Role, Shop
from stampbook.tasks.models import Task
from tests.reliability.authz_calls import (
    call,
    outcome,
    routes_at_collection,
    routes_of,
    seeded_world,
)
from tests.reliability.authz_table import EXPECTED
from tests.reliability.authz_world import ROLES, World, is_page, rolled_back

ROUTES = routes_at_collection()


@pytest.fixture(scope="module")
def seeded(app: Flask, engine: Engine) -> Iterator[tuple[Session, World]]:
    with seeded_world(app, engine) as seeded:
        yield seeded


def test_every_route_is_in_the_table(app: Flask) -> None:
    routes = routes_of(app)
    missing = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)
    assert not missing, (
        f"routes without a declared authorization row: {missing}; add each to EXPECTED in "
        "tests/reliability/authz_table.py, saying what every role gets"
    )
    assert not stale, f"rows for routes that no longer exist: {stale}; remove them"
    assert set(ROUTES) == routes  # the collected matrix is the app's whole URL map


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{e}-{m}" for e, m in ROUTES])
def test_route_answers_each_role_as_declared(
    app: Flask, seeded: tuple[Session, World], endpoint: str, method: str
) -> None:
    case = EXPECTED.get((endpoint, method))
    if case is None:
        pytest.fail(
            f"{method} {endpoint} is not in the authorization table: add "
            f"EXPECTED[({endpoint!r}, {method!r})] = Case(row(...)) to "
            "tests/reliability/authz_table.py, with a minimal valid body for writes"
        )
    session, world = seeded
    page = is_page(app, endpoint)
    wrong = []
    with rolled_back(session):
        if case.prepare is not None:
            case.prepare(session, world)
            session.flush()
        for role in ROLES:
            with rolled_back(session):
                response = call(app, world, role, endpoint, method, case)
            got = outcome(response, page)
            if got != case.expect[role]:
                detail = response.get_data(as_text=True)[:200]
                wrong.append(f"{role}: expected {case.expect[role]}, got {got}: {detail}")
    assert not wrong, f"{method} {endpoint}:\n" + "\n".join(wrong)


# --- IDOR: another member's things answer 404, never 403 or 200 (case 26) --------------------


def _private_member(session: Session, world: World) -> None:
    """The member keeps their memberships and task history to themselves."""
    session.execute(
        update(User)
        .where(User.id == world.users["member"])
        .values(privacy_settings={"memberships": "private", "task_history": "private"})
    )
    session.flush()


def _balance(session: Session, membership_id: int) -> int:
    found = session.scalar(select(Membership.balance).where(Membership.id == membership_id))
    assert found is not None
    return found


IDOR_REQUESTS = [
    ("GET", "/api/v1/memberships/{membership}", None),
    ("PATCH", "/api/v1/memberships/{membership}", {"role_type": "stamper"}),
    ("DELETE", "/api/v1/memberships/{membership}", None),
    ("GET", "/api/v1/memberships/{membership}/entries", None),
    ("POST", "/api/v1/memberships/{membership}/adjustments", {"amount": -50, "note": "mine"}),
    ("POST", "/api/v1/rewards/{reward}/redemptions", {"membership_id": "{membership}"}),
    (
        "POST",
        "/api/v1/rewards/{group_reward}/contributions",
        {"membership_id": "{membership}", "points": 5},
    ),
    ("POST", "/api/v1/tasks/{task}/stamps", {"membership_id": "{membership}"}),
    ("GET", "/api/v1/redemptions/{redemption}", None),
    ("POST", "/api/v1/redemptions/{redemption}/cancel", {"reason": "mine now"}),
    ("POST", "/api/v1/redemptions/{redemption}/fulfil", None),
    ("PATCH", "/api/v1/stamps/{stamp}", {"note": "mine"}),
    ("DELETE", "/api/v1/stamps/{stamp}", None),
]


def _fill(value: Any, world: World) -> Any:
    if isinstance(value, str) and value.startswith("{"):
        return world.ids[value.strip("{}")]
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    return value


@pytest.mark.parametrize("attacker", ["other", "outsider"])
@pytest.mark.parametrize(("method", "path", "body"), IDOR_REQUESTS)
def test_another_members_things_are_not_found(
    app: Flask,
    seeded: tuple[Session, World],
    attacker: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    """A co-member ("other") and a stranger who runs another shop ("outsider")."""
    session, world = seeded
    with rolled_back(session):
        _private_member(session, world)
        before = _balance(session, world.ids["membership"])
        response = app.test_client().open(
            path.format(**world.ids),
            method=method,
            json=_fill(body, world),
            headers={"Authorization": f"Bearer {world.bearer[attacker]}"},
        )
        assert response.status_code == 404, response.json
        assert _balance(session, world.ids["membership"]) == before


def test_private_memberships_are_not_listed_or_named(
    app: Flask, seeded: tuple[Session, World]
) -> None:
    session, world = seeded
    with rolled_back(session):
        _private_member(session, world)
        client, headers = app.test_client(), {"Authorization": f"Bearer {world.bearer['other']}"}
        listed = client.get(f"/api/v1/programs/{world.ids['program']}/memberships", headers=headers)
        assert world.ids["membership"] not in {m["id"] for m in listed.json["items"]}
        stamps = client.get(f"/api/v1/tasks/{world.ids['task']}/stamps", headers=headers)
        assert world.ids["membership"] not in {s["membership_id"] for s in stamps.json["items"]}
        only_theirs = client.get(
            f"/api/v1/tasks/{world.ids['task']}/stamps",
            query_string={"membership_id": world.ids["membership"]},
            headers=headers,
        )
        assert only_theirs.status_code == 404
        board = client.get(f"/api/v1/programs/{world.ids['program']}/leaderboard", headers=headers)
        place = next(
            e for e in board.json["items"] if e["membership_id"] == world.ids["membership"]
        )
        assert (place["user_id"], place["name"]) == (None, None)


def test_logging_out_ends_only_the_callers_token(app: Flask, seeded: tuple[Session, World]) -> None:
    """Tokens are per caller: no route names a token, and logging out ends only one's own."""
    session, world = seeded
    client = app.test_client()
    member, other = world.headers("member"), {"Authorization": f"Bearer {world.bearer['other']}"}
    with rolled_back(session):
        assert client.delete("/api/v1/tokens/current", headers=other).status_code == 204
        assert client.get("/api/v1/users/me", headers=other).status_code == 401
        me = client.get("/api/v1/users/me", headers=member)
        assert (me.status_code, me.json["id"]) == (200, world.users["member"])
        # The member's own token in someone else's request is just the member logging out.
        assert client.delete("/api/v1/tokens/current", headers=member).status_code == 204
        assert client.get("/api/v1/users/me", headers=member).status_code == 401
    token_routes = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/tokens")]
    assert all("<" not in rule for rule in token_routes), token_routes


# --- Mass assignment: fields nobody sets through the API (case 27) ----------------------------

# (name, URL, who may edit it, its model and id in the world, a legitimate change)
PATCHABLE: list[tuple[str, str, str, type[Any], str, dict[str, Any]]] = [
    ("user", "/api/v1/users/me", "member", User, "member", {"name": "Sneaky"}),
    ("shop", "/api/v1/shops/{shop}", "creator", Shop, "shop", {"name": "Sneaky"}),
    ("program", "/api/v1/programs/{program}", "creator", Program, "program", {"name": "Sneaky"}),
    (
        "membership",
        "/api/v1/memberships/{membership}",
        "creator",
        Membership,
        "membership",
        {"permission_settings": {"stamp": True}},
    ),
    ("task", "/api/v1/tasks/{task}", "creator", Task, "task", {"name": "Sneaky"}),
    ("reward", "/api/v1/rewards/{reward}", "creator", Reward, "reward", {"name": "Sneaky"}),
    (
        "role",
        "/api/v1/roles/{assistant_role}",
        "creator",
        Role,
        "assistant_role",
        {"permission_settings": {"stamp": True}},
    ),
]
# A field nobody may set, and the value an attacker would like.
FORBIDDEN_FIELDS: dict[str, Any] = {
    "balance": 10**6,
    "created_by": "{outsider}",
    "role": "manager",
    "role_type": "manager",
    "shop_id": "{outsiders_shop}",
    "program_id": "{merge_source}",
    "user_id": "{outsider}",
    "is_admin": True,
    "id": 1,
    "deleted_at": None,
}
# role_type is the point of these two PATCHes (escalation is checked by their own tests).
ALLOWED = {("membership", "role_type"), ("role", "role_type")}


def _row(session: Session, model: type[Any], object_id: int) -> dict[str, Any]:
    found = session.execute(select(model.__table__).where(model.id == object_id)).mappings().one()
    return dict(found)


MASS_ASSIGNMENT = [
    pytest.param(*patchable, field, id=f"{patchable[0]}-{field}")
    for patchable in PATCHABLE
    for field in FORBIDDEN_FIELDS
    if (patchable[0], field) not in ALLOWED
]


@pytest.mark.parametrize(
    ("name", "path", "editor", "model", "object_name", "change", "field"), MASS_ASSIGNMENT
)
def test_patch_refuses_fields_it_does_not_own(
    app: Flask,
    seeded: tuple[Session, World],
    name: str,
    path: str,
    editor: str,
    model: type[Any],
    object_name: str,
    change: dict[str, Any],
    field: str,
) -> None:
    session, world = seeded
    ids = {**world.ids, "outsider": world.users["outsider"]}
    value = FORBIDDEN_FIELDS[field]
    if isinstance(value, str) and value.startswith("{"):
        value = ids[value.strip("{}")]
    object_id = world.users["member"] if model is User else world.ids[object_name]
    with rolled_back(session):
        before = _row(session, model, object_id)
        response = app.test_client().patch(
            path.format(**ids), json={**change, field: value}, headers=world.headers(editor)
        )
        assert response.status_code == 422, response.json
        assert response.json["code"] == "validation_failed"
        assert _row(session, model, object_id) == before
    with rolled_back(session):  # the legitimate change alone goes through
        response = app.test_client().patch(
            path.format(**ids), json=change, headers=world.headers(editor)
        )
        assert response.status_code == 200, response.json


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_admin_does_not_answer_someone_elses_invitation(
    app: Flask, seeded: tuple[Session, World], answer: str
) -> None:
    """Regression: admins passed the policy and took the invitation (and membership) over."""
    session, world = seeded
    invitation = world.ids["invitation"]
    with rolled_back(session):
        response = app.test_client().post(
            f"/api/v1/invitations/{invitation}/{answer}", headers=world.headers("admin")
        )
        assert response.status_code == 404
        outsider = app.test_client().get("/api/v1/invitations", headers=world.headers("outsider"))
        assert [(i["id"], i["status"]) for i in outsider.json["items"]] == [(invitation, "pending")]
        admins = app.test_client().get("/api/v1/memberships", headers=world.headers("admin"))
        assert admins.json["items"] == []
