"""A program's members as the team manages them: roles, removal, unclaimed customers."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership, MembershipStatus
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership
from tests.pages import (
    Cafe,
    error_next_to,
    log_in,
    post,
    text_of,
)


def test_the_members_page_shows_roles_and_balances(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 42)
    make_membership(session, cafe.program, None, email="walkin@example.com")
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/programs/{cafe.program.id}/members/manage"))
    assert "Ada Member" in page and "42 points" in page and "Manager" in page
    assert "walkin@example.com" in page and "unclaimed customer" in page
    assert "Adjust the points of Ada Member" in page
    left = text_of(client.get(f"/programs/{cafe.program.id}/members/manage?status=left"))
    assert "No members to show." in left


def test_a_member_role_is_changed_and_a_member_removed(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/programs/{cafe.program.id}/members/manage"
    response = post(
        client, f"/memberships/{cafe.membership.id}/role", page, {"role_type": "stamper"}
    )
    assert response.status_code == 303 and response.headers["Location"] == page
    session.refresh(cafe.membership)
    assert cafe.membership.role_type == "stamper"
    assert "The member&#39;s role is now Stamper." in text_of(client.get(page))
    response = post(client, f"/memberships/{cafe.membership.id}/remove", page, {})
    assert response.status_code == 303
    session.refresh(cafe.membership)
    assert cafe.membership.status == MembershipStatus.REMOVED
    assert "their points and history stay" in text_of(client.get(page))


def test_an_unclaimed_customer_is_added_once(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/programs/{cafe.program.id}/members/manage"
    response = post(client, page, page, {"email": "Walk.In@example.com"})
    assert response.status_code == 303, text_of(response)
    found = session.scalars(
        select(Membership).where(Membership.email == "walk.in@example.com")
    ).one()
    assert found.user_id is None and found.status == MembershipStatus.ACTIVE
    again = post(client, page, page, {"email": "walk.in@example.com"})
    assert again.status_code == 409
    assert error_next_to(text_of(again), "email", "They are a member already.")
    empty = post(client, page, page, {"email": "", "external_id": ""})
    assert empty.status_code == 422
    assert error_next_to(text_of(empty), "email", "Give their email or your customer number.")
    response = post(client, page, page, {"external_id": "till-42"})
    assert response.status_code == 303
    assert "till-42" in text_of(client.get(page))
