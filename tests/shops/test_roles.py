"""Team roles: adding, changing and removing them without anyone escalating themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.rewards.models import Reward
from stampbook.shops.models import Role
from stampbook.shops.policy import team_member
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_program
from tests.factories.shops import make_role, make_shop, make_team
from tests.factories.tasks import make_task


def add(client: FlaskClient, headers: dict[str, str], shop: int, /, **body: Any) -> Any:
    return client.post(f"/api/v1/shops/{shop}/roles", headers=headers, json=body)


def test_creator_adds_a_role_and_it_shows_its_permissions(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    newcomer = make_user(session)
    response = add(
        client,
        auth(session, team.creator),
        team.shop.id,
        user_id=newcomer.id,
        role_type="assistant",
        permission_settings={"edit_rewards": True, "stamp": False},
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["created_by"] == team.creator.id
    assert body["permission_settings"] == {"edit_rewards": True, "stamp": False}
    assert body["permissions"] == ["create_programs", "create_rewards", "edit_rewards"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role_type": "owner"}, "role_type"),
        ({"role_type": "viewer", "permission_settings": {"fly": True}}, "permission_settings"),
        ({"role_type": "viewer", "permission_settings": {"stamp": "yes"}}, "permission_settings"),
        ({"role_type": "viewer", "reward_id": 1, "task_id": 1}, "_schema"),
        ({"role_type": "manager", "task_id": 1}, "_schema"),
        ({"role_type": "viewer", "created_by": 1}, "created_by"),
        ({"role_type": "viewer", "shop_id": 1}, "shop_id"),
    ],
)
def test_bad_role_bodies(
    client: FlaskClient, session: Session, body: dict[str, Any], field: str
) -> None:
    team = make_team(session)
    response = add(
        client, auth(session, team.creator), team.shop.id, user_id=team.outsider.id, **body
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"].startswith(field)


def test_nobody_gives_themselves_a_role_or_changes_their_own(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    headers = auth(session, team.manager)
    own = team.roles["manager"]
    response = client.patch(
        f"/api/v1/roles/{own.id}", headers=headers, json={"permission_settings": {"stamp": True}}
    )
    assert response.status_code == 403
    assert response.json["code"] == "own_role"
    assistant_headers = auth(session, team.assistant)
    upgrade = client.patch(
        f"/api/v1/roles/{team.roles['assistant'].id}",
        headers=assistant_headers,
        json={"role_type": "manager"},
    )
    assert upgrade.status_code == 403
    session.refresh(team.roles["assistant"])
    assert team.roles["assistant"].role_type == "assistant"


def test_the_creator_cannot_be_given_a_role_nor_removed(
    client: FlaskClient, session: Session, in_app: Callable[..., Any]
) -> None:
    team = make_team(session)
    response = add(
        client,
        auth(session, team.manager),
        team.shop.id,
        user_id=team.creator.id,
        role_type="viewer",
    )
    assert response.status_code == 409
    assert response.json["code"] == "is_creator"
    assert in_app(team_member, team.creator, team.shop).is_creator


def test_a_restricted_manager_cannot_hand_out_more_than_they_have(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    team.roles["manager"].permission_settings = {"edit_shop": False}
    full_manager = make_user(session)
    make_role(session, team.shop, full_manager, "manager")
    headers = auth(session, team.manager)

    refused = add(client, headers, team.shop.id, user_id=make_user(session).id, role_type="manager")
    assert refused.status_code == 403
    assert refused.json["code"] == "escalation"
    granting = add(
        client,
        headers,
        team.shop.id,
        user_id=make_user(session).id,
        role_type="assistant",
        permission_settings={"edit_shop": True},
    )
    assert granting.status_code == 403
    # Nor may they remove someone who holds more than they do.
    stronger = session.query(Role).filter_by(user_id=full_manager.id).one()
    assert client.delete(f"/api/v1/roles/{stronger.id}", headers=headers).status_code == 403
    fine = add(client, headers, team.shop.id, user_id=make_user(session).id, role_type="viewer")
    assert fine.status_code == 201


def test_duplicate_and_unknown_users(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    headers = auth(session, team.creator)
    dup = add(client, headers, team.shop.id, user_id=team.viewer.id, role_type="viewer")
    assert dup.status_code == 409
    assert dup.json["code"] == "already_in_team"
    # A well-formed id of nobody: not found (422 is for bodies that break the schema).
    unknown = add(client, headers, team.shop.id, user_id=10**9, role_type="viewer")
    assert unknown.status_code == 404


def test_roles_scoped_to_a_reward_or_a_task_of_the_shop(
    client: FlaskClient, session: Session, in_app: Callable[..., Any]
) -> None:
    team = make_team(session)
    other_shop = make_shop(session, team.creator)
    reward = Reward(shop_id=team.shop.id, name="Cake", cost=10)
    foreign_reward = Reward(shop_id=other_shop.id, name="Tea", cost=10)
    session.add_all([reward, foreign_reward])
    session.flush()
    task = make_task(session, team.program)
    foreign_task = make_task(session, make_program(session, other_shop))
    headers = auth(session, team.creator)

    by_reward = add(
        client,
        headers,
        team.shop.id,
        user_id=make_user(session).id,
        role_type="assistant",
        reward_id=reward.id,
    )
    assert by_reward.status_code == 201
    assert by_reward.json["reward_id"] == reward.id
    helper = make_user(session)
    by_task = add(
        client, headers, team.shop.id, user_id=helper.id, role_type="assistant", task_id=task.id
    )
    assert by_task.status_code == 201
    member = in_app(team_member, helper, team.shop)
    assert member is not None
    assert (member.role_type, member.task_id, member.reward_id) == ("assistant", task.id, None)

    for scope in ({"reward_id": foreign_reward.id}, {"task_id": foreign_task.id}):
        response = add(
            client,
            headers,
            team.shop.id,
            user_id=make_user(session).id,
            role_type="assistant",
            **scope,
        )
        assert response.status_code == 404, scope
    both = add(
        client,
        headers,
        team.shop.id,
        user_id=make_user(session).id,
        role_type="assistant",
        reward_id=reward.id,
        task_id=task.id,
    )
    assert both.status_code == 422  # the body alone breaks the (documented) rule
    unscoped = client.patch(
        f"/api/v1/roles/{by_task.json['id']}", headers=headers, json={"task_id": None}
    )
    assert unscoped.status_code == 200
    assert unscoped.json["task_id"] is None
    # A body that only breaks the rules together with the role's scope now: 409.
    promoted = client.patch(
        f"/api/v1/roles/{by_reward.json['id']}", headers=headers, json={"role_type": "manager"}
    )
    assert (promoted.status_code, promoted.json["code"]) == (409, "invalid_scope")
    scoped_manager = client.patch(
        f"/api/v1/roles/{by_reward.json['id']}",
        headers=headers,
        json={"role_type": "manager", "task_id": task.id},
    )
    assert scoped_manager.status_code == 422


def test_team_list_respects_privacy_for_outsiders(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    team.viewer.privacy_settings = {"shops": "private"}
    session.flush()
    url = f"/api/v1/shops/{team.shop.id}/roles"
    outsider_view = client.get(url, headers=auth(session, team.outsider)).json["items"]
    team_view = client.get(url, headers=auth(session, team.assistant)).json["items"]
    assert {r["user_id"] for r in outsider_view} == {team.manager.id, team.assistant.id}
    assert {r["user_id"] for r in team_view} == {
        team.manager.id,
        team.assistant.id,
        team.viewer.id,
    }


def test_team_list_paginates_full_pages_despite_hidden_people(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    people = [make_user(session) for _ in range(7)]
    for index, person in enumerate(people):
        if index % 2:
            person.privacy_settings = {"shops": "private"}
        make_role(session, shop, person, "viewer")
    visible = [p.id for i, p in enumerate(people) if i % 2 == 0]
    seen: list[int] = []
    cursor = None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = client.get(f"/api/v1/shops/{shop.id}/roles?limit=2{suffix}").json
        assert len(page["items"]) == 2 or page["next_cursor"] is None
        seen += [r["user_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(visible))
