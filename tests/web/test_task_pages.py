"""The task pages: rules in plain words, my stamps and notes, others' stamps as privacy
allows, revoking, group progress; the task form with every option; deletion; per-member
overrides."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from stampbook.tasks.models import Stamp, Task, TaskOverride
from tests.factories.accounts import make_user
from tests.factories.shops import make_membership
from tests.factories.tasks import make_stamp, make_task
from tests.web.helpers import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    help_of,
    log_in,
    post,
    signed_in,
    statement_counts,
    text_of,
)


def _task(task: Task) -> str:
    return f"/tasks/{task.id}"


def _stamp(client: FlaskClient, cafe: Cafe, task: Task | None = None, **data: Any) -> Any:
    task = task or cafe.task
    return post(
        client,
        f"/tasks/{task.id}/stamp",
        _task(task),
        {"membership_id": cafe.membership.id, **data},
    )


# --- The task page --------------------------------------------------------------------------


def test_the_rules_are_said_in_plain_words(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    task = make_task(
        session,
        cafe.program,
        name="Gym",
        point_value=4,
        allows_partial=True,
        point_value_partial=1,
        allows_multiple=True,
        max_multiple=3,
        target=20,
        group_target=200,
        deadline=datetime(2099, 12, 31, 18, 0, tzinfo=UTC),
        frequency_settings={"quantity": 5, "time_unit_quantity": 2, "time_unit": "week"},
        availability_settings={
            "must_stamp_during": True,
            "schedules": [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["09:00", "17:00"]]}],
        },
        bonus_values={
            "reach_total": 50,
            "streaks": [{"length": 3, "points": 5, "period": "week", "is_repeatable": True}],
            "milestones": [{"name": "Ten visits", "quantity": 10, "points": 20}],
            "group_success": {"points": 30, "group_min_members": 3},
            "group_milestones": [{"quantity": 100, "points": 2}],
            "group_streaks": [{"length": 2, "points": 1, "period": "day"}],
        },
    )
    page = text_of(client.get(_task(task)))
    for said in (
        "4 points per stamp",
        "1 point for a partial stamp",
        "up to 3 at a time",
        "5 times every two weeks",
        "available weekdays · 09:00 to 17:00 (stamps only then)",
        "until 2099-12-31 18:00",
        "target: 20 stamps",
        "group target: 200 stamps",
        "50 bonus points on reaching the target",
        "5 bonus points for every 3 weeks of a streak",
        "20 bonus points on reaching 10 stamps (“Ten visits”)",
        "30 bonus points each when the group reaches its target, if at least 3 members took part",
        "2 bonus points each when the group reaches 100 stamps",
        "1 bonus point each for a group streak of 2 days",
    ):
        assert said in page, said


def test_stamping_from_the_task_page_comes_back_to_it_and_shows_my_progress(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.task.target = 4
    session.flush()
    log_in(client, cafe.member.email)
    response = _stamp(client, cafe, note="with oat milk", next=_task(cafe.task))
    assert response.status_code == 303 and response.headers["Location"] == _task(cafe.task)
    page = text_of(client.get(_task(cafe.task)))
    assert "Stamped “Buy a coffee”: +15 points" in page
    assert "1 of 4 stamps toward my target" in page
    assert 'value="with oat milk"' in page and "+15" in page


def test_i_edit_and_clear_the_note_of_my_stamp(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    _stamp(client, cafe)
    stamp = session.scalars(select(Stamp)).one()
    note = f"/stamps/{stamp.id}/note"
    response = post(client, note, _task(cafe.task), {"note": "Large one", "next": _task(cafe.task)})
    assert response.status_code == 303
    session.refresh(stamp)
    assert stamp.note == "Large one"
    assert "Your note is saved." in text_of(client.get(response.headers["Location"]))
    too_long = post(client, note, _task(cafe.task), {"note": "x" * 501})
    assert too_long.status_code == 422
    assert "500" in help_of(text_of(too_long), f"note-{stamp.id}")
    post(client, note, _task(cafe.task), {"note": ""})
    session.refresh(stamp)
    assert stamp.note is None


def test_nobody_else_writes_my_note(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    stamp = make_stamp(session, cafe.task, cafe.membership)
    co_member = make_user(session)
    make_membership(session, cafe.program, co_member)
    log_in(client, co_member.email)
    assert post(client, f"/stamps/{stamp.id}/note", "/", {"note": "mine"}).status_code == 403
    log_in(client, cafe.owner.email)
    assert post(client, f"/stamps/{stamp.id}/note", "/", {"note": "mine"}).status_code == 403
    session.refresh(stamp)
    assert stamp.note is None


def test_others_stamps_are_shown_as_their_privacy_allows(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    shy = make_user(session, name="Shy Sam", privacy_settings={"task_history": "private"})
    shy_membership = make_membership(session, cafe.program, shy)
    make_stamp(session, cafe.task, shy_membership, points=10)
    open_ = make_user(session, name="Open Olly")
    open_membership = make_membership(session, cafe.program, open_)
    make_stamp(session, cafe.task, open_membership, points=10)
    log_in(client, cafe.member.email)
    page = text_of(client.get(_task(cafe.task)))
    assert "Open Olly" in page and "Shy Sam" not in page
    one = text_of(client.get(f"{_task(cafe.task)}?membership_id={open_membership.id}"))
    assert "Stamps of Open Olly" in one
    assert client.get(f"{_task(cafe.task)}?membership_id={shy_membership.id}").status_code == 404
    log_in(client, cafe.owner.email)
    assert "Shy Sam" in text_of(client.get(_task(cafe.task)))


def test_the_stamp_history_is_paged(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    now = datetime.now(UTC)
    for n in range(25):
        make_stamp(session, cafe.task, cafe.membership, at=now - timedelta(minutes=n), points=n)
    log_in(client, cafe.owner.email)
    page = text_of(client.get(_task(cafe.task)))
    more = re.search(r'href="([^"]*cursor=[^"]*)"', page)
    assert more is not None and "+0<" not in page
    older = text_of(client.get(more.group(1).replace("&amp;", "&")))
    assert "+0<" in older and "+24<" not in older
    assert client.get(f"{_task(cafe.task)}?cursor=%%&membership_id=x").status_code == 200


def test_the_group_progress_toward_its_target(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    task = make_task(session, cafe.program, name="Plant trees", group_target=10)
    make_stamp(session, task, cafe.membership, quantity=3)
    revoked = make_stamp(session, task, cafe.membership, quantity=2)
    revoked.revoked_at = datetime.now(UTC)
    session.flush()
    page = text_of(client.get(_task(task)))
    assert "3 of 10 stamps of everyone together" in page
    assert '<progress class="w-100" id="group-progress" max="10" value="3">' in page


# --- Revoking -------------------------------------------------------------------------------


def test_a_manager_revokes_a_stamp_after_a_confirmation(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    member = signed_in(client.application, cafe.member)
    _stamp(member, cafe)
    stamp = session.scalars(select(Stamp)).one()
    log_in(client, cafe.owner.email)
    page = text_of(client.get(_task(cafe.task)))
    assert f"/stamps/{stamp.id}/revoke" in page
    revoke = f"/stamps/{stamp.id}/revoke"
    confirm = text_of(client.get(revoke))
    assert "Revoke this stamp of Buy a coffee?" in confirm and "Ada Member" in confirm
    response = post(client, revoke, revoke, {"next": _task(cafe.task)})
    assert response.status_code == 303 and response.headers["Location"] == _task(cafe.task)
    session.refresh(stamp)
    session.refresh(cafe.membership)
    assert stamp.revoked_at is not None and cafe.membership.balance == 0
    after = text_of(client.get(_task(cafe.task)))
    assert "The stamp is revoked: 15 points taken back." in after and "revoked" in after
    again = post(client, revoke, _task(cafe.task), {})
    assert "This stamp is already revoked." in text_of(client.get(again.headers["Location"]))


def test_a_member_takes_back_their_own_stamp_only_for_a_while(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    _stamp(client, cafe)
    stamp = session.scalars(select(Stamp)).one()
    assert f"/stamps/{stamp.id}/revoke" in text_of(client.get(_task(cafe.task)))
    assert client.get(f"/stamps/{stamp.id}/revoke").status_code == 200
    stamp.created_at = datetime.now(UTC) - timedelta(hours=1)
    session.flush()
    assert f"/stamps/{stamp.id}/revoke" not in text_of(client.get(_task(cafe.task)))
    response = post(client, f"/stamps/{stamp.id}/revoke", _task(cafe.task), {})
    assert response.status_code == 403
    assert "The time to take back your own stamp is over" in text_of(response)


def test_a_co_member_may_not_revoke_a_stamp(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    stamp = make_stamp(session, cafe.task, cafe.membership)
    co_member = make_user(session)
    make_membership(session, cafe.program, co_member)
    log_in(client, co_member.email)
    assert client.get(f"/stamps/{stamp.id}/revoke").status_code == 403
    assert client.get("/stamps/99999/revoke").status_code == 404


# --- The task form --------------------------------------------------------------------------

EVERY_OPTION: dict[str, Any] = {
    "name": "Gym",
    "summary": "An hour at the gym",
    "description": "Any class counts.",
    "color": "#2a9d8f",
    "icon": "dumbbell",
    "privacy_mode": "members",
    "point_value": 10,
    "allows_partial": "y",
    "point_value_partial": 4,
    "allows_multiple": "y",
    "max_multiple": 2,
    "target": 30,
    "group_target": 300,
    "deadline": "2099-12-31T18:00",
    "frequency_quantity": 2,
    "frequency_span": 3,
    "frequency_unit": "day",
    "schedules-0-days": ["0", "1", "2", "3", "4"],
    "schedules-0-time_from": "09:00",
    "schedules-0-time_until": "17:00",
    "must_stamp_during": "y",
    "first_time_bonus": 5,
    "completion_bonus": 50,
    "streaks-0-name": "Three in a row",
    "streaks-0-length": 3,
    "streaks-0-period": "day",
    "streaks-0-points": 6,
    "streaks-1-length": 2,
    "streaks-1-period": "week",
    "streaks-1-points": 10,
    "streaks-1-is_repeatable": "y",
    "milestones-0-quantity": 10,
    "milestones-0-points": 20,
    "group_success_points": 30,
    "group_success_min_members": 3,
    "group_streaks-0-length": 5,
    "group_streaks-0-period": "day",
    "group_streaks-0-points": 2,
    "group_streaks-0-group_min_members": 2,
    "group_milestones-0-name": "Hundred together",
    "group_milestones-0-quantity": 100,
    "group_milestones-0-points": 3,
    "group_milestones-0-group_min_members": 4,
}


def test_a_manager_creates_a_task_with_every_option(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    assert "Another streak bonus" in text_of(client.get(new))
    response = post(client, new, new, EVERY_OPTION)
    assert response.status_code == 302, text_of(response)
    task = session.scalars(select(Task).where(Task.name == "Gym")).one()
    assert (task.summary, task.description, task.color, task.icon) == (
        "An hour at the gym",
        "Any class counts.",
        "#2a9d8f",
        "dumbbell",
    )
    assert (task.privacy_mode, task.point_value, task.point_value_partial) == ("members", 10, 4)
    assert (task.allows_partial, task.allows_multiple, task.max_multiple) == (True, True, 2)
    assert (task.target, task.group_target) == (30, 300)
    assert task.deadline is not None and task.deadline.hour == 18
    assert task.frequency_settings == {"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"}
    assert task.availability_settings["must_stamp_during"] is True
    [window] = task.availability_settings["schedules"]
    assert window["days_of_week"] == [0, 1, 2, 3, 4]
    assert window["time_ranges"] == [["09:00:00", "17:00:00"]]
    bonus = task.bonus_values
    assert (bonus["first_time_only"], bonus["reach_total"]) == (5, 50)
    assert [
        (s["name"], s["length"], s["period"], s["points"], s["is_repeatable"])
        for s in bonus["streaks"]
    ] == [
        ("Three in a row", 3, "day", 6, False),
        (None, 2, "week", 10, True),
    ]
    assert bonus["milestones"] == [{"name": None, "points": 20, "quantity": 10}]
    assert bonus["group_success"] == {"points": 30, "group_min_members": 3}
    assert bonus["group_streaks"][0]["group_min_members"] == 2
    assert bonus["group_milestones"][0] == {
        "name": "Hundred together",
        "points": 3,
        "quantity": 100,
        "group_min_members": 4,
    }


def test_another_row_adds_a_blank_row_and_saves_nothing(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    response = post(
        client,
        new,
        new,
        {"name": "Gym", "point_value": 1, "streaks-0-length": 3, "more": "streaks"},
    )
    page = text_of(response)
    assert response.status_code == 200
    assert 'name="streaks-1-length"' in page and 'name="streaks-2-length"' not in page
    assert 'name="streaks-0-length" type="number" value="3"' in page
    assert session.scalars(select(Task).where(Task.name == "Gym")).first() is None


def test_bad_options_are_refused_next_to_their_fields(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    partial = post(client, new, new, {"name": "Gym", "point_value": 5, "allows_partial": "y"})
    assert partial.status_code == 422
    assert (
        help_of(text_of(partial), "point_value_partial")
        == "Needed when partial stamps are allowed."
    )
    row = post(
        client,
        new,
        new,
        {"name": "Gym", "point_value": 5, "streaks-0-length": "", "streaks-0-points": 4},
    )
    assert row.status_code == 422
    assert help_of(text_of(row), "streaks-0-length") == "Fill this in."
    twins = post(
        client,
        new,
        new,
        {
            "name": "Gym",
            "point_value": 5,
            "milestones-0-quantity": 10,
            "milestones-0-points": 1,
            "milestones-1-quantity": 10,
            "milestones-1-points": 2,
        },
    )
    assert twins.status_code == 422
    assert "Two of these bonuses have the same threshold." in text_of(twins)
    closed = post(client, new, new, {"name": "Gym", "point_value": 5, "must_stamp_during": "y"})
    assert closed.status_code == 422
    assert "Say when the task is open" in text_of(closed)
    negative = post(client, new, new, {"name": "Gym", "point_value": -1})
    assert negative.status_code == 422 and help_of(text_of(negative), "point_value")


def test_a_manager_edits_a_task_and_clears_options(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.task.bonus_values = {
        "first_time_only": 5,
        "streaks": [{"length": 3, "points": 6, "period": "day", "is_repeatable": False}],
    }
    session.flush()
    log_in(client, cafe.owner.email)
    edit = f"/tasks/{cafe.task.id}/edit"
    form = text_of(client.get(edit))
    assert 'name="streaks-0-length" type="number" value="3"' in form
    assert 'name="frequency_quantity" type="number" value="2"' in form
    response = post(
        client,
        edit,
        edit,
        {
            "name": "Buy a big coffee",
            "point_value": 12,
            "frequency_quantity": "",
            "first_time_bonus": 5,
            "streaks-0-length": "",
            "streaks-0-points": "",
            "milestones-0-quantity": 5,
            "milestones-0-points": 7,
        },
    )
    assert response.status_code == 302, text_of(response)
    session.refresh(cafe.task)
    assert (cafe.task.name, cafe.task.point_value) == ("Buy a big coffee", 12)
    assert cafe.task.frequency_settings is None
    assert cafe.task.bonus_values["streaks"] == []
    assert cafe.task.bonus_values["milestones"] == [{"name": None, "points": 7, "quantity": 5}]
    assert "The task Buy a big coffee is saved." in text_of(
        client.get(response.headers["Location"])
    )


def test_an_edit_breaking_the_rules_together_is_refused(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    edit = f"/tasks/{cafe.task.id}/edit"
    response = post(
        client, edit, edit, {"name": "Buy a coffee", "point_value": 10, "completion_bonus": 5}
    )
    assert response.status_code == 422
    assert help_of(text_of(response), "completion_bonus") == "Needs a target per member."


def test_members_may_not_create_edit_or_delete_tasks(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    for path in (
        f"/programs/{cafe.program.id}/tasks/new",
        f"/tasks/{cafe.task.id}/edit",
        f"/tasks/{cafe.task.id}/delete",
        f"/tasks/{cafe.task.id}/overrides",
        f"/tasks/{cafe.task.id}/overrides/{cafe.membership.id}",
    ):
        assert client.get(path).status_code == 403, path
    assert "Edit the task" not in text_of(client.get(_task(cafe.task)))


def test_a_manager_deletes_a_task_after_a_confirmation(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    delete = f"/tasks/{cafe.task.id}/delete"
    assert "Delete the task Buy a coffee?" in text_of(client.get(delete))
    response = post(client, delete, delete, {})
    assert response.status_code == 303
    session.refresh(cafe.task)
    assert cafe.task.deleted_at is not None
    assert client.get(_task(cafe.task)).status_code == 404


# --- Per-member overrides -------------------------------------------------------------------


def test_a_manager_gives_a_member_their_own_settings_and_removes_them(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    listing = f"/tasks/{cafe.task.id}/overrides"
    page = text_of(client.get(listing))
    assert "Nobody has settings of their own yet." in page and "Ada Member" in page
    chosen = client.get(f"{listing}?membership_id={cafe.membership.id}")
    assert chosen.status_code == 303
    own = chosen.headers["Location"]
    assert own.endswith(f"/overrides/{cafe.membership.id}")
    assert "Own settings of Ada Member" in text_of(client.get(own))
    response = post(
        client,
        own,
        own,
        {
            "target": 7,
            "frequency_quantity": 1,
            "frequency_span": 1,
            "frequency_unit": "week",
            "own_availability": "y",
            "schedules-0-days": ["5", "6"],
            "must_stamp_during": "y",
        },
    )
    assert response.status_code == 303, text_of(response)
    row = session.scalars(select(TaskOverride)).one()
    assert row.frequency_settings is not None and row.availability_settings is not None
    assert (row.target, row.frequency_settings["time_unit"]) == (7, "week")
    assert row.availability_settings["schedules"][0]["days_of_week"] == [5, 6]
    page = text_of(client.get(listing))
    assert "target: 7 stamps" in page and "once a week" in page
    assert "available weekends (stamps only then)" in page

    member = signed_in(client.application, cafe.member)
    mine = text_of(member.get(_task(cafe.task)))
    assert "Some of these rules are yours alone" in mine and "target: 7 stamps" in mine

    removed = post(client, f"{own}/delete", listing, {})
    assert removed.status_code == 303
    assert session.scalars(select(TaskOverride)).first() is None
    again = post(client, f"{own}/delete", listing, {})
    assert "This member has no override of this task." in text_of(
        client.get(again.headers["Location"])
    )


def test_an_override_breaking_the_rules_is_refused_next_to_its_field(
    client: FlaskClient, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    own = f"/tasks/{cafe.task.id}/overrides/{cafe.membership.id}"
    response = post(client, own, own, {"own_availability": "y", "must_stamp_during": "y"})
    assert response.status_code == 422
    assert "Say when the task is open" in text_of(response)
    bad = post(client, own, own, {"target": 0})
    assert bad.status_code == 422 and help_of(text_of(bad), "target")


def test_an_override_for_a_membership_of_another_program_is_not_found(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    other = make_task(session, cafe.program, name="Other")
    elsewhere = session.scalars(select(Membership).where(Membership.user_id == cafe.owner.id)).one()
    log_in(client, cafe.owner.email)
    assert client.get(f"/tasks/{other.id}/overrides/{elsewhere.id}").status_code == 200
    assert client.get(f"/tasks/{other.id}/overrides/999999").status_code == 404


# --- Escaping and cost ----------------------------------------------------------------------


def test_user_content_is_escaped_on_the_task_pages(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.task.name = cafe.task.summary = cafe.member.name = EVIL
    cafe.task.bonus_values = {"streaks": [{"name": EVIL, "length": 2, "points": 1}]}
    stamp = make_stamp(session, cafe.task, cafe.membership, note=EVIL)
    session.add(TaskOverride(task_id=cafe.task.id, membership_id=cafe.membership.id, target=3))
    session.flush()
    log_in(client, cafe.owner.email)
    assert_escaped(
        client,
        (
            _task(cafe.task),
            f"/tasks/{cafe.task.id}/edit",
            f"/tasks/{cafe.task.id}/delete",
            f"/tasks/{cafe.task.id}/overrides",
            f"/tasks/{cafe.task.id}/overrides/{cafe.membership.id}",
            f"/stamps/{stamp.id}/revoke",
            f"/tasks/{cafe.task.id}/stamp-member",
        ),
    )
    log_in(client, cafe.member.email)
    page = text_of(client.get(_task(cafe.task)))
    assert EVIL not in page and "&lt;script&gt;" in page


def test_task_pages_stay_within_a_handful_of_queries(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    now = datetime.now(UTC)
    cafe.task.group_target = 100
    for n in range(12):
        membership = make_membership(session, cafe.program, make_user(session))
        make_stamp(session, cafe.task, membership, at=now - timedelta(minutes=n))
        make_stamp(session, cafe.task, cafe.membership, at=now - timedelta(days=n))
        session.add(TaskOverride(task_id=cafe.task.id, membership_id=membership.id, target=n + 1))
    session.flush()
    stamp = session.scalars(select(Stamp).order_by(Stamp.id)).first()
    assert stamp is not None
    counts: dict[tuple[str, str], int] = {}
    for who, paths in (
        (cafe.member, [_task(cafe.task)]),
        (
            cafe.owner,
            [
                _task(cafe.task),
                f"/tasks/{cafe.task.id}/edit",
                f"/programs/{cafe.program.id}/tasks/new",
                f"/tasks/{cafe.task.id}/overrides",
                f"/tasks/{cafe.task.id}/overrides/{cafe.membership.id}",
                f"/stamps/{stamp.id}/revoke",
                f"/tasks/{cafe.task.id}/delete",
                f"/tasks/{cafe.task.id}/stamp-member",
            ],
        ),
    ):
        log_in(client, who.email)
        counts |= {(who.name, p): n for p, n in statement_counts(client, engine, paths).items()}
    assert max(counts.values()) <= PAGE_BUDGET, counts


def test_members_who_stamp_each_other_stamp_another_member(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.program.stamp_system_type = "members"
    friend = make_user(session, name="Fran Friend")
    make_membership(session, cafe.program, friend)
    session.flush()
    log_in(client, friend.email)
    assert "Stamp another member" in text_of(client.get(_task(cafe.task)))
    chooser = f"/tasks/{cafe.task.id}/stamp-member"
    page = text_of(client.get(chooser))
    assert "Ada Member" in page and f'value="{cafe.membership.id}"' in page
    response = post(
        client,
        f"/tasks/{cafe.task.id}/stamp",
        chooser,
        {"membership_id": cafe.membership.id, "next": _task(cafe.task)},
    )
    assert response.status_code == 303 and response.headers["Location"] == _task(cafe.task)
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 15


def test_members_who_stamp_themselves_may_not_stamp_others(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    assert "Stamp another member" not in text_of(client.get(_task(cafe.task)))
    assert client.get(f"/tasks/{cafe.task.id}/stamp-member").status_code == 403
    log_in(client, cafe.owner.email)
    assert "Stamp another member" in text_of(client.get(_task(cafe.task)))
    assert "Ada Member" in text_of(client.get(f"/tasks/{cafe.task.id}/stamp-member"))
