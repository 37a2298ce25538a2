"""Merging shops: programs with their members and points, rewards and the team move over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Role, Shop
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_role, make_shop


def total_points(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Membership.balance), 0))) or 0)


def merge(client: FlaskClient, headers: dict[str, str], target: Shop, source: Shop) -> Any:
    return client.post(
        f"/api/v1/shops/{target.id}/merge", headers=headers, json={"source_shop_id": source.id}
    )


def test_merge_moves_programs_rewards_and_team(
    client: FlaskClient, session: Session, discrepancies: Callable[[], list[Any]]
) -> None:
    owner = make_user(session)
    target = make_shop(session, owner)
    source = make_shop(session, owner, privacy_mode="private")
    kept_program = make_program(session, target)
    moving = [make_program(session, source), make_program(session, source)]
    source.order_program_ids = [moving[1].id, moving[0].id]
    members = [make_user(session) for _ in range(3)]
    for index, user in enumerate(members):
        give_points(session, make_membership(session, moving[index % 2], user), 10 * (index + 1))
    give_points(session, make_membership(session, kept_program, members[0]), 5)
    reward = Reward(shop_id=source.id, name="Cake", cost=10)
    session.add(reward)
    manager, assistant, viewer, both = (make_user(session) for _ in range(4))
    make_role(session, source, manager, "manager")
    make_role(session, source, assistant, "assistant")
    make_role(session, source, viewer, "viewer")
    make_role(session, source, both, "manager")
    kept_role = make_role(session, target, both, "assistant")
    before = total_points(session)

    response = merge(client, auth(session, owner), target, source)

    assert response.status_code == 200, response.json
    body = response.json
    assert (body["moved_programs"], body["moved_rewards"], body["moved_roles"]) == (2, 1, 3)
    assert body["shop"]["order_program_ids"] == [moving[1].id, moving[0].id]
    session.expire_all()
    assert total_points(session) == before
    assert discrepancies() == []
    assert {p.shop_id for p in (session.get(Program, p.id) for p in moving) if p} == {target.id}
    assert session.get(Reward, reward.id).shop_id == target.id  # type: ignore[union-attr]
    merged = session.get(Shop, source.id)
    assert merged is not None
    assert (merged.merged_into_id, merged.deleted_at is not None) == (target.id, True)
    team = dict(
        session.execute(select(Role.user_id, Role.role_type).where(Role.shop_id == target.id)).all()
    )
    assert team == {manager.id: "manager", assistant.id: "assistant", both.id: "manager"}
    assert session.get(Role, kept_role.id).role_type == "manager"  # type: ignore[union-attr]
    # The programs now live in the target: members reach them through it.
    headers = auth(session, members[1])
    assert client.get(f"/api/v1/shops/{source.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/programs/{moving[1].id}", headers=headers).status_code == 200


def test_only_the_creator_of_both_merges(client: FlaskClient, session: Session) -> None:
    owner, other = make_user(session), make_user(session)
    target = make_shop(session, owner)
    theirs_public = make_shop(session, other)
    theirs_private = make_shop(session, other, privacy_mode="private")
    manager = make_user(session)
    make_role(session, theirs_public, owner, "manager")
    headers = auth(session, owner)
    assert merge(client, headers, target, theirs_public).status_code == 403
    assert merge(client, headers, target, theirs_private).status_code == 404
    make_role(session, target, manager, "manager")
    mine = make_shop(session, owner)
    assert merge(client, auth(session, manager), target, mine).status_code == 403
    itself = merge(client, headers, target, target)
    assert (itself.status_code, itself.json["code"]) == (409, "same_shop")
    deleted = make_shop(session, owner)
    deleted.deleted_at = deleted.created_at
    session.flush()
    assert merge(client, headers, target, deleted).status_code == 404
