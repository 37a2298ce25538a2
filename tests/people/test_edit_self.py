"""Editing oneself: ordering, email, starred shop, and deleting the account."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import PASSWORD, auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task


def patch_me(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    return client.patch("/api/v1/users/me", headers=headers, json=body)


def test_order_my_shops_and_tasks(client: FlaskClient, session: Session) -> None:
    me = make_user(session)
    headers = auth(session, me)
    mine, joined = make_shop(session, me), make_shop(session, make_user(session))
    program = make_program(session, joined)
    make_membership(session, program, me)
    tasks = [make_task(session, program) for _ in range(2)]
    order = {
        "shop_ids": [joined.id, mine.id],
        "program_task_ids": {str(program.id): [tasks[1].id, tasks[0].id]},
    }
    response = patch_me(client, headers, order_settings=order)
    assert response.status_code == 200, response.json
    assert response.json["order_settings"] == order
    assert client.get("/api/v1/users/me", headers=headers).json["order_settings"] == order


@pytest.mark.parametrize(
    ("order", "status"),
    [
        ({"shop_ids": "foreign"}, 404),
        ({"program_task_ids": {"foreign": "task"}}, 404),
        ({"program_task_ids": {"program": "foreign"}}, 404),
        ({"shop_ids": [1, 1]}, 422),
        ({"program_task_ids": {"abc": [1]}}, 422),
        ({"program_task_ids": {"0": [1]}}, 422),
        ({"colour": "blue"}, 422),
    ],
)
def test_ordering_only_what_is_mine(
    client: FlaskClient, session: Session, order: dict[str, Any], status: int
) -> None:
    me = make_user(session)
    program = make_program(session, make_shop(session, make_user(session)))
    make_membership(session, program, me)
    other_program = make_program(session, make_shop(session, make_user(session)))
    foreign_task = make_task(session, other_program)
    names = {
        "foreign": [make_shop(session, make_user(session)).id],
        ("foreign", "task"): {str(other_program.id): [foreign_task.id]},
        ("program", "foreign"): {str(program.id): [foreign_task.id]},
    }
    if order.get("shop_ids") == "foreign":
        order = {"shop_ids": names["foreign"]}
    elif order.get("program_task_ids") == {"foreign": "task"}:
        order = {"program_task_ids": names[("foreign", "task")]}
    elif order.get("program_task_ids") == {"program": "foreign"}:
        order = {"program_task_ids": names[("program", "foreign")]}
    response = patch_me(client, auth(session, me), order_settings=order)
    assert response.status_code == status, response.json
    session.refresh(me)
    assert me.order_settings == {}


def test_change_email_with_the_password(client: FlaskClient, session: Session) -> None:
    me = make_user(session, email="old@example.com")
    taken = make_user(session, email="taken@example.com")
    headers = auth(session, me)
    url = "/api/v1/users/me/email"
    wrong = client.post(url, headers=headers, json={"email": "new@example.com", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json["code"] == "invalid_credentials"
    clash = client.post(
        url, headers=headers, json={"email": "TAKEN@example.com", "password": PASSWORD}
    )
    assert clash.status_code == 409 and clash.json["code"] == "email_taken"
    changed = client.post(
        url, headers=headers, json={"email": "New@Example.com", "password": PASSWORD}
    )
    assert changed.status_code == 200 and changed.json["email"] == "new@example.com"
    assert taken.email == "taken@example.com"
    login = client.post("/api/v1/tokens", json={"email": "new@example.com", "password": PASSWORD})
    assert login.status_code == 201
    old = client.post("/api/v1/tokens", json={"email": "old@example.com", "password": PASSWORD})
    assert old.status_code == 401


def test_star_a_shop(client: FlaskClient, session: Session) -> None:
    me = make_user(session)
    headers = auth(session, me)
    visible = make_shop(session, make_user(session))
    hidden = make_shop(session, make_user(session), privacy_mode="private")
    url = "/api/v1/users/me/starred-shop"
    assert client.put(url, headers=headers, json={"shop_id": hidden.id}).status_code == 404
    starred = client.put(url, headers=headers, json={"shop_id": visible.id})
    assert starred.status_code == 200 and starred.json["starred_shop_id"] == visible.id
    assert client.get("/api/v1/users/me", headers=headers).json["starred_shop_id"] == visible.id
    assert client.delete(url, headers=headers).json["starred_shop_id"] is None
