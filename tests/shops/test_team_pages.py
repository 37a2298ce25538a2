"""The shop team's management pages: roles, a program's members (role, removal, customers,
points adjustments), invitations sent and received, and merges with their confirmations."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from stampbook.shops.models import Role, Shop
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_invitation, make_role, make_shop
from tests.factories.tasks import make_task
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    error_next_to,
    log_in,
    post,
    statement_counts,
    text_of,
)


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


def test_a_team_member_may_leave_from_the_shop_page(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    helper = make_user(session, email="helper@example.com", name="Helper")
    role = make_role(session, cafe.shop, helper, "assistant")
    log_in(client, helper.email)
    shop_page = f"/shops/{cafe.shop.id}"
    page = text_of(client.get(shop_page))
    assert "Leave this shop's team" in page and "Delete the shop" not in page
    response = post(client, f"/roles/{role.id}/delete", shop_page, {})
    assert response.status_code == 303 and response.headers["Location"] == shop_page
    assert "You left the team of Corner Café." in text_of(client.get(shop_page))
    assert session.scalar(select(Role).where(Role.id == role.id)) is None


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


# --- Invitations ----------------------------------------------------------------------------


# --- Merges ---------------------------------------------------------------------------------


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
