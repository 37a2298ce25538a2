"""Invitations on the pages: into the shop or a program, sent, listed and withdrawn;
answered from my invitations."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from stampbook.shops.models import InvitationStatus, ShopInvitation
from tests.factories.accounts import make_user
from tests.factories.programs import make_program
from tests.factories.shops import make_invitation
from tests.pages import (
    Cafe,
    error_next_to,
    log_in,
    post,
    text_of,
)


def test_invitations_into_the_shop_and_a_program_are_sent_listed_and_withdrawn(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    friend = make_user(session, email="friend@example.com", name="Friend")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/invitations"
    refused = post(client, page, page, {"target": "shop", "email": "friend@example.com"})
    assert refused.status_code == 409
    assert error_next_to(text_of(refused), "email", "Only an invite-only shop takes invitations")
    cafe.shop.privacy_mode = "invite"
    session.flush()
    response = post(client, page, page, {"target": "shop", "email": "new@example.com"})
    assert response.status_code == 303, text_of(response)
    response = post(
        client,
        page,
        page,
        {"target": f"program:{cafe.program.id}", "email": friend.email, "role_type": "stamper"},
    )
    assert response.status_code == 303, text_of(response)
    listing = text_of(client.get(page))
    assert "new@example.com" in listing and "Friend" in listing
    assert "the program Coffee card, as Stamper" in listing
    again = post(client, page, page, {"target": "shop", "email": "new@example.com"})
    assert again.status_code == 409
    assert error_next_to(text_of(again), "email", "They are invited already.")

    shop_invitation = session.scalars(
        select(ShopInvitation).where(ShopInvitation.email == "new@example.com")
    ).one()
    response = post(client, f"/invitations/{shop_invitation.id}/revoke?next={page}", page, {})
    assert response.status_code == 303 and response.headers["Location"] == page
    session.refresh(shop_invitation)
    assert shop_invitation.status == InvitationStatus.REVOKED
    assert "new@example.com" in text_of(client.get(f"{page}?status=revoked"))
    assert "new@example.com" not in text_of(client.get(page))


def test_the_invited_person_accepts_or_declines_from_my_invitations(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    friend = make_user(session, email="friend@example.com", name="Friend")
    tea = make_program(session, cafe.shop, name="Tea card", membership_mode="invite")
    cake_club = make_program(session, cafe.shop, name="Cake club", membership_mode="invite")
    log_in(client, cafe.owner.email)
    for program, role in ((tea, "stamper"), (cake_club, "member")):
        members_page = f"/programs/{program.id}/members/manage"
        response = post(
            client,
            f"/programs/{program.id}/invitations",
            members_page,
            {"email": friend.email, "role_type": role},
        )
        assert response.status_code == 303, text_of(response)

    log_in(client, friend.email)
    # The header's link counts the invitations waiting for an answer.
    assert '>2<span class="visually-hidden"> pending invitations</span>' in text_of(client.get("/"))
    page = text_of(client.get("/invitations"))
    assert "Olga Owner invites you into the program Tea card of Corner Café." in page
    assert "Your role there: Stamper." in page
    tea_invitation, cake_invitation = session.scalars(
        select(ShopInvitation).order_by(ShopInvitation.id)
    ).all()
    response = post(client, f"/invitations/{tea_invitation.id}/accept", "/invitations", {})
    assert response.status_code == 303 and response.headers["Location"] == f"/programs/{tea.id}"
    membership = session.scalars(
        select(Membership).where(Membership.program_id == tea.id, Membership.user_id == friend.id)
    ).one()
    assert (membership.status, membership.role_type) == ("active", "stamper")
    response = post(client, f"/invitations/{cake_invitation.id}/decline", "/invitations", {})
    assert response.status_code == 303
    page = text_of(client.get("/invitations"))
    assert "You declined the invitation." in page and "No invitation waits" in page
    assert "Accepted" in page and "Declined" in page
    again = post(client, f"/invitations/{tea_invitation.id}/accept", "/invitations", {})
    assert again.status_code == 303
    assert "This invitation is accepted already." in text_of(client.get("/invitations"))


def test_nobody_answers_someone_elses_invitation(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    friend = make_user(session, email="friend@example.com")
    invitation = make_invitation(session, cafe.shop, user=friend, program=cafe.program)
    log_in(client, cafe.member.email)
    response = post(client, f"/invitations/{invitation.id}/accept", "/invitations", {})
    assert response.status_code == 404
    response = post(client, f"/invitations/{invitation.id}/revoke", "/invitations", {})
    assert response.status_code == 403  # the member sees the program, may not manage it
    assert client.get(f"/shops/{cafe.shop.id}/invitations").status_code == 403
    session.refresh(invitation)
    assert invitation.status == InvitationStatus.PENDING
