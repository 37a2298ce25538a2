"""A body nested thousands of levels deep is refused with a 400, never a 500 (issue 20).

Python's JSON decoder recurses once per level; every route that reads a body gets arrays and
objects nested past the stack, and just past ``MAX_DEPTH``, from a role the authorization
table allows, so the body is really read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stampbook.core.json_body import MAX_DEPTH, depth
from stampbook.core.policy import Access, policy_of
from tests.reliability.authz_calls import routes_at_collection, seeded_world, url_for_route
from tests.reliability.authz_table import ALLOW, AUTH, CONFLICT, EXPECTED
from tests.reliability.authz_world import ROLES, World, is_page, rolled_back


def _nested_arrays(levels: int) -> str:
    return "[" * levels + "]" * levels


def _nested_objects(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


BODIES = {
    "arrays past the stack": _nested_arrays(5000),
    "objects past the stack": _nested_objects(5000),
    "arrays just too deep": _nested_arrays(MAX_DEPTH + 1),
    "objects inside the first field": '{"name": ' + _nested_objects(MAX_DEPTH) + "}",
}


# Read while tests are collected: the app built to read the URL map must not be built later,
# when it would take over the rate limiter's shared state from the session's app.
ROUTES = routes_at_collection()


def _api_writes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, an allowed role) of every API route that reads a body.

    Shopify's webhook reads its raw body itself (its signature is of the bytes) and no role
    opens it: its body is parsed by the same ``core.json_body.loads`` once the signature holds,
    and tests/loyalty/test_shopify_webhooks.py sends it a signed deep body (400)."""
    chosen = []
    for endpoint, method in ROUTES:
        case = EXPECTED.get((endpoint, method))
        view = app.view_functions[endpoint]
        reads_body = "body" in getattr(view, "_spec", {})
        if not reads_body or case is None or is_page(app, endpoint):
            continue
        # A role the route lets through to its body: allowed, or refused only by the object's
        # state (a consultation not finished yet is rated by its member: 409), both of which
        # parse the body first.
        role = (
            next((r for r in ROLES if case.expect[r] == ALLOW), None)
            or next((r for r in ROLES if case.expect[r] == CONFLICT), None)
            or _own_credentials(app, endpoint, case.expect)
        )
        if role is not None:
            chosen.append((endpoint, method, role))
    return chosen


def _own_credentials(app: Flask, endpoint: str, expect: dict[str, str]) -> str | None:
    """Anyone, for a public route that checks its caller's own credentials after reading the
    body (Apple's devices with a pass's token): no role holds them, the body is read first."""
    policy = policy_of(app.view_functions[endpoint])
    if policy is not None and policy.access == Access.PUBLIC and set(expect.values()) == {AUTH}:
        return ROLES[0]
    return None


@pytest.fixture(scope="module")
def seeded(app: Flask, engine: Engine) -> Iterator[tuple[Session, World]]:
    with seeded_world(app, engine) as seeded:
        yield seeded


def test_depth_counts_arrays_and_objects_without_recursion() -> None:
    assert depth(1) == 0
    assert depth({"a": [1, {"b": []}]}) == 4
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert depth(deep) == MAX_DEPTH + 1  # stops counting once past the limit


def test_every_route_that_reads_a_body_refuses_a_deep_one(
    app: Flask, seeded: tuple[Session, World]
) -> None:
    session, world = seeded
    routes = _api_writes(app)
    readers = {e for e, view in app.view_functions.items() if "body" in getattr(view, "_spec", {})}
    assert {endpoint for endpoint, _, _ in routes} == readers  # each reader, by a role it allows
    wrong = []
    for endpoint, method, role in routes:
        case = EXPECTED[(endpoint, method)]
        for name, body in BODIES.items():
            with rolled_back(session):
                if case.prepare is not None:
                    case.prepare(session, world)
                    session.flush()
                raw = app.test_client().open(
                    url_for_route(app, world, endpoint, method, case),
                    method=method,
                    data=body,
                    content_type="application/json",
                    headers=world.headers(role),
                )
            problem = raw.get_json(silent=True) or {}
            if raw.status_code != 400 or problem.get("code") != "json_too_deep":
                wrong.append(f"{method} {endpoint} ({name}): {raw.status_code} {problem}")
    assert not wrong, "\n".join(wrong)
