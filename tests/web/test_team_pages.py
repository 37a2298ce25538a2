"""The shop team's management pages: roles, a program's members (role, removal, customers,
points adjustments), invitations sent and received, and merges with their confirmations."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership, MembershipStatus
from stampbook.shops.models import InvitationStatus, Role, Shop, ShopInvitation
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.rewards import make_reward
from tests.factories.shops import (
    make_invitation,
    make_membership,
    make_program,
    make_role,
    make_shop,
)
from tests.factories.tasks import make_task
from tests.web.helpers import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    csrf_token,
    log_in,
    post,
    statement_counts,
    text_of,
)


def error_next_to(page: str, field: str, message: str) -> bool:
    """The message is shown in the help of ``field`` (next to it, for assistive tech too)."""
    found = re.search(rf'id="{field}-help" class="invalid-feedback[^"]*">([^<]*)<', page)
    return found is not None and message in found.group(1).replace("&#39;", "'")


def stated(page: str, label: str) -> str:
    """What a confirmation page's list says next to ``label``."""
    found = re.search(rf"<dt[^>]*>{re.escape(label)}</dt>\s*<dd[^>]*>([^<]*)</dd>", page)
    assert found is not None, label
    return " ".join(found.group(1).split())


def role_of(session: Session, shop: Shop, user_id: int) -> Role | None:
    return session.scalar(select(Role).where(Role.shop_id == shop.id, Role.user_id == user_id))


# --- The team -------------------------------------------------------------------------------


