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

from stampbook.tasks.models import Stamp, Task, TaskOverride
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership
from tests.factories.tasks import make_stamp, make_task
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    help_of,
    log_in,
    post,
    signed_in,
    statement_counts,
    task_path,
    text_of,
)


def _stamp(client: FlaskClient, cafe: Cafe, task: Task | None = None, **data: Any) -> Any:
    task = task or cafe.task
    return post(
        client,
        f"/tasks/{task.id}/stamp",
        task_path(task),
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
    page = text_of(client.get(task_path(task)))
    for said in (
        "4 points per stamp",
        "1 point for a partial stamp",
        "up to 3 at a time",
        "5 times every two weeks",
        "available weekdays · 09:00 to 17:00 (stamps only then)",
        "until 2099-12-31 18:00",
        "target: 20 stamps",
        "group target: 200 stamps",
        "50 points extra on reaching the target",
        "5 points extra for every 3 weeks of a streak",
        "20 points extra on reaching 10 stamps (“Ten visits”)",
        "30 points extra each when the group reaches its target, if at least 3 members took part",
        "2 points extra each when the group reaches 100 stamps",
        "1 point extra each for a group streak of 2 days",
    ):
        assert said in page, said


def test_stamping_from_the_task_page_comes_back_to_it_and_shows_my_progress(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.task.target = 4
    session.flush()
    log_in(client, cafe.member.email)
    response = _stamp(client, cafe, note="with oat milk", next=task_path(cafe.task))
    assert response.status_code == 303 and response.headers["Location"] == task_path(cafe.task)
    page = text_of(client.get(task_path(cafe.task)))
    assert "Stamped “Buy a coffee”: +15 points" in page
    assert "1 of 4 stamps toward my target" in page
    assert 'value="with oat milk"' in page and "+15" in page


def test_task_page_says_the_rules_and_shows_my_history(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    program_page = f"/programs/{cafe.program.id}"
    post(
        client,
        f"/tasks/{cafe.task.id}/stamp",
        program_page,
        {"membership_id": cafe.membership.id, "note": "with oat milk"},
    )
    page = text_of(client.get(f"/tasks/{cafe.task.id}"))
    assert "twice every three days" in page and "with oat milk" in page and "+15" in page


def test_i_edit_and_clear_the_note_of_my_stamp(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    _stamp(client, cafe)
    stamp = session.scalars(select(Stamp)).one()
    note = f"/stamps/{stamp.id}/note"
    response = post(
        client, note, task_path(cafe.task), {"note": "Large one", "next": task_path(cafe.task)}
    )
    assert response.status_code == 303
    session.refresh(stamp)
    assert stamp.note == "Large one"
    assert "Your note is saved." in text_of(client.get(response.headers["Location"]))
    too_long = post(client, note, task_path(cafe.task), {"note": "x" * 501})
    assert too_long.status_code == 422
    assert "500" in help_of(text_of(too_long), f"note-{stamp.id}")
    post(client, note, task_path(cafe.task), {"note": ""})
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
    page = text_of(client.get(task_path(cafe.task)))
    assert "Open Olly" in page and "Shy Sam" not in page
    one = text_of(client.get(f"{task_path(cafe.task)}?membership_id={open_membership.id}"))
    assert "Stamps of Open Olly" in one
    assert (
        client.get(f"{task_path(cafe.task)}?membership_id={shy_membership.id}").status_code == 404
    )
    log_in(client, cafe.owner.email)
    assert "Shy Sam" in text_of(client.get(task_path(cafe.task)))


def test_the_stamp_history_is_paged(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    now = datetime.now(UTC)
    for n in range(25):
        make_stamp(session, cafe.task, cafe.membership, at=now - timedelta(minutes=n), points=n)
    log_in(client, cafe.owner.email)
    page = text_of(client.get(task_path(cafe.task)))
    more = re.search(r'href="([^"]*cursor=[^"]*)"', page)
    assert more is not None and "+0 points<" not in page
    older = text_of(client.get(more.group(1).replace("&amp;", "&")))
    assert "+0 points<" in older and "+24 points<" not in older
    assert client.get(f"{task_path(cafe.task)}?cursor=%%&membership_id=x").status_code == 200


def test_the_group_progress_toward_its_target(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    task = make_task(session, cafe.program, name="Plant trees", group_target=10)
    make_stamp(session, task, cafe.membership, quantity=3)
    revoked = make_stamp(session, task, cafe.membership, quantity=2)
    revoked.revoked_at = datetime.now(UTC)
    session.flush()
    page = text_of(client.get(task_path(task)))
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
    page = text_of(client.get(task_path(cafe.task)))
    assert f"/stamps/{stamp.id}/revoke" in page
    revoke = f"/stamps/{stamp.id}/revoke"
    confirm = text_of(client.get(revoke))
    assert "Revoke this stamp of Buy a coffee?" in confirm and "Ada Member" in confirm
    response = post(client, revoke, revoke, {"next": task_path(cafe.task)})
    assert response.status_code == 303 and response.headers["Location"] == task_path(cafe.task)
    session.refresh(stamp)
    session.refresh(cafe.membership)
    assert stamp.revoked_at is not None and cafe.membership.balance == 0
    after = text_of(client.get(task_path(cafe.task)))
    assert "The stamp is revoked: 15 points taken back." in after and "revoked" in after
    again = post(client, revoke, task_path(cafe.task), {})
    assert "This stamp is already revoked." in text_of(client.get(again.headers["Location"]))


def test_a_member_takes_back_their_own_stamp_only_for_a_while(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    _stamp(client, cafe)
    stamp = session.scalars(select(Stamp)).one()
    assert f"/stamps/{stamp.id}/revoke" in text_of(client.get(task_path(cafe.task)))
    assert client.get(f"/stamps/{stamp.id}/revoke").status_code == 200
    stamp.created_at = datetime.now(UTC) - timedelta(hours=1)
    session.flush()
    assert f"/stamps/{stamp.id}/revoke" not in text_of(client.get(task_path(cafe.task)))
    response = post(client, f"/stamps/{stamp.id}/revoke", task_path(cafe.task), {})
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


# --- Per-member overrides -------------------------------------------------------------------


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
            task_path(cafe.task),
            f"/tasks/{cafe.task.id}/edit",
            f"/tasks/{cafe.task.id}/delete",
            f"/tasks/{cafe.task.id}/overrides",
            f"/tasks/{cafe.task.id}/overrides/{cafe.membership.id}",
            f"/stamps/{stamp.id}/revoke",
            f"/tasks/{cafe.task.id}/stamp-member",
        ),
    )
    log_in(client, cafe.member.email)
    page = text_of(client.get(task_path(cafe.task)))
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
        (cafe.member, [task_path(cafe.task)]),
        (
            cafe.owner,
            [
                task_path(cafe.task),
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
    assert "Stamp another member" in text_of(client.get(task_path(cafe.task)))
    chooser = f"/tasks/{cafe.task.id}/stamp-member"
    page = text_of(client.get(chooser))
    assert "Ada Member" in page and f'value="{cafe.membership.id}"' in page
    response = post(
        client,
        f"/tasks/{cafe.task.id}/stamp",
        chooser,
        {"membership_id": cafe.membership.id, "next": task_path(cafe.task)},
    )
    assert response.status_code == 303 and response.headers["Location"] == task_path(cafe.task)
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 15


def test_members_who_stamp_themselves_may_not_stamp_others(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    assert "Stamp another member" not in text_of(client.get(task_path(cafe.task)))
    assert client.get(f"/tasks/{cafe.task.id}/stamp-member").status_code == 403
    log_in(client, cafe.owner.email)
    assert "Stamp another member" in text_of(client.get(task_path(cafe.task)))
    assert "Ada Member" in text_of(client.get(f"/tasks/{cafe.task.id}/stamp-member"))


# --- Stamping with a quantity -----------------------------------------------------------------


def test_the_stamp_form_says_how_many_one_stamp_may_ask_for(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    per_stamp = make_task(
        session, cafe.program, name="Bagels", allows_multiple=True, max_multiple=3
    )
    per_period = make_task(
        session,
        cafe.program,
        name="Refills",
        allows_multiple=True,
        frequency_settings={"quantity": 1, "time_unit_quantity": 1, "time_unit": "day"},
    )
    to_target = make_task(session, cafe.program, name="Cards", allows_multiple=True, target=4)
    make_stamp(session, to_target, cafe.membership, quantity=3)
    log_in(client, cafe.member.email)
    for task, most, words in (
        (per_stamp, 3, "One stamp counts at most 3 times."),
        (per_period, 1, "At most 1 at once: the task allows no more in its period."),
        (to_target, 1, "At most 1 more: then your target is reached."),
    ):
        page = text_of(client.get(task_path(task)))
        assert re.search(
            rf'name="quantity"[^>]*max="{most}"|max="{most}"[^>]*name="quantity"', page
        )
        assert help_of(page, "quantity").strip() == words


def test_a_refused_stamp_keeps_what_was_typed(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    task = make_task(
        session,
        cafe.program,
        name="Refills",
        allows_multiple=True,
        allows_partial=True,
        point_value=2,
        point_value_partial=1,
        frequency_settings={"quantity": 1, "time_unit_quantity": 1, "time_unit": "day"},
    )
    log_in(client, cafe.member.email)
    response = _stamp(
        client, cafe, task, quantity=2, partial="y", note="for two", next=task_path(task)
    )
    assert response.status_code in (409, 422)
    page = text_of(response)
    assert "Refills:" in page  # the refusal, said above the form
    assert re.search(r'name="quantity"[^>]*value="2"|value="2"[^>]*name="quantity"', page)
    assert re.search(r'id="stamp-note"[^>]*value="for two"', page)
    assert re.search(r'id="partial"[^>]*checked', page)
    assert session.scalars(select(Stamp).where(Stamp.task_id == task.id)).all() == []
