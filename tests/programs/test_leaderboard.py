"""The program leaderboard: rank by balance, privacy of names, visibility of the program."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.programs.models import ProgramPrivacy
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


def test_ranks_by_balance_with_earlier_members_first_on_ties(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner))
    people = [
        make_user(session, name=f"P{n}", privacy_settings={"memberships": "public"})
        for n in range(4)
    ]
    memberships = [make_membership(session, program, person) for person in people]
    for membership, points in zip(memberships, (10, 30, 30, 5), strict=True):
        give_points(session, membership, points)
    response = client.get(f"/api/v1/programs/{program.id}/leaderboard")
    assert response.status_code == 200
    items = response.json["items"]
    assert [i["balance"] for i in items] == [30, 30, 10, 5]
    assert [i["name"] for i in items] == ["P1", "P2", "P0", "P3"]
    assert [i["rank"] for i in items] == [1, 2, 3, 4]


def test_customers_holding_points_are_ranked_unnamed_and_empty_members_come_last(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner))
    empty = make_membership(
        session,
        program,
        make_user(session, name="Zero", privacy_settings={"memberships": "public"}),
    )
    customer = make_membership(session, program, None, email="walk-in@example.com")
    give_points(session, customer, 12)
    member = make_membership(
        session,
        program,
        make_user(session, name="Ada", privacy_settings={"memberships": "public"}),
    )
    give_points(session, member, 7)
    for headers in ({}, auth(session, owner)):
        items = client.get(f"/api/v1/programs/{program.id}/leaderboard", headers=headers).json[
            "items"
        ]
        assert [(i["membership_id"], i["balance"]) for i in items] == [
            (customer.id, 12),
            (member.id, 7),
            (empty.id, 0),
        ]
        assert [(i["name"], i["customer"]) for i in items] == [
            (None, True),
            ("Ada", False),
            ("Zero", False),
        ]
        assert "walk-in" not in str(items)


def test_limit(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner))
    for n in range(5):
        give_points(session, make_membership(session, program, make_user(session)), n + 1)
    response = client.get(f"/api/v1/programs/{program.id}/leaderboard?limit=2")
    assert [i["balance"] for i in response.json["items"]] == [5, 4]
    assert client.get(f"/api/v1/programs/{program.id}/leaderboard?limit=101").status_code == 422


def test_private_members_keep_their_place_but_not_their_name(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner))
    hidden = make_user(session, name="Hidden", privacy_settings={"memberships": "private"})
    shown = make_user(session, name="Shown", privacy_settings={"memberships": "members"})
    viewer = make_user(session)
    give_points(session, make_membership(session, program, hidden), 50)
    give_points(session, make_membership(session, program, shown), 40)
    make_membership(session, program, viewer)

    as_member = client.get(
        f"/api/v1/programs/{program.id}/leaderboard", headers=auth(session, viewer)
    ).json["items"]
    assert [(i["name"], i["user_id"]) for i in as_member[:2]] == [(None, None), ("Shown", shown.id)]
    anonymous = client.get(f"/api/v1/programs/{program.id}/leaderboard").json["items"]
    assert [i["name"] for i in anonymous[:2]] == [None, None]
    as_team = client.get(
        f"/api/v1/programs/{program.id}/leaderboard", headers=auth(session, owner)
    ).json["items"]
    assert [i["name"] for i in as_team[:2]] == ["Hidden", "Shown"]
    as_self = client.get(
        f"/api/v1/programs/{program.id}/leaderboard", headers=auth(session, hidden)
    ).json["items"]
    assert as_self[0]["name"] == "Hidden"


def test_invisible_program_is_404(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner), privacy_mode=ProgramPrivacy.PRIVATE)
    outsider = make_user(session)
    response = client.get(
        f"/api/v1/programs/{program.id}/leaderboard", headers=auth(session, outsider)
    )
    assert response.status_code == 404
