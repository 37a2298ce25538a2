"""What the page tests share: signing in through the login form, posting a form with its CSRF
token, and a small café to test on (the ``cafe`` fixture in ``conftest.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.rewards import make_reward
from tests.factories.shops import make_membership, make_program, make_shop
from tests.factories.tasks import make_task


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.get_data(as_text=True))


def post(client: FlaskClient, path: str, form_page: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    """Post ``data`` to ``path`` with the CSRF token of the form on ``form_page``."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page)})


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
