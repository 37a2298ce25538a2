"""Merging programs: members, points and tasks move; every point is kept and accounted for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core.errors import Conflict, Forbidden, NotFound
from stampbook.flows import merges as flows_merges
from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership, Program
from stampbook.rewards import contributing, redeeming
from stampbook.rewards import services as rewards
from stampbook.shops.models import ShopInvitation
from stampbook.tasks import stamping as tasks
from stampbook.tasks.models import Stamp, Task
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_invitation, make_role, make_shop
from tests.factories.tasks import make_stamp, make_task


def total_points(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Membership.balance), 0))) or 0)


def test_merge_moves_members_points_and_tasks(session: Session, app_context: None) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    target, source = make_program(session, shop), make_program(session, shop)
    both, only_source, only_target = make_user(session), make_user(session), make_user(session)
    in_target = make_membership(session, target, both)
    in_source = make_membership(session, source, both, role_type="stamper")
    moving = make_membership(session, source, only_source)
    staying = make_membership(session, target, only_target)
    customer_target = make_membership(session, target, None, email="c@example.com")
    customer_source = make_membership(session, source, None, email="c@example.com")
    for membership, amount in [
        (in_target, 30),
        (in_source, 20),
        (moving, 10),
        (staying, 5),
        (customer_target, 7),
        (customer_source, 3),
    ]:
        give_points(session, membership, amount)
    task = make_task(session, source)
    stamp = make_stamp(session, task, in_source)
    before = total_points(session)

    result = flows_merges.merge_programs(owner, target_id=target.id, source_id=source.id)

    session.expire_all()
    assert total_points(session) == before
    assert find_discrepancies() == []
    assert (result.moved_memberships, result.merged_memberships) == (1, 2)
    assert (result.points_moved, result.moved_tasks) == (23, 1)
    assert session.get(Membership, in_target.id).balance == 50  # type: ignore[union-attr]
    assert session.get(Membership, in_target.id).role_type == "stamper"  # type: ignore[union-attr]
    assert session.get(Membership, customer_target.id).balance == 10  # type: ignore[union-attr]
    merged_away = session.get(Membership, in_source.id)
    assert merged_away is not None
    assert (merged_away.status, merged_away.balance) == ("archived", 0)
    moved = session.get(Membership, moving.id)
    assert moved is not None
    assert (moved.program_id, moved.balance, moved.status) == (target.id, 10, "active")
    assert session.get(Task, task.id).program_id == target.id  # type: ignore[union-attr]
    assert session.get(Stamp, stamp.id).membership_id == in_target.id  # type: ignore[union-attr]
    merged_source = session.get(Program, source.id)
    assert merged_source is not None
    assert merged_source.archived_at is not None
    assert merged_source.merged_into_id == target.id
    entries = session.scalars(
        select(LedgerEntry).where(LedgerEntry.cause_type == "program_merge")
    ).all()
    assert sorted(e.amount for e in entries) == [-20, -3, 3, 20]
    assert {e.kind for e in entries} == {"merge"}
    assert {e.cause_id for e in entries} == {str(source.id)}


def test_merge_folds_statuses_and_invitations(session: Session, app_context: None) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    target, source = make_program(session, shop), make_program(session, shop)
    came_back, invited_here, invited_there = (make_user(session) for _ in range(3))
    returning = make_membership(session, target, came_back, status="left")
    make_membership(session, source, came_back)
    make_membership(session, target, invited_here, status="invited")
    target_invitation = make_invitation(session, shop, program=target, user=invited_here)
    make_membership(session, source, invited_here)
    make_membership(session, source, invited_there, status="invited")
    moving_invitation = make_invitation(session, shop, program=source, user=invited_there)
    by_email = make_invitation(session, shop, program=source, email="x@example.com")

    flows_merges.merge_programs(owner, target_id=target.id, source_id=source.id)

    session.expire_all()
    assert session.get(Membership, returning.id).status == "active"  # type: ignore[union-attr]
    statuses = dict(
        session.execute(
            select(Membership.user_id, Membership.status).where(Membership.program_id == target.id)
        ).all()
    )
    assert statuses[invited_here.id] == "active"
    assert statuses[invited_there.id] == "invited"
    assert session.get(ShopInvitation, target_invitation.id).status == "accepted"  # type: ignore[union-attr]
    for invitation in (moving_invitation, by_email):
        moved = session.get(ShopInvitation, invitation.id)
        assert moved is not None
        assert (moved.program_id, moved.status) == (target.id, "pending")


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("same", Conflict),  # a well-formed body; only the path makes it wrong
        ("other_shop", Conflict),
        ("archived", Conflict),
        ("missing", NotFound),
        ("assistant", Forbidden),
    ],
)
def test_merge_refusals(session: Session, app_context: None, setup: str, error: type) -> None:
    owner, assistant = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    make_role(session, shop, assistant, "assistant")
    target, source = make_program(session, shop), make_program(session, shop)
    actor, source_id = owner, source.id
    if setup == "same":
        source_id = target.id
    elif setup == "other_shop":
        source_id = make_program(session, make_shop(session, owner)).id
    elif setup == "archived":
        source.archived_at = source.created_at
    elif setup == "missing":
        source_id = 10**9
    else:
        actor = assistant
    with pytest.raises(error):
        flows_merges.merge_programs(actor, target_id=target.id, source_id=source_id)


def test_merge_through_the_api_with_an_idempotency_key(
    client: FlaskClient, session: Session, discrepancies: Callable[[], list[Any]]
) -> None:
    owner, manager, person = make_user(session), make_user(session), make_user(session)
    shop = make_shop(session, owner)
    make_role(session, shop, manager, "manager")
    target, source = make_program(session, shop), make_program(session, shop)
    give_points(session, make_membership(session, target, person), 4)
    give_points(session, make_membership(session, source, person), 6)
    headers = {**auth(session, manager), "Idempotency-Key": "merge-1"}
    url = f"/api/v1/programs/{target.id}/merge"

    first = client.post(url, headers=headers, json={"source_program_id": source.id})
    second = client.post(url, headers=headers, json={"source_program_id": source.id})

    assert first.status_code == 200, first.json
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json["points_moved"] == 6
    assert first.json["program"]["id"] == target.id
    members = client.get(f"/api/v1/programs/{target.id}/memberships", headers=headers).json
    assert [(m["user_id"], m["balance"]) for m in members["items"]] == [(person.id, 10)]
    again = client.post(url, headers=auth(session, manager), json={"source_program_id": source.id})
    # Without the key it is a new merge, of a source merged away already: gone for the API.
    assert (again.status_code, again.json["code"]) == (404, "not_found")
    assert discrepancies() == []


def test_merged_source_redirects_readers(client: FlaskClient, session: Session) -> None:
    owner, member = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    target, source = make_program(session, shop), make_program(session, shop)
    make_membership(session, source, member)
    response = client.post(
        f"/api/v1/programs/{target.id}/merge",
        headers=auth(session, owner),
        json={"source_program_id": source.id},
    )
    assert response.status_code == 200
    # Merged away, the source is gone for the API like a deleted program; its archive says
    # where it went.
    merged = client.get(f"/api/v1/programs/{source.id}", headers=auth(session, member))
    assert (merged.status_code, merged.json["code"]) == (404, "not_found")
    archived = client.get(
        f"/api/v1/shops/{shop.id}/programs?archived=true", headers=auth(session, member)
    ).json["items"]
    assert [(p["id"], p["merged_into_id"]) for p in archived] == [(source.id, target.id)]
    stranger = client.get(f"/api/v1/shops/{shop.id}/programs?archived=true").json["items"]
    assert [p["id"] for p in stranger] == [source.id]  # the target is public: so is its past


def test_a_stamp_made_before_the_merge_is_revoked_from_the_merged_membership(
    session: Session, app_context: None
) -> None:
    """Regression (model-based test): the reversals went to the archived source membership,
    which the merge had emptied, so the revocation failed with insufficient_points."""
    owner, person = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    target, source = make_program(session, shop), make_program(session, shop)
    kept = make_membership(session, target, person)
    folded = make_membership(session, source, person)
    task = make_task(session, source, point_value=5, bonus_values={"first_time_only": 2})
    stamp = tasks.stamp_task(owner, task_id=task.id, membership_id=folded.id).stamp
    flows_merges.merge_programs(owner, target_id=target.id, source_id=source.id)

    result = tasks.revoke_stamp(owner, stamp_id=stamp.id)

    session.expire_all()
    assert result.points == 7
    assert {r.membership_id for r in result.reversals} == {kept.id}
    assert (kept.balance, folded.balance) == (0, 0)
    assert find_discrepancies() == []


def test_refunds_of_payments_made_before_the_merge_reach_the_merged_membership(
    session: Session, app_context: None
) -> None:
    """Regression (model-based test): a receipt cancelled or a pot refunded after a merge
    credited the archived source membership, where the member could never spend it."""
    owner, person = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    target, source = make_program(session, shop), make_program(session, shop)
    kept = make_membership(session, target, person)
    folded = make_membership(session, source, person)
    give_points(session, folded, 30)
    plain = make_reward(session, shop, cost=10)
    pot = make_reward(session, shop, cost=50, is_group_reward=True)
    receipt = redeeming.redeem(person, reward_id=plain.id, membership_id=folded.id)
    part = contributing.contribute(person, reward_id=pot.id, membership_id=folded.id, points=5)
    flows_merges.merge_programs(owner, target_id=target.id, source_id=source.id)
    session.expire_all()
    assert (kept.balance, folded.balance) == (15, 0)
    assert receipt.paid_by_membership_id == part.contribution.membership_id == kept.id

    redeeming.cancel_redemption(owner, redemption_id=receipt.id, reason="wrong order")
    rewards.delete_reward(owner, reward_id=pot.id)

    session.expire_all()
    assert (kept.balance, folded.balance) == (30, 0)
    assert find_discrepancies() == []
