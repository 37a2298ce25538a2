"""Task services against the database: ledger entries, overrides, revocation, merges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core.errors import (
    Conflict,
    Forbidden,
    InsufficientPoints,
    NotFound,
    ValidationFailed,
)
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership, MembershipStatus
from stampbook.tasks import queries, services, stamping
from stampbook.tasks.demo import DEMO_TASKS, add_demo_tasks
from stampbook.tasks.models import Stamp, Task, TaskBonusAward, TaskGroupAward, TaskOverride
from stampbook.tasks.rules import check_settings
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.tasks import World, make_task, make_world

pytestmark = pytest.mark.usefixtures("app_context")

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def stamp(world: World, task: Task, *, actor: Any = None, at: datetime = NOW, **kw: Any):
    return stamping.stamp_task(
        actor or world.member,
        task_id=task.id,
        membership_id=kw.pop("membership_id", world.membership.id),
        now=at,
        **kw,
    )


def entries(session: Session, membership: Membership) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.membership_id == membership.id)
            .order_by(LedgerEntry.id)
        )
    )


# --- Creating and editing -----------------------------------------------------------------------


def test_create_task_stores_scalars_as_columns_and_structures_as_json(world: World) -> None:
    task = services.create_task(
        world.manager,
        program_id=world.program.id,
        fields={
            "name": "Run",
            "point_value": 10,
            "target": 5,
            "frequency_settings": {"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"},
            "bonus_values": {"reach_total": 5, "streaks": [{"length": 3, "points": 2}]},
        },
    )
    assert (task.point_value, task.target, task.created_by) == (10, 5, world.manager.id)
    assert task.frequency_settings == {"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"}
    assert task.bonus_values["streaks"][0]["period"] == "day"
    assert task.settings().bonus_values.reach_total == 5


def test_create_task_refuses_options_that_contradict_each_other(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.create_task(
            world.manager,
            program_id=world.program.id,
            fields={"name": "Run", "point_value": 1, "bonus_values": {"reach_total": 5}},
        )
    assert raised.value.extra["errors"][0]["field"] == "bonus_values.reach_total"


def test_members_may_not_create_tasks(world: World) -> None:
    with pytest.raises(Forbidden):
        services.create_task(
            world.member, program_id=world.program.id, fields={"name": "X", "point_value": 1}
        )


def test_update_merges_and_validates_the_whole(world: World, session: Session) -> None:
    task = make_task(session, world.program, target=5, deadline=NOW)
    services.update_task(world.owner, task_id=task.id, changes={"deadline": None, "name": "New"})
    assert (task.deadline, task.name, task.target) == (None, "New", 5)
    # Wrong only together with the stored options: a conflict, not a malformed body.
    with pytest.raises(Conflict, match="allows_multiple"):
        services.update_task(world.owner, task_id=task.id, changes={"max_multiple": 3})
    assert task.max_multiple is None


def test_assistant_controls_own_tasks_only(world: World, session: Session) -> None:
    own = services.create_task(
        world.assistant, program_id=world.program.id, fields={"name": "Mine", "point_value": 1}
    )
    services.update_task(world.assistant, task_id=own.id, changes={"point_value": 2})
    theirs = make_task(session, world.program, created_by=world.owner.id)
    with pytest.raises(Forbidden):
        services.update_task(world.assistant, task_id=theirs.id, changes={"point_value": 2})


def test_deleted_task_is_gone_but_its_points_stay(world: World, session: Session) -> None:
    task = make_task(session, world.program)
    stamp(world, task)
    services.delete_task(world.owner, task_id=task.id, now=NOW)
    with pytest.raises(NotFound):
        queries.get_task(world.member, task.id)
    assert world.membership.balance == 10


# --- Stamping and the ledger ---------------------------------------------------------------------


def test_stamp_writes_the_base_and_each_bonus_as_its_own_entry(
    world: World, session: Session
) -> None:
    task = make_task(
        session,
        world.program,
        name="Run",
        point_value=10,
        bonus_values={
            "first_time_only": 5,
            "milestones": [{"name": "First!", "points": 3, "quantity": 1}],
        },
    )
    result = stamp(world, task, note="felt good")
    assert result.points == 18
    assert result.breakdown == [
        {"kind": "base", "name": None, "points": 10},
        {"kind": "first_time", "name": "first time", "points": 5},
        {"kind": "milestone", "name": "First!", "points": 3},
    ]
    rows = entries(session, world.membership)
    assert [(e.kind, e.amount, e.note) for e in rows] == [
        (EntryKind.STAMP, 10, "Run"),
        (EntryKind.BONUS, 5, "Run: first time"),
        (EntryKind.BONUS, 3, "Run: First!"),
    ]
    assert {(e.cause_type, e.cause_id, e.actor_id) for e in rows} == {
        ("stamp", str(result.stamp.id), world.member.id)
    }
    assert result.stamp.entry_id == rows[0].id
    assert (result.stamp.note, result.stamp.points, result.stamp.stamped_by) == (
        "felt good",
        18,
        world.member.id,
    )
    assert world.membership.balance == 18
    assert find_discrepancies() == []


def test_a_task_worth_nothing_writes_no_base_entry(world: World, session: Session) -> None:
    task = make_task(session, world.program, point_value=0, bonus_values={"first_time_only": 2})
    result = stamp(world, task)
    assert result.stamp.entry_id is None
    assert [e.amount for e in entries(session, world.membership)] == [2]


def test_refusals_carry_their_codes(world: World, session: Session) -> None:
    task = make_task(session, world.program, frequency_settings={"quantity": 1, "time_unit": "day"})
    stamp(world, task)
    with pytest.raises(Conflict) as raised:
        stamp(world, task, at=NOW + timedelta(hours=1))
    assert raised.value.code == "frequency_exceeded"
    assert raised.value.extra["resets_at"] == "2024-05-07T00:00:00+00:00"
    assert len(entries(session, world.membership)) == 1


def test_inactive_membership_is_refused(world: World, session: Session) -> None:
    task = make_task(session, world.program)
    world.membership.status = MembershipStatus.LEFT
    session.flush()
    with pytest.raises(Conflict) as raised:
        stamp(world, task, actor=world.owner)
    assert raised.value.code == "membership_inactive"


def test_membership_of_another_program_is_not_found(world: World, session: Session) -> None:
    task = make_task(session, world.program)
    elsewhere = make_membership(session, make_program(session, world.shop), world.member)
    with pytest.raises(NotFound):
        stamp(world, task, membership_id=elsewhere.id)


def test_streak_days_follow_the_members_time_zone(session: Session) -> None:
    world = make_world(session, member_time_zone="America/New_York")
    task = make_task(session, world.program, bonus_values={"streaks": [{"length": 2, "points": 5}]})
    # 02:00 UTC on Tuesday is still Monday evening in New York.
    first = stamp(world, task, at=datetime(2024, 5, 7, 2, 0, tzinfo=UTC))
    assert (str(first.stamp.local_date), first.stamp.time_zone) == (
        "2024-05-06",
        "America/New_York",
    )
    second = stamp(world, task, at=datetime(2024, 5, 7, 23, 0, tzinfo=UTC))  # Tuesday 19:00
    assert [b["kind"] for b in second.breakdown] == ["base", "streak"]


def test_unclaimed_customer_is_evaluated_in_the_shops_time_zone(session: Session) -> None:
    world = make_world(session, stamp_system_type="stampers", time_zone="Europe/Madrid")
    customer = make_membership(session, world.program, None, email="c@example.com")
    task = make_task(session, world.program)
    result = stamp(world, task, actor=world.stamper, membership_id=customer.id)
    assert result.stamp.time_zone == "Europe/Madrid"


# --- Overrides ----------------------------------------------------------------------------------


def test_override_changes_one_members_target_and_deadline(world: World, session: Session) -> None:
    task = make_task(session, world.program, target=1)
    services.set_override(
        world.owner,
        task_id=task.id,
        membership_id=world.membership.id,
        fields={"target": 2, "deadline": NOW + timedelta(days=1)},
    )
    stamp(world, task)
    stamp(world, task)  # the member's own target is 2
    with pytest.raises(Conflict):
        stamp(world, task)
    stamp(world, task, actor=world.other, membership_id=world.other_membership.id)
    with pytest.raises(Conflict) as raised:
        stamp(world, task, actor=world.other, membership_id=world.other_membership.id)
    assert raised.value.code == "max_reached"


def test_override_of_frequency_and_availability(world: World, session: Session) -> None:
    task = make_task(session, world.program)
    services.set_override(
        world.owner,
        task_id=task.id,
        membership_id=world.membership.id,
        fields={
            "frequency_settings": {"quantity": 1, "time_unit": "week"},
            "availability_settings": {
                "must_stamp_during": True,
                "schedules": [{"time_ranges": [["09:00", "11:00"]]}],
            },
        },
    )
    with pytest.raises(Conflict) as raised:
        stamp(world, task, at=NOW.replace(hour=12))
    assert raised.value.code == "task_unavailable"
    stamp(world, task)
    with pytest.raises(Conflict) as raised:
        stamp(world, task, at=NOW + timedelta(days=2))
    assert raised.value.code == "frequency_exceeded"
    services.delete_override(world.owner, task_id=task.id, membership_id=world.membership.id)
    stamp(world, task, at=NOW + timedelta(days=2, hours=5))
    assert session.scalars(select(TaskOverride)).all() == []


def test_override_is_for_the_team_and_is_validated(world: World, session: Session) -> None:
    task = make_task(session, world.program, bonus_values={"reach_total": 5}, target=3)
    with pytest.raises(Forbidden):
        services.set_override(
            world.member, task_id=task.id, membership_id=world.membership.id, fields={"target": 9}
        )
    with pytest.raises(Conflict, match="must_stamp_during"):
        services.set_override(
            world.owner,
            task_id=task.id,
            membership_id=world.membership.id,
            fields={"availability_settings": {"must_stamp_during": True}},
        )


# --- Group bonuses ------------------------------------------------------------------------------


def test_group_success_pays_each_active_contributor(world: World, session: Session) -> None:
    world.program.stamp_system_type = "members"
    task = make_task(
        session,
        world.program,
        point_value=1,
        group_target=3,
        bonus_values={"group_success": {"points": 20, "group_min_members": 2}},
    )
    stamp(world, task)
    stamp(world, task)
    result = stamp(world, task, membership_id=world.other_membership.id)
    assert [b["kind"] for b in result.breakdown] == ["base", "group_success"]
    assert world.membership.balance == 22
    assert world.other_membership.balance == 21
    assert len(session.scalars(select(TaskGroupAward)).all()) == 1
    awards = session.scalars(select(TaskBonusAward).order_by(TaskBonusAward.membership_id)).all()
    assert [(a.membership_id, a.bonus_key) for a in awards] == [
        (world.membership.id, "group:success"),
        (world.other_membership.id, "group:success"),
    ]
    stamp(world, task, membership_id=world.other_membership.id)
    assert world.other_membership.balance == 22  # no second group success
    assert find_discrepancies() == []


# --- Revoking -----------------------------------------------------------------------------------


def test_revoking_reverses_the_base_and_every_bonus(world: World, session: Session) -> None:
    task = make_task(session, world.program, bonus_values={"first_time_only": 5})
    result = stamp(world, task)
    revoked = stamping.revoke_stamp(world.owner, stamp_id=result.stamp.id, now=NOW)
    assert revoked.points == 15
    assert [(e.kind, e.amount) for e in revoked.reversals] == [
        (EntryKind.REVERSAL, -10),
        (EntryKind.REVERSAL, -5),
    ]
    assert {e.reverses_id for e in revoked.reversals} == {
        e.id for e in entries(session, world.membership) if e.amount > 0
    }
    assert world.membership.balance == 0
    assert revoked.stamp.revoked_at == NOW and revoked.stamp.revoked_by == world.owner.id
    assert session.scalars(select(TaskBonusAward)).all() == []
    # The first-time bonus may be earned again.
    again = stamp(world, task, at=NOW + timedelta(hours=1))
    assert again.points == 15
    assert find_discrepancies() == []


def test_revoking_takes_back_a_completion_that_no_longer_holds(
    world: World, session: Session
) -> None:
    task = make_task(session, world.program, target=2, bonus_values={"reach_total": 7})
    first = stamp(world, task)
    stamp(world, task)  # completes: 10 + 7
    assert world.membership.balance == 27
    revoked = stamping.revoke_stamp(world.owner, stamp_id=first.stamp.id, now=NOW)
    assert sorted(e.amount for e in revoked.reversals) == [-10, -7]
    assert world.membership.balance == 10
    completed = stamp(world, task, at=NOW + timedelta(hours=1))
    assert [b["kind"] for b in completed.breakdown] == ["base", "completion"]
    assert find_discrepancies() == []


def test_revoking_takes_back_a_group_success_from_every_payee(
    world: World, session: Session
) -> None:
    world.program.stamp_system_type = "members"
    task = make_task(
        session, world.program, group_target=2, bonus_values={"group_success": {"points": 20}}
    )
    first = stamp(world, task)
    stamp(world, task, membership_id=world.other_membership.id)
    assert (world.membership.balance, world.other_membership.balance) == (30, 30)
    stamping.revoke_stamp(world.owner, stamp_id=first.stamp.id, now=NOW)
    assert (world.membership.balance, world.other_membership.balance) == (0, 10)
    assert session.scalars(select(TaskGroupAward)).all() == []
    assert find_discrepancies() == []


def test_revoking_spent_points_is_refused_and_changes_nothing(
    world: World, session: Session
) -> None:
    task = make_task(session, world.program)
    result = stamp(world, task)
    ledger.post(
        membership_id=world.membership.id, amount=-5, kind=EntryKind.REDEMPTION, actor_id=None
    )
    before = len(entries(session, world.membership))
    with pytest.raises(InsufficientPoints):
        stamping.revoke_stamp(world.owner, stamp_id=result.stamp.id, now=NOW)
    assert len(entries(session, world.membership)) == before
    session.refresh(result.stamp)
    assert result.stamp.revoked_at is None
    assert world.membership.balance == 5
    give_points(session, world.membership, 5)
    stamping.revoke_stamp(world.owner, stamp_id=result.stamp.id, now=NOW)
    assert world.membership.balance == 0


def test_a_stamp_is_revoked_at_most_once(world: World, session: Session) -> None:
    task = make_task(session, world.program)
    result = stamp(world, task)
    stamping.revoke_stamp(world.owner, stamp_id=result.stamp.id, now=NOW)
    with pytest.raises(Conflict) as raised:
        stamping.revoke_stamp(world.owner, stamp_id=result.stamp.id, now=NOW)
    assert raised.value.code == "already_revoked"


def test_whoever_stamped_may_revoke_within_the_grace_period(
    session: Session,
) -> None:
    world = make_world(session, stamp_system_type="stampers")
    task = make_task(session, world.program)
    early = stamp(world, task, actor=world.stamper)
    late = stamp(world, task, actor=world.stamper, at=NOW + timedelta(hours=1))
    stamping.revoke_stamp(world.stamper, stamp_id=early.stamp.id, now=NOW + timedelta(minutes=15))
    with pytest.raises(Forbidden) as raised:
        stamping.revoke_stamp(
            world.stamper, stamp_id=late.stamp.id, now=NOW + timedelta(hours=1, minutes=16)
        )
    assert raised.value.code == "grace_period_over"
    with pytest.raises(Forbidden) as raised:
        stamping.revoke_stamp(world.member, stamp_id=late.stamp.id, now=NOW)
    assert raised.value.code == "revoke_not_allowed"
    stamping.revoke_stamp(world.manager, stamp_id=late.stamp.id, now=NOW + timedelta(days=30))


def test_only_the_member_writes_the_personal_note(world: World, session: Session) -> None:
    task = make_task(session, world.program)
    result = stamp(world, task)
    stamping.annotate_stamp(world.member, stamp_id=result.stamp.id, note="legs hurt")
    assert result.stamp.note == "legs hurt"
    with pytest.raises(Forbidden):
        stamping.annotate_stamp(world.owner, stamp_id=result.stamp.id, note="no")


# --- Merges -------------------------------------------------------------------------------------


def test_move_tasks_re_points_stamps_overrides_and_awards(world: World, session: Session) -> None:
    task = make_task(session, world.program, bonus_values={"first_time_only": 1})
    make_task(session, world.program).deleted_at = NOW
    result = stamp(world, task)
    services.set_override(
        world.owner, task_id=task.id, membership_id=world.membership.id, fields={"target": 5}
    )
    target = make_program(session, world.shop)
    new_membership = make_membership(session, target, make_user(session))
    moved = services.move_tasks(
        from_program_id=world.program.id,
        to_program_id=target.id,
        membership_map={world.membership.id: new_membership.id},
    )
    assert moved == 2
    assert task.program_id == target.id
    assert session.get(Stamp, result.stamp.id).membership_id == new_membership.id  # type: ignore[union-attr]
    assert session.scalars(select(TaskOverride.membership_id)).all() == [new_membership.id]
    assert session.scalars(select(TaskBonusAward.membership_id)).all() == [new_membership.id]
    assert (
        services.move_tasks(
            from_program_id=world.program.id, to_program_id=target.id, membership_map={}
        )
        == 0
    )


def test_a_member_who_travels_keeps_the_days_they_lived(session: Session) -> None:
    world = make_world(session, member_time_zone="Europe/Madrid")
    task = make_task(session, world.program, bonus_values={"streaks": [{"length": 3, "points": 5}]})
    monday_night = datetime(2024, 5, 6, 21, 30, tzinfo=UTC)  # 23:30 in Madrid
    assert stamp(world, task, at=monday_night).stamp.local_date.isoformat() == "2024-05-06"
    world.member.time_zone = "America/New_York"  # flies west
    session.flush()
    # Monday 19:00 in New York is later than the Madrid stamp: still Monday, no double.
    same_day = stamp(world, task, at=datetime(2024, 5, 6, 23, 0, tzinfo=UTC))
    assert same_day.stamp.local_date.isoformat() == "2024-05-06"
    stamp(world, task, at=datetime(2024, 5, 8, 0, 0, tzinfo=UTC))  # Tuesday 20:00 there
    third = stamp(world, task, at=datetime(2024, 5, 8, 12, 0, tzinfo=UTC))  # Wednesday
    assert [b["kind"] for b in third.breakdown] == ["base", "streak"]


def test_demo_tasks_are_valid(world: World, session: Session) -> None:
    add_demo_tasks([world.program.id], world.owner.id)
    tasks = session.scalars(select(Task).where(Task.program_id == world.program.id)).all()
    assert len(tasks) == len(DEMO_TASKS)
    for task in tasks:
        assert check_settings(task.settings()) == []
    run = next(t for t in tasks if t.name == "Morning run")
    assert stamp(world, run).points == 15
    # The demo's book club stamps itself: no demo task lets a member stamp without a limit.
    for task in tasks:
        schedules = task.availability_settings or {}
        assert task.frequency_settings or task.target or schedules.get("must_stamp_during"), (
            task.name
        )
