"""A deleted thing is gone for the API (issue 20): after ``DELETE`` of a shop, program, task or
reward (each kept in the database, archived, so the ledger's history survives), every API route
at or under its path answers 404 ``not_found``, to those who ran it too.

What schemathesis's ``use_after_free`` check asks of a stateful run, for every route under
every archiving ``DELETE``, found from the URL map: a route added under one is covered as it
is added. Bodies, queries and URL variables are the authorization table's (valid, so a 404
means the object is gone, not that the input was refused).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.reliability.authz_calls import call, collection_app, seeded_world, url_for_route
from tests.reliability.authz_table import DEFAULT_ARGS, EXPECTED, Case
from tests.reliability.authz_world import World, is_page, rolled_back

# The DELETEs that archive rather than remove, by the URL variable naming what they delete.
ARCHIVING = {
    "flows.delete_shop": "shop_id",
    "programs.delete_program": "program_id",
    "tasks.delete_task": "task_id",
    "rewards.delete_reward": "reward_id",
}
# Who deletes and then tries: the shop's creator, and a platform admin.
CALLERS = ("creator", "admin")


def _routes_under() -> list[tuple[str, str, str]]:
    """(deleting endpoint, endpoint, method) of every API route at or under a deleted path."""
    app = collection_app()
    rules = list(app.url_map.iter_rules())
    found = []
    for deleting in ARCHIVING:
        item = next(r.rule for r in rules if r.endpoint == deleting)
        for rule in rules:
            if is_page(app, rule.endpoint) or not (
                rule.rule == item or rule.rule.startswith(f"{item}/")
            ):
                continue
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((deleting, rule.endpoint, method))
    return found


ROUTES = _routes_under()


@pytest.fixture(scope="module")
def seeded(app: Flask, engine: Engine) -> Iterator[tuple[Session, World]]:
    with seeded_world(app, engine) as seeded:
        yield seeded


def test_every_archiving_delete_has_routes_under_it() -> None:
    assert {deleting for deleting, _, _ in ROUTES} == set(ARCHIVING)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("deleting", "endpoint", "method"), ROUTES, ids=[f"{d}>{e}-{m}" for d, e, m in ROUTES]
)
def test_a_deleted_thing_is_gone_under_its_path(
    app: Flask,
    seeded: tuple[Session, World],
    caller: str,
    deleting: str,
    endpoint: str,
    method: str,
) -> None:
    session, world = seeded
    case = EXPECTED[(endpoint, method)]
    name = ARCHIVING[deleting]
    # Delete the very object the route is aimed at (a route may aim at another than the default).
    target = Case(case.expect, args={name: case.args.get(name, DEFAULT_ARGS[name])})
    with rolled_back(session):
        if case.prepare is not None:
            case.prepare(session, world)
            session.flush()
        deleted = call(app, world, "creator", deleting, "DELETE", target)
        assert deleted.status_code == 204, deleted.get_data(as_text=True)
        response = call(app, world, caller, endpoint, method, case)
    url = url_for_route(app, world, endpoint, method, case)
    assert (response.status_code, response.mimetype) == (404, "application/problem+json"), (
        f"{method} {url} after the DELETE: {response.get_data(as_text=True)[:300]}"
    )
    assert response.json["code"] == "not_found"
