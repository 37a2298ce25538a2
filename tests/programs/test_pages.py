"""The program pages: a program with its tasks, streaks, leaderboard, members and stats;
joining and leaving; the points history; archiving and the program form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stampbook.ledger.models import EntryKind
from stampbook.programs.models import Membership, MembershipStatus, Program
from tests.factories.accounts import make_token, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.tasks import make_stamp, make_task
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    log_in,
    post,
    statement_counts,
    text_of,
)


def _program(cafe: Cafe) -> str:
    return f"/programs/{cafe.program.id}"


# --- The program page -----------------------------------------------------------------------


def test_a_visitor_sees_tasks_leaderboard_and_a_way_to_join(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 30)
    page = text_of(client.get(_program(cafe)))
    assert "Buy a coffee" in page and "10 points per stamp" in page
    assert "twice every three days" in page
    assert "5 points extra with your first stamp" in page
    # Memberships are for co-members by default: a visitor sees places, not names.
    assert "A member" in page and "Ada Member" not in page
    assert "Full leaderboard" in page and "All members" in page
    assert "</a> to join." in page
    assert "Leave the program" not in page and "Archive the program" not in page
    assert "Group stats" not in page  # members and the team only


def test_a_member_sees_balance_history_link_leave_link_and_stats(
    client: FlaskClient, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    page = text_of(client.get(_program(cafe)))
    assert "My balance:" in page
    assert f"/memberships/{cafe.membership.id}/history" in page
    assert f"{_program(cafe)}/leave" in page
    assert "Group stats" in page and "Buy a coffee: 0 stamps" in page
    assert "Stamp “Buy a coffee”" in page
    assert "Edit the program" not in page and "Manage members" not in page


def test_the_shop_creator_sees_the_team_tools(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = text_of(client.get(_program(cafe)))
    for tool in (
        "Edit the program",
        "New task",
        "Manage members",
        "Merge another program in",
        "Archive the program",
    ):
        assert tool in page, tool


def test_my_streaks_in_progress_say_how_far_the_next_bonus_is(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    run = make_task(
        session,
        cafe.program,
        name="Run",
        bonus_values={
            "streaks": [
                {"length": 3, "points": 5, "period": "day"},
                {"length": 2, "points": 1, "period": "week", "is_repeatable": True},
            ]
        },
    )
    now = datetime.now(UTC)
    for days in (1, 2):
        make_stamp(session, run, cafe.membership, at=now - timedelta(days=days))
    log_in(client, cafe.member.email)
    page = text_of(client.get(_program(cafe)))
    assert "My streaks" in page
    assert "a streak of 2 days: stamp today to keep it" in page
    assert "5 points extra for a streak of 3 days: just 1 day to go" in page
    # Days two apart at most: this week or last week holds a stamp, so a weekly run is alive.
    assert "1 point extra for every 2 weeks of a streak" in page


def test_a_broken_streak_is_not_shown(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    run = make_task(
        session,
        cafe.program,
        name="Run",
        bonus_values={"streaks": [{"length": 3, "points": 5, "period": "day"}]},
    )
    make_stamp(session, run, cafe.membership, at=datetime.now(UTC) - timedelta(days=3))
    log_in(client, cafe.member.email)
    assert "My streaks" not in text_of(client.get(_program(cafe)))


# --- Joining and leaving --------------------------------------------------------------------


def test_a_member_leaves_after_a_confirmation_and_keeps_the_points(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 25)
    log_in(client, cafe.member.email)
    leave = f"{_program(cafe)}/leave"
    page = text_of(client.get(leave))
    assert "Leave Coffee card?" in page and "Your 25 points stay" in page
    response = post(client, leave, leave, {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/shops/{cafe.shop.id}")
    session.refresh(cafe.membership)
    assert cafe.membership.status == MembershipStatus.LEFT and cafe.membership.balance == 25
    assert "You left Coffee card" in text_of(client.get(response.headers["Location"]))
    # Joining again brings the points back.
    assert post(client, f"{_program(cafe)}/join", _program(cafe), {}).status_code == 303
    session.refresh(cafe.membership)
    assert cafe.membership.status == MembershipStatus.ACTIVE


def test_leaving_a_program_one_is_not_in_is_refused_with_a_message(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    stranger = make_user(session)
    log_in(client, stranger.email)
    response = client.get(f"{_program(cafe)}/leave")
    assert response.status_code == 303
    assert "You are not a member of this program." in text_of(
        client.get(response.headers["Location"])
    )


def test_joining_an_invitation_only_program_says_why_not(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    club = make_program(session, cafe.shop, name="Club", membership_mode="invite")
    stranger = make_user(session)
    log_in(client, stranger.email)
    page = f"/programs/{club.id}"
    assert "Join Club" not in text_of(client.get(page))
    response = post(client, f"{page}/join", page, {})
    assert "This program takes members by invitation." in text_of(
        client.get(response.headers["Location"])
    )


# --- Leaderboard and members ----------------------------------------------------------------


def test_the_full_leaderboard_hides_the_names_of_private_members(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    shy = make_user(session, name="Shy Sam", privacy_settings={"memberships": "private"})
    give_points(session, make_membership(session, cafe.program, shy), 90)
    give_points(session, cafe.membership, 40)
    log_in(client, cafe.member.email)
    page = text_of(client.get(f"{_program(cafe)}/leaderboard"))
    ranks = re.findall(r"<tr[^>]*><td>(\d+)</td><td>([^<]*)</td><td[^>]*>(\d+)</td>", page)
    assert ranks[:2] == [("1", "A member", "90"), ("2", "Ada Member", "40")]
    assert "Shy Sam" not in page


def test_members_are_listed_as_their_privacy_allows(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    shy = make_user(session, name="Shy Sam", privacy_settings={"memberships": "private"})
    make_membership(session, cafe.program, shy)
    gone = make_user(session, name="Gone Gus")
    make_membership(session, cafe.program, gone, status=MembershipStatus.LEFT)
    make_membership(session, cafe.program, None, email="walkin@example.com")
    give_points(session, cafe.membership, 12)
    members = f"{_program(cafe)}/members"

    log_in(client, cafe.member.email)
    page = text_of(client.get(members))
    assert "Ada Member" in page and "Olga Owner" in page and "12" in page
    assert "Shy Sam" not in page and "Gone Gus" not in page and "walkin" not in page
    assert "Manager" in page  # the owner's role
    assert page.count("/history") == 1  # my own points history only

    log_in(client, cafe.owner.email)
    page = text_of(client.get(members))
    assert "Shy Sam" in page and "Customer walkin@example.com" in page
    assert f"/memberships/{cafe.membership.id}/history" in page  # the shop's team reads it
    assert "Gone Gus" in page  # the team sees every membership, whatever its status
    left = text_of(client.get(members + "?status=left"))
    assert "Gone Gus" in left and "Left" in left and "Ada Member" not in left
    assert client.get(members + "?status=sideways&cursor=%%").status_code == 200


def test_the_member_list_is_paged(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    for n in range(52):
        make_membership(session, cafe.program, make_user(session, name=f"Person {n:02d}"))
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"{_program(cafe)}/members"))
    more = re.search(r'href="([^"]*cursor=[^"]*)"', page)
    assert more is not None
    rest = text_of(client.get(more.group(1).replace("&amp;", "&")))
    assert "Person 51" in page and "Ada Member" in rest and "Person 51" not in rest


# --- Archiving ------------------------------------------------------------------------------


def test_the_shop_creator_archives_a_program_after_a_confirmation(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    delete = f"{_program(cafe)}/delete"
    page = text_of(client.get(delete))
    assert "Archive Coffee card?" in page and "This cannot be undone." in page
    response = post(client, delete, delete, {})
    assert response.status_code == 303
    session.refresh(cafe.program)
    assert cafe.program.archived_at is not None
    program_page = text_of(client.get(_program(cafe)))
    assert "This program is archived" in program_page and "Archive the program" not in program_page
    assert client.get(delete).status_code == 409


def test_members_may_not_archive_a_program(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    assert client.get(f"{_program(cafe)}/delete").status_code == 403
    assert client.get(f"{_program(cafe)}/edit").status_code == 403


# --- The points history ---------------------------------------------------------------------


def test_my_points_history_says_what_each_entry_was_for(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    post(
        client,
        f"/tasks/{cafe.task.id}/stamp",
        _program(cafe),
        {"membership_id": cafe.membership.id},
    )
    history = f"/memberships/{cafe.membership.id}/history"
    page = text_of(client.get(history))
    assert "My points history" in page and "15 points" in page
    assert "Stamp" in page and "Bonus" in page and "+10" in page and "+5" in page
    assert f'href="/tasks/{cafe.task.id}"' in page and "A stamp of" in page
    assert "Buy a coffee: first stamp bonus" in page  # the bonus entry's note, in words
    assert "Days and times in your time zone (UTC)." in page


def test_the_points_history_filters_by_period_and_pages(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    for _n in range(35):
        give_points(session, cafe.membership, 1)
    log_in(client, cafe.member.email)
    history = f"/memberships/{cafe.membership.id}/history"
    page = text_of(client.get(history))
    assert page.count("Adjustment by the team") == 30
    more = re.search(r'href="([^"]*cursor=[^"]*)"', page)
    assert more is not None
    assert text_of(client.get(more.group(1).replace("&amp;", "&"))).count("Adjustment") == 5
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert "No points moved in this period." in text_of(client.get(f"{history}?since={tomorrow}"))
    today = datetime.now(UTC).date().isoformat()
    assert "Adjustment by the team" in text_of(client.get(f"{history}?until={today}"))
    bad = client.get(f"{history}?since=yesterday&cursor=%%")
    assert bad.status_code == 422 and "Not a valid date value." in text_of(bad)


def test_someone_elses_points_history_is_not_found_but_the_shop_team_sees_it(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 3, kind=EntryKind.ADJUSTMENT)
    other = make_user(session)
    make_membership(session, cafe.program, other)
    history = f"/memberships/{cafe.membership.id}/history"
    log_in(client, other.email)
    assert client.get(history).status_code == 404
    log_in(client, cafe.owner.email)
    page = text_of(client.get(history))
    assert "Points history of Ada Member" in page and "+3" in page


def test_signed_out_visitors_have_no_points_history(client: FlaskClient, cafe: Cafe) -> None:
    assert client.get(f"/memberships/{cafe.membership.id}/history").status_code == 401


# --- The program form -----------------------------------------------------------------------


def test_a_bad_colour_is_refused_next_to_its_field(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    edit = f"{_program(cafe)}/edit"
    response = post(client, edit, edit, {"name": "Coffee card", "color": "brown"})
    assert response.status_code == 422
    assert re.search(r'id="color-help"[^>]*>[^<]*pattern', text_of(response))


def test_a_program_gets_an_icon_and_a_description(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/shops/{cafe.shop.id}/programs/new"
    response = post(
        client, new, new, {"name": "Tea card", "icon": "leaf", "description": "Loose leaf."}
    )
    assert response.status_code == 302
    tea = session.scalars(select(Program).where(Program.name == "Tea card")).one()
    assert (tea.icon, tea.description) == ("leaf", "Loose leaf.")
    assert "Loose leaf." in text_of(client.get(f"/programs/{tea.id}"))


# --- Escaping and cost ----------------------------------------------------------------------


def test_user_content_is_escaped_on_the_program_pages(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.program.name = cafe.program.summary = cafe.task.name = cafe.member.name = EVIL
    give_points(session, cafe.membership, 5)
    session.flush()
    log_in(client, cafe.owner.email)
    assert_escaped(
        client,
        (
            _program(cafe),
            f"{_program(cafe)}/leaderboard",
            f"{_program(cafe)}/members",
            f"{_program(cafe)}/delete",
            f"/memberships/{cafe.membership.id}/history",
        ),
    )


def test_program_pages_stay_within_a_handful_of_queries(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    run = make_task(
        session,
        cafe.program,
        name="Run",
        bonus_values={"streaks": [{"length": 3, "points": 5, "period": "day"}]},
    )
    now = datetime.now(UTC)
    for n in range(12):
        person = make_user(session)
        membership = make_membership(session, cafe.program, person)
        give_points(session, membership, n + 1)
        make_stamp(session, run, membership, at=now - timedelta(hours=n))
        make_stamp(session, run, cafe.membership, at=now - timedelta(days=n))
        give_points(session, cafe.membership, n + 1)
    paths = [
        _program(cafe),
        f"{_program(cafe)}/leaderboard",
        f"{_program(cafe)}/members",
        f"{_program(cafe)}/leave",
        f"/memberships/{cafe.membership.id}/history",
    ]
    counts: dict[tuple[str, str], int] = {}
    for who in (cafe.member, cafe.owner):
        log_in(client, who.email)
        counts |= {(who.name, p): n for p, n in statement_counts(client, engine, paths).items()}
    assert max(counts.values()) <= PAGE_BUDGET, counts


def test_the_member_list_is_the_apis(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    """The page lists exactly the memberships the API lists to the same person."""
    shy = make_user(session, name="Shy Sam", privacy_settings={"memberships": "private"})
    make_membership(session, cafe.program, shy)
    friend = make_user(session, name="Open Olly", privacy_settings={"memberships": "public"})
    make_membership(session, cafe.program, friend)
    outsider = make_user(session, name="Far Away")
    for who in (cafe.member, outsider, cafe.owner):
        token = make_token(session, who)
        answer = client.get(
            f"/api/v1/programs/{cafe.program.id}/memberships",
            headers={"Authorization": f"Bearer {token}"},
        ).get_json()
        listed = answer["items"]
        shown = {
            m.user_id
            for m in session.scalars(
                select(Membership).where(Membership.id.in_([m["id"] for m in listed]))
            )
        }
        log_in(client, who.email)
        page = text_of(client.get(f"{_program(cafe)}/members"))
        for person in (cafe.owner, cafe.member, shy, friend):
            assert (f"<td>{person.name}</td>" in page) == (person.id in shown), (who, person)


# --- Safe defaults and who the members are --------------------------------------------------


def test_a_new_program_is_stamped_by_the_team_unless_chosen_and_says_why(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/shops/{cafe.shop.id}/programs/new"
    form = text_of(client.get(new))
    assert re.search(r'<option selected value="stampers">|<option value="stampers" selected', form)
    assert "give each task a limit" in form
    response = post(client, new, new, {"name": "Tea card"})
    assert response.status_code == 302
    tea = session.scalars(select(Program).where(Program.name == "Tea card")).one()
    assert tea.stamp_system_type == "stampers"
    assert "give each task a limit" not in text_of(client.get(response.headers["Location"]))
    response = post(client, new, new, {"name": "Gym card", "stamp_system_type": "self"})
    assert response.status_code == 302
    assert "give each task a limit" in text_of(client.get(response.headers["Location"]))


def test_the_owner_who_creates_a_program_is_not_its_member(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/shops/{cafe.shop.id}/programs/new"
    response = post(client, new, new, {"name": "Tea card"})
    tea = session.scalars(select(Program).where(Program.name == "Tea card")).one()
    assert session.scalars(select(Membership).where(Membership.program_id == tea.id)).all() == []
    page = text_of(client.get(response.headers["Location"]))
    assert "Leave the program" not in page and "No members yet." in page
    assert f"/programs/{tea.id}/edit" in page  # they run it all the same


def test_the_leaderboard_shows_customers_unnamed_and_empty_members_last(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    customer = make_membership(session, cafe.program, None, email="walk-in@example.com")
    give_points(session, customer, 40)
    give_points(session, cafe.membership, 20)
    cafe.member.privacy_settings = {"memberships": "public"}
    session.flush()
    page = text_of(client.get(f"{_program(cafe)}/leaderboard"))
    assert "walk-in" not in page
    rows = re.findall(r"<tr[^>]*><td>(\d+)</td><td>([^<]*)</td><td[^>]*>(\d+)</td></tr>", page)
    assert rows[:2] == [("1", "A customer", "40"), ("2", "Ada Member", "20")]
    assert all(points == "0" for _, _, points in rows[2:])
