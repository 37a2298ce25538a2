"""A program's points activity for its team (``GET /programs/{id}/entries``): every member's
entries, newest first, of one member with ``membership_id``, within ``since`` and ``until``;
the shop's creator and managers only."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from tests.factories.accounts import auth
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_team


def test_the_team_reads_every_members_entries_filtered_by_member_and_time(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    member = team.memberships["member"]
    customer = make_membership(session, team.program, None, email="c@example.com")
    first = give_points(session, member, 5)
    second = give_points(session, customer, 7)
    elsewhere = make_membership(session, make_program(session, team.shop), None, email="e@x.com")
    give_points(session, elsewhere, 9)
    headers = auth(session, team.manager)
    path = f"/api/v1/programs/{team.program.id}/entries"

    everyone = client.get(path, headers=headers)
    assert everyone.status_code == 200, everyone.json
    assert [e["id"] for e in everyone.json["items"]] == [second.id, first.id]

    theirs = client.get(path, query_string={"membership_id": customer.id}, headers=headers)
    assert [e["amount"] for e in theirs.json["items"]] == [7]
    # A membership of another program finds nothing here.
    other = client.get(path, query_string={"membership_id": elsewhere.id}, headers=headers)
    assert other.json["items"] == []

    soon = (utcnow() + timedelta(minutes=5)).isoformat()
    assert client.get(path, query_string={"since": soon}, headers=headers).json["items"] == []
    assert len(client.get(path, query_string={"until": soon}, headers=headers).json["items"]) == 2

    paged = client.get(path, query_string={"limit": 1}, headers=headers).json
    rest = client.get(
        path, query_string={"limit": 1, "cursor": paged["next_cursor"]}, headers=headers
    ).json
    assert [e["id"] for e in paged["items"] + rest["items"]] == [second.id, first.id]


def test_members_and_the_team_below_managers_may_not_read_it(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    path = f"/api/v1/programs/{team.program.id}/entries"
    for who in (team.member, team.assistant, team.viewer):
        refused = client.get(path, headers=auth(session, who))
        assert refused.status_code == 403, who
        assert refused.json["detail"] == "You may not see this program's points activity."