def test_the_team_page_lists_the_team_and_what_each_role_may_do(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    helper = make_user(session, name="Helper Hal")
    make_role(session, cafe.shop, helper, "assistant", permission_settings={"stamp": False})
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/shops/{cafe.shop.id}/team"))
    assert "Olga Owner" in page and "Creator" in page and "Helper Hal" in page
    assert "May: Create programs, Create rewards" in page  # stamping turned off
    assert "Stamp members" in page and "As the role says" in page
    assert "Remove Helper Hal from the team" in page


def test_a_manager_adds_an_assistant_by_email_scoped_to_a_task(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    newcomer = make_user(session, email="bo@example.com", name="Bo")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/team"
    response = post(
        client,
        page,
        page,
        {
            "person": "BO@example.com",
            "role_type": "assistant",
            "scope": f"task:{cafe.task.id}",
            "perm_stamp": "off",
            "perm_edit_rewards": "on",
        },
    )
    assert response.status_code == 303, text_of(response)
    role = role_of(session, cafe.shop, newcomer.id)
    assert role is not None and role.role_type == "assistant" and role.task_id == cafe.task.id
    assert role.permission_settings == {"stamp": False, "edit_rewards": True}
    assert "Bo joined the team." in text_of(client.get(page))


def test_a_person_is_found_by_the_start_of_their_name_among_the_members(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/team"
    response = post(client, page, page, {"person": "ada", "role_type": "viewer", "scope": ""})
    assert response.status_code == 303, text_of(response)
    role = role_of(session, cafe.shop, cafe.member.id)
    assert role is not None and role.role_type == "viewer"


def test_who_cannot_be_found_or_is_ambiguous_is_said_next_to_the_person(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    make_membership(session, cafe.program, make_user(session, name="Adam", email="adam@x.org"))
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/team"
    ambiguous = post(client, page, page, {"person": "ada", "role_type": "viewer"})
    assert ambiguous.status_code == 422
    assert error_next_to(text_of(ambiguous), "person", "Several people match")
    assert "adam@x.org" in text_of(ambiguous)
    unknown = post(client, page, page, {"person": "nobody@example.com", "role_type": "viewer"})
    assert unknown.status_code == 422
    assert error_next_to(text_of(unknown), "person", "No account has this email")
    nameless = post(client, page, page, {"person": "Zed", "role_type": "viewer"})
    assert error_next_to(text_of(nameless), "person", "type their email")
    assert session.scalar(select(func.count(Role.id))) == 0


def test_refusals_are_said_in_words_next_to_their_field(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    boss = make_user(session, email="boss@example.com", name="Boss")
    make_role(session, cafe.shop, boss, "manager", permission_settings={"stamp": False})
    log_in(client, boss.email)
    page = f"/shops/{cafe.shop.id}/team"
    escalation = post(
        client, page, page, {"person": cafe.member.email, "role_type": "assistant"}
    )  # an assistant stamps: more than this manager may do
    assert escalation.status_code == 403
    assert error_next_to(
        text_of(escalation), "role_type", "You may not grant more than you may do yourself."
    )
    own = post(client, page, page, {"person": "boss@example.com", "role_type": "viewer"})
    assert own.status_code == 403
    assert error_next_to(text_of(own), "person", "Your own role is given and changed by someone")
    creator = post(client, page, page, {"person": cafe.owner.email, "role_type": "viewer"})
    assert creator.status_code == 409
    assert error_next_to(text_of(creator), "person", "The creator leads the team already.")
    scoped_manager = post(
        client,
        page,
        page,
        {"person": cafe.member.email, "role_type": "manager", "scope": f"task:{cafe.task.id}"},
    )
    assert scoped_manager.status_code == 422
    assert error_next_to(text_of(scoped_manager), "scope", "a manager runs the whole shop")
    assert role_of(session, cafe.shop, cafe.member.id) is None


def test_a_role_is_changed_and_removed(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    helper = make_user(session, name="Helper")
    role = make_role(session, cafe.shop, helper, "assistant", permission_settings={"stamp": False})
    log_in(client, cafe.owner.email)
    page = f"/roles/{role.id}/edit"
    form = text_of(client.get(page))
    assert re.search(r'<option selected value="off">Not allowed</option>', form)
    response = post(
        client,
        page,
        page,
        {"role_type": "viewer", "scope": f"reward:{cafe.coffee.id}", "perm_stamp": "on"},
    )
    assert response.status_code == 303, text_of(response)
    session.refresh(role)
    assert (role.role_type, role.reward_id, role.permission_settings) == (
        "viewer",
        cafe.coffee.id,
        {"stamp": True},
    )
    team_page = f"/shops/{cafe.shop.id}/team"
    assert "Reward: Free coffee" in text_of(client.get(team_page))
    response = post(client, f"/roles/{role.id}/delete", team_page, {})
    assert response.status_code == 303
    assert "Helper is no longer in the team." in text_of(client.get(team_page))
    assert role_of(session, cafe.shop, helper.id) is None


def test_the_team_pages_are_refused_as_the_api_refuses(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    helper = make_user(session, email="helper@example.com")
    role = make_role(session, cafe.shop, helper, "assistant")
    log_in(client, cafe.member.email)
    assert client.get(f"/shops/{cafe.shop.id}/team").status_code == 403
    assert client.get(f"/roles/{role.id}/edit").status_code == 403
    team_page = f"/shops/{cafe.shop.id}"
    assert post(client, f"/roles/{role.id}/delete", team_page, {}).status_code == 403
    secret = make_shop(session, cafe.owner, privacy_mode="private")
    assert client.get(f"/shops/{secret.id}/team").status_code == 404
    assert client.get("/roles/999999/edit").status_code == 404
    assert client.application.test_client().get(f"/shops/{cafe.shop.id}/team").status_code == 401


# --- Members of a program -------------------------------------------------------------------


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


def test_points_are_adjusted_with_a_reason_once_however_often_the_form_is_sent(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/programs/{cafe.program.id}/members/manage"
    form = {
        "amount": 25,
        "note": "Welcome gift",
        "idempotency_key": "k" * 24,
        "csrf_token": csrf_token(client, page),
    }
    first = client.post(f"/memberships/{cafe.membership.id}/adjust", data=form)
    assert first.status_code == 303
    assert "+25 points recorded: the balance is 25." in text_of(client.get(page))
    again = client.post(f"/memberships/{cafe.membership.id}/adjust", data=form)
    assert again.status_code == 303
    assert "This form was sent already: it was not done twice." in text_of(client.get(page))
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 25
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.membership_id == cafe.membership.id)
    ).one()
    assert (entry.kind, entry.note, entry.actor_id) == ("adjustment", "Welcome gift", cafe.owner.id)

    too_much = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        page,
        {"amount": -100, "note": "Oops", "idempotency_key": "m" * 24},
    )
    assert too_much.status_code == 303
    assert "This needs 100 points; the balance is 25." in text_of(client.get(page))
    zero = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        page,
        {"amount": 0, "note": "Nothing", "idempotency_key": "n" * 24},
    )
    assert zero.status_code == 303
    assert "Say how many points (not zero) and why." in text_of(client.get(page))
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 25
    with app.app_context():
        assert find_discrepancies() == []


def test_only_the_shop_managers_adjust_and_the_member_pages_are_refused_to_others(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    stamper = make_user(session, email="stamper@example.com")
    make_membership(session, cafe.program, stamper, role_type="manager")  # program role only
    log_in(client, stamper.email)
    page = f"/programs/{cafe.program.id}/members/manage"
    listing = text_of(client.get(page))
    assert "Ada Member" in listing and "Adjust the points" not in listing
    refused = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        page,
        {"amount": 5, "note": "Mine", "idempotency_key": "q" * 24},
    )
    assert refused.status_code == 404  # as the API: not theirs to know about
    assert cafe.membership.balance == 0
    log_in(client, cafe.member.email)
    assert client.get(page).status_code == 403
    response = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        f"/programs/{cafe.program.id}",
        {"amount": 5, "note": "Mine", "idempotency_key": "r" * 24},
    )
    assert response.status_code == 403
    secret = make_program(session, cafe.shop, privacy_mode="private")
    assert client.get(f"/programs/{secret.id}/members/manage").status_code == 404


# --- Invitations ----------------------------------------------------------------------------


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
    assert ">Invitations</a>" in text_of(client.get("/"))
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


# --- Merges ---------------------------------------------------------------------------------


def test_a_shop_merge_says_what_moves_then_moves_it(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    other = make_shop(session, cafe.owner, name="Bakery")
    bread = make_program(session, other, name="Bread card")
    make_task(session, bread, name="Buy bread")
    make_reward(session, other, name="Free loaf", cost=5)
    for n in range(3):
        give_points(session, make_membership(session, bread, make_user(session)), 10 * (n + 1))
    make_role(session, other, make_user(session), "assistant")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/merge"
    chooser = text_of(client.get(page))
    assert "Bakery" in chooser and "Corner Café</option>" not in chooser
    preview = text_of(client.get(f"{page}?source={other.id}"))
    assert "Merging Bakery into Corner Café:" in preview
    assert stated(preview, "Programs that move here, with their members and tasks") == (
        "1 (1 running)"
    )
    assert stated(preview, "Their active members") == "3"
    assert stated(preview, "Points their memberships hold, every one kept as it is") == "60"
    assert stated(preview, "Tasks") == "1"
    assert stated(preview, "Rewards that move here, with their receipts") == "1"
    assert stated(preview, "Managers and assistants who join this shop's team") == "1"
    assert other.deleted_at is None
    response = post(client, page, f"{page}?source={other.id}", {"source": other.id})
    assert response.status_code == 303, text_of(response)
    session.refresh(other)
    session.refresh(bread)
    assert other.merged_into_id == cafe.shop.id and bread.shop_id == cafe.shop.id
    assert "Merged into Corner Café. Programs moved: 1; rewards: 1; team members: 1." in (
        text_of(client.get(response.headers["Location"]))
    )
    assert client.get(f"{page}?source=999999").status_code == 422


def test_a_program_merge_says_what_moves_then_keeps_every_point(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 7)
    tea = make_program(session, cafe.shop, name="Tea card")
    make_task(session, tea, name="Buy tea")
    give_points(session, make_membership(session, tea, cafe.member), 30)  # in both
    give_points(session, make_membership(session, tea, make_user(session)), 5)  # tea only
    log_in(client, cafe.owner.email)
    page = f"/programs/{cafe.program.id}/merge"
    assert "Tea card" in text_of(client.get(page))
    preview = text_of(client.get(f"{page}?source={tea.id}"))
    assert stated(preview, "Memberships that move here as they are") == "1 (1 active)"
    assert stated(preview, "Points they hold") == "5"
    assert stated(preview, "People in both programs") == "1"
    assert stated(preview, "Their points there, added to their membership here") == "30"
    assert stated(preview, "Tasks that move here, with their stamps and history") == "1"
    response = post(client, page, f"{page}?source={tea.id}", {"source": tea.id})
    assert response.status_code == 303, text_of(response)
    session.refresh(cafe.membership)
    session.refresh(tea)
    assert cafe.membership.balance == 37 and tea.merged_into_id == cafe.program.id
    with app.app_context():
        assert find_discrepancies() == []


def test_merges_are_refused_as_the_api_refuses(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    boss = make_user(session, email="boss@example.com")
    make_role(session, cafe.shop, boss, "manager")
    log_in(client, boss.email)
    assert client.get(f"/shops/{cafe.shop.id}/merge").status_code == 403  # the creator only
    assert client.get(f"/programs/{cafe.program.id}/merge").status_code == 200
    log_in(client, cafe.member.email)
    assert client.get(f"/programs/{cafe.program.id}/merge").status_code == 403
    strangers = make_shop(session, make_user(session), name="Elsewhere")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/merge"
    assert "Elsewhere" not in text_of(client.get(page))
    response = post(client, page, page, {"source": strangers.id})
    assert response.status_code == 303
    session.refresh(strangers)
    assert strangers.deleted_at is None


# --- Escaping and cost ----------------------------------------------------------------------


def test_team_pages_escape_what_people_typed(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    other = make_shop(session, cafe.owner, name=EVIL)
    tea = make_program(session, cafe.shop, name=EVIL)
    for thing in (cafe.shop, cafe.program, cafe.member, cafe.coffee, cafe.task):
        thing.name = EVIL
    make_role(session, cafe.shop, cafe.member, "assistant", task_id=cafe.task.id)
    make_invitation(session, cafe.shop, email="x@example.com", program=cafe.program)
    make_invitation(session, cafe.shop, user=cafe.owner, program=tea)
    session.flush()
    log_in(client, cafe.owner.email)
    assert_escaped(
        client,
        (
            f"/shops/{cafe.shop.id}/team",
            f"/roles/{role_of(session, cafe.shop, cafe.member.id).id}/edit",  # type: ignore[union-attr]
            f"/programs/{cafe.program.id}/members/manage",
            f"/shops/{cafe.shop.id}/invitations",
            "/invitations",
            f"/shops/{cafe.shop.id}/merge?source={other.id}",
            f"/programs/{cafe.program.id}/merge?source={tea.id}",
        ),
    )


def test_team_pages_stay_within_a_handful_of_queries(
    client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    other = make_shop(session, cafe.owner, name="Bakery")
    tea = make_program(session, cafe.shop, name="Tea card")
    cafe.shop.privacy_mode = "invite"
    for n in range(12):
        person = make_user(session)
        give_points(session, make_membership(session, cafe.program, person), n + 1)
        make_membership(session, tea, person)
        make_membership(session, make_program(session, other), person)
        make_role(session, cafe.shop, make_user(session), "assistant")
        make_reward(session, cafe.shop, name=f"Reward {n}", cost=1)
        make_task(session, cafe.program, name=f"Task {n}")
        make_invitation(session, cafe.shop, email=f"guest{n}@example.com")
        make_invitation(session, cafe.shop, user=cafe.owner, program=make_program(session, other))
    session.flush()
    log_in(client, cafe.owner.email)
    counts = statement_counts(
        client,
        engine,
        (
            f"/shops/{cafe.shop.id}/team",
            f"/roles/{session.scalars(select(Role.id)).first()}/edit",
            f"/programs/{cafe.program.id}/members/manage",
            f"/shops/{cafe.shop.id}/invitations",
            "/invitations",
            f"/shops/{cafe.shop.id}/merge",
            f"/shops/{cafe.shop.id}/merge?source={other.id}",
            f"/programs/{cafe.program.id}/merge?source={tea.id}",
        ),
    )
    assert max(counts.values()) <= PAGE_BUDGET, counts
