"""How the suites call every route: its URL with the world's ids, as each role.

Shared by the authorization matrix and the web security suite.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stampbook import create_app
from stampbook.app import LIBRARY_ENDPOINTS
from tests.reliability.authz_table import ALLOW, DEFAULT_ARGS, REFUSED, STATUSES, Case
from tests.reliability.authz_world import (
    BODY_METHODS,
    World,
    browser,
    build_world,
    csrf_token,
    fast_passwords,
    is_page,
    module_database,
)

AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})


def routes_of(app: Flask) -> set[tuple[str, str]]:
    """(endpoint, method) of every route we registered: API routes and pages."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in LIBRARY_ENDPOINTS
        for method in (rule.methods or set()) - AUTOMATIC_METHODS
    }


@cache
def collection_app() -> Flask:
    """An app built just to read its URL map while tests are collected (no fixtures yet)."""
    saved = os.environ.get("STAMPBOOK_INSTANCE")
    with tempfile.TemporaryDirectory() as instance:
        os.environ["STAMPBOOK_INSTANCE"] = instance
        try:
            return create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
        finally:
            if saved is None:
                os.environ.pop("STAMPBOOK_INSTANCE", None)
            else:
                os.environ["STAMPBOOK_INSTANCE"] = saved


def routes_at_collection() -> list[tuple[str, str]]:
    return sorted(routes_of(collection_app()))


@contextmanager
def seeded_world(app: Flask, engine: Engine) -> Iterator[tuple[Session, World]]:
    """The world, built once, for a module-scoped fixture."""
    with fast_passwords(), module_database(app, engine) as session:
        yield session, build_world(app, session)


def url_for_route(app: Flask, world: World, endpoint: str, method: str, case: Case) -> str:
    rule = next(
        r
        for r in app.url_map.iter_rules()
        if r.endpoint == endpoint and method in (r.methods or ())
    )
    values: dict[str, Any] = {}
    for name in rule.arguments:
        if name in case.args:
            values[name] = world.ids[case.args[name]]
        elif name == "user_id":
            values[name] = world.users["member"]
        elif name == "filename":
            values[name] = "swagger-ui.css"
        elif name in DEFAULT_ARGS:
            values[name] = world.ids[DEFAULT_ARGS[name]]
        else:
            pytest.fail(
                f"{endpoint}: no object for the URL variable <{name}>; add it to "
                "DEFAULT_ARGS in tests/reliability/authz_table.py (and to the world)"
            )
    return app.url_map.bind("localhost").build(endpoint, values, method=method)


def call(app: Flask, world: World, role: str, endpoint: str, method: str, case: Case) -> Any:
    url = url_for_route(app, world, endpoint, method, case)
    with app.app_context():  # a body may depend on the app's settings (a door code's key)
        body = case.body(world, role) if callable(case.body) else case.body
    if is_page(app, endpoint):
        client = browser(app, world, role)
        response: Any
        if method not in BODY_METHODS:
            response = client.open(url, method=method)
        else:
            form = {**(body or {}), "csrf_token": csrf_token(client)}
            response = client.open(url, method=method, data=form)
        # A page that refuses by redirecting back says why in a flashed message: keep its
        # category with the response, for ``outcome`` to tell a refusal from a success.
        response.flashed = _flashed(client)
        return response
    return app.test_client().open(
        url, method=method, json=body, query_string=case.query, headers=world.headers(role)
    )


def _flashed(client: FlaskClient) -> list[str]:
    """The categories of the messages the page flashed for the next page to show."""
    with client.session_transaction() as cookie_session:
        return [category for category, _ in cookie_session.get("_flashes", [])]


def outcome(response: Any, page: bool) -> str:
    status = response.status_code
    if page and status in {302, 303} and "danger" in getattr(response, "flashed", ()):
        return REFUSED
    if 200 <= status < 300 or (page and status in {302, 303}):
        return ALLOW
    return next((name for name, code in STATUSES.items() if code == status), f"status {status}")
