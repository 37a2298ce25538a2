"""What the page tests share: signing in through the login form, posting a form with its CSRF
token, reading what a page says next to a field, checking that pages escape what users write
and count their SQL statements, and a small café to test on (the ``cafe`` fixture in
``conftest.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task
from tests.querycount import count_statements

EVIL = "<script>alert(1)</script>"
# The SQL statements a page may send, however much it shows (tests/querycount.py counts them).
PAGE_BUDGET = 15
# My own settings (the home page shows what waits for me).
SETTINGS_PAGES = (
    "/account",
    "/account/privacy",
    "/account/order",
    "/account/stars",
    "/account/email",
    "/account/delete",
    "/account/password",
)


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def task_path(task: Task) -> str:
    return f"/tasks/{task.id}"


def log_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.get_data(as_text=True))


def post(client: FlaskClient, path: str, form_page: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    """Post ``data`` to ``path`` with the CSRF token of the form on ``form_page``."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page)})


def signed_in(app: Flask, user: User) -> FlaskClient:
    """Another browser on the app, signed in as ``user``."""
    browser = app.test_client()
    log_in(browser, user.email)
    return browser


def redeem(client: FlaskClient, reward: Reward, membership: Membership, **data: Any) -> Any:
    """Redeem ``reward`` from its page, paying with ``membership``."""
    page = f"/rewards/{reward.id}"
    return post(client, f"{page}/redeem", page, {"membership_id": membership.id, **data})


def field_error(page: str, message: str) -> bool:
    """``message`` is shown as a field's error (next to it), not only somewhere on the page."""
    return bool(re.search(r'class="invalid-feedback[^"]*">[^<]*' + re.escape(message), page))


def error_next_to(page: str, field: str, message: str) -> bool:
    """The message is shown in the help of ``field`` (next to it, for assistive tech too)."""
    found = re.search(rf'id="{field}-help" class="invalid-feedback[^"]*">([^<]*)<', page)
    return found is not None and message in found.group(1).replace("&#39;", "'")


def help_of(page: str, field_id: str) -> str:
    """The help or error text shown next to the input ``field_id``."""
    match = re.search(rf'<div id="{re.escape(field_id)}-help"[^>]*>(.*?)</div>', page, re.S)
    assert match, f"no help for {field_id}"
    return match.group(1)


def assert_escaped(client: FlaskClient, paths: Iterable[str]) -> None:
    """Each page shows what users wrote (``EVIL`` and the like) as text, never as markup."""
    for path in paths:
        page = text_of(client.get(path))
        assert EVIL not in page, path
        assert "&lt;script&gt;" in page, path


def statement_counts(client: FlaskClient, engine: Engine, paths: Iterable[str]) -> dict[str, int]:
    """The SQL statements each page sends (each must answer 200)."""
    counts = {}
    for path in paths:
        with count_statements(engine) as statements:
            assert client.get(path).status_code == 200, path
        counts[path] = statements.count
    return counts


@dataclass
class Cafe:
    owner: User
    member: User
    shop: Shop
    program: Program
    task: Task
    coffee: Reward
    cake: Reward
    membership: Membership


def make_cafe(session: Session) -> Cafe:
    owner = make_user(session, email="owner@example.com", name="Olga Owner")
    member = make_user(session, email="ada@example.com", name="Ada Member")
    shop = make_shop(session, owner, name="Corner Café", summary="Coffee and cake")
    program = make_program(session, shop, name="Coffee card")
    make_membership(session, program, owner, role_type="manager")
    task = make_task(
        session,
        program,
        name="Buy a coffee",
        point_value=10,
        frequency_settings={"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"},
        bonus_values={"first_time_only": 5},
    )
    coffee = make_reward(session, shop, name="Free coffee", cost=12, quantity=5)
    cake = make_reward(session, shop, name="Cake", cost=500)
    membership = make_membership(session, program, member)
    return Cafe(owner, member, shop, program, task, coffee, cake, membership)
