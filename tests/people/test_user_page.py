"""A user's page: every part, what others see of it, its order, its cost in queries."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.rewards.models import Contribution, Favorite, Redemption
from tests.factories.accounts import auth, make_user
from tests.factories.people import make_block, make_buddies, make_request
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import make_stamp, make_task
from tests.querycount import count_statements

OPEN = dict.fromkeys(
    ["page", "buddies", "shops", "memberships", "task_history", "redemptions", "favorites"],
    "public",
)


def page_of(client: FlaskClient, user: User, headers: dict[str, str] | None = None) -> Any:
    response = client.get(f"/api/v1/users/{user.id}", headers=headers or {})
    assert response.status_code == 200, response.json
    return response.json


def ids(items: list[dict[str, Any]] | None, key: str = "id") -> list[int]:
    assert items is not None
    return [item[key] for item in items]


def build_life(session: Session, owner: User) -> dict[str, Any]:
    """A user with something in every part of their page."""
    made = make_shop(session, owner, name="Mine")
    host = make_user(session)
    managed = make_shop(session, host, name="Managed")
    assisted = make_shop(session, host, name="Assisted")
    make_role(session, managed, owner, "manager")
    make_role(session, assisted, owner, "assistant")
    my_program = make_program(session, made)
    runs = make_program(session, managed)
    helps = make_program(session, assisted)
    joined = make_program(session, assisted)
    memberships = {
        "managed": make_membership(session, runs, owner, role_type="manager", balance=0),
        "assisted": make_membership(session, helps, owner, role_type="stamper"),
        "joined": make_membership(session, joined, owner),
    }
    my_task = make_task(session, my_program, created_by=owner.id)
    run_task = make_task(session, runs)
    help_task = make_task(session, helps)
    stamp = make_stamp(session, help_task, memberships["assisted"])
    my_reward = make_reward(session, made, created_by=owner.id)
    liked = make_reward(session, assisted)
    pot = make_reward(session, assisted, is_group_reward=True, cost=100)
    session.add(Favorite(user_id=owner.id, reward_id=liked.id))
    session.add(
        Contribution(
            reward_id=pot.id,
            group_round=1,
            membership_id=memberships["joined"].id,
            user_id=owner.id,
            points=30,
        )
    )
    receipt = Redemption(
        shop_id=assisted.id,
        reward_id=liked.id,
        user_id=owner.id,
        paid_by_membership_id=memberships["joined"].id,
        paid_by_user_id=owner.id,
        points_paid=10,
        reward_content={"id": liked.id, "name": "Liked, as it was", "cost": 10},
    )
    session.add(receipt)
    buddy = make_user(session, privacy_settings={"buddies": "public"})
    make_buddies(session, owner, buddy)
    session.flush()
    return {
        "shops": (made, managed, assisted),
        "programs": (my_program, runs, helps, joined),
        "memberships": memberships,
        "tasks": (my_task, run_task, help_task),
        "stamp": stamp,
        "rewards": (my_reward, liked, pot),
        "receipt": receipt,
        "buddy": buddy,
    }


def test_every_part_of_an_open_page(client: FlaskClient, session: Session) -> None:
    owner = make_user(session, name="Ada", privacy_settings=OPEN)
    life = build_life(session, owner)
    page = page_of(client, owner)
    made, managed, assisted = life["shops"]
    my_program, runs, helps, joined = life["programs"]
    my_task, run_task, help_task = life["tasks"]
    my_reward, liked, pot = life["rewards"]
    assert page["name"] == "Ada" and "email" not in page
    assert page["relationship"] is None
    assert ids(page["shops"]["created"]) == [made.id]
    assert ids(page["shops"]["managed"]) == [managed.id]
    assert ids(page["shops"]["assisted"]) == [assisted.id]
    assert ids(page["programs"]["created"]) == [my_program.id]
    assert ids(page["programs"]["managed"], "program_id") == [runs.id]
    assert ids(page["programs"]["assisted"], "program_id") == [helps.id]
    joined_out = page["programs"]["joined"]
    assert ids(joined_out, "program_id") == [joined.id]
    assert joined_out[0]["balance"] == 0 and joined_out[0]["role_type"] == "member"
    assert ids(page["tasks"]["created"]) == [my_task.id]
    assert ids(page["tasks"]["managed"]) == [run_task.id]
    assert ids(page["tasks"]["assisted"]) == [help_task.id]
    assert ids(page["tasks"]["stamps"]) == [life["stamp"].id]
    assert page["tasks"]["stamps"][0]["task_name"] == help_task.name
    assert ids(page["rewards"]["created"]) == [my_reward.id]
    assert ids(page["rewards"]["favorited"]) == [liked.id]
    assert page["rewards"]["contributed"] == [
        {"reward_id": pot.id, "reward_name": pot.name, "shop_id": assisted.id, "points": 30}
    ]
    assert page["rewards"]["redeemed"][0]["name"] == "Liked, as it was"
    assert page["buddies"] == [{"id": life["buddy"].id, "name": life["buddy"].name}]


def test_a_default_page_shows_strangers_only_the_public_parts(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    build_life(session, owner)
    page = page_of(client, owner, auth(session, make_user(session)))
    assert page["shops"]["created"] is not None  # shops: public by default
    assert page["programs"]["joined"] is None  # memberships: members
    assert page["tasks"]["stamps"] is None  # task history: members
    assert page["tasks"]["managed"] is None  # needs memberships too
    assert page["rewards"]["redeemed"] is None and page["rewards"]["contributed"] is None
    assert page["rewards"]["favorited"] is None
    assert page["buddies"] is None
    assert page["relationship"] == "none"


def test_the_owner_and_admins_see_everything(client: FlaskClient, session: Session) -> None:
    owner = make_user(session, privacy_settings=dict.fromkeys(OPEN, "private"))
    build_life(session, owner)
    for viewer in (owner, make_user(session, is_admin=True)):
        page = page_of(client, owner, auth(session, viewer))
        assert all(page["shops"][k] is not None for k in ("created", "managed", "assisted"))
        assert page["programs"]["joined"] and page["tasks"]["stamps"]
        assert page["rewards"]["redeemed"] and page["buddies"]
    assert client.get(f"/api/v1/users/{owner.id}").status_code == 404


def test_others_see_only_what_they_may_see_of_each_thing(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session, privacy_settings=OPEN)
    host = make_user(session)
    hidden_shop = make_shop(session, host, privacy_mode="private")
    make_role(session, hidden_shop, owner, "assistant")
    secret_program = make_program(session, make_shop(session, host), privacy_mode="members")
    make_membership(session, secret_program, owner)
    private_task = make_task(session, secret_program, created_by=owner.id)
    make_stamp(
        session, private_task, make_membership(session, make_program(session, hidden_shop), owner)
    )
    deleted = make_reward(session, make_shop(session, owner))
    session.add(Favorite(user_id=owner.id, reward_id=deleted.id))
    deleted.deleted_at = deleted.created_at
    session.flush()
    stranger = page_of(client, owner, auth(session, make_user(session)))
    assert stranger["shops"]["assisted"] == []
    assert stranger["programs"]["joined"] == []
    assert stranger["tasks"]["created"] == [] and stranger["tasks"]["stamps"] == []
    assert stranger["rewards"]["favorited"] == []
    mine = page_of(client, owner, auth(session, owner))
    assert ids(mine["shops"]["assisted"]) == [hidden_shop.id]
    assert len(mine["programs"]["joined"]) == 2
    assert ids(mine["tasks"]["created"]) == [private_task.id]


def test_a_private_program_keeps_its_members_to_themselves(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session, privacy_settings=OPEN)
    program = make_program(session, make_shop(session, make_user(session)), privacy_mode="private")
    make_membership(session, program, owner)
    fellow = make_user(session)
    make_membership(session, program, fellow)
    assert page_of(client, owner, auth(session, fellow))["programs"]["joined"] == []


def test_relationships(client: FlaskClient, session: Session) -> None:
    owner, buddy, asked, asking, blocker = (make_user(session) for _ in range(5))
    make_buddies(session, owner, buddy)
    make_request(session, asked, owner)
    make_request(session, owner, asking)
    make_block(session, blocker, owner)
    expected = {
        owner: "self",
        buddy: "buddy",
        asked: "request_sent",
        asking: "request_received",
        blocker: "blocked",
    }
    for viewer, relationship in expected.items():
        assert page_of(client, owner, auth(session, viewer))["relationship"] == relationship


def test_the_users_order_of_shops_and_tasks(client: FlaskClient, session: Session) -> None:
    owner = make_user(session, privacy_settings=OPEN)
    shops = [make_shop(session, owner) for _ in range(3)]
    program = make_program(session, shops[0])
    tasks = [make_task(session, program, created_by=owner.id) for _ in range(3)]
    owner.order_settings = {
        "shop_ids": [shops[1].id, shops[0].id],
        "program_task_ids": {str(program.id): [tasks[2].id, tasks[0].id, tasks[1].id]},
    }
    session.flush()
    page = page_of(client, owner)
    assert ids(page["shops"]["created"]) == [shops[1].id, shops[0].id, shops[2].id]
    assert ids(page["tasks"]["created"]) == [tasks[2].id, tasks[0].id, tasks[1].id]


def test_a_page_costs_the_same_however_full(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    counts = []
    viewer = make_user(session)
    headers = auth(session, viewer)
    for size in (1, 6):
        owner = make_user(session, privacy_settings=dict.fromkeys(OPEN, "members"))
        make_membership(session, make_program(session, make_shop(session, owner)), viewer)
        for _ in range(size):
            build_life(session, owner)
        with app.app_context():
            engine = db.engine
        with count_statements(engine) as statements:
            page_of(client, owner, headers)
        counts.append(statements.count)
    assert counts[0] == counts[1]
