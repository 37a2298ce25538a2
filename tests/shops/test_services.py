"""Shop services with a pinned clock: opening hours, deletion times, invitation answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from stampbook.core.errors import Conflict, NotFound
from stampbook.core.pagination import PageQuery
from stampbook.flows import deletions
from stampbook.flows import invitations as flows_invitations
from stampbook.programs.models import Program
from stampbook.shops import queries, services
from stampbook.shops.schemas import InvitationQuery, ShopQuery
from tests.factories.accounts import make_user
from tests.factories.shops import make_invitation, make_program, make_shop, make_team

MADRID_HOURS = [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["09:00", "14:00"]]}]
WEDNESDAY_NOON_UTC = datetime(2025, 7, 2, 12, 0, tzinfo=UTC)  # 14:00 in Madrid: just closed


def test_is_open_now_uses_the_shop_zone_and_the_given_clock(
    session: Session, app_context: None
) -> None:
    owner = make_user(session)
    out = services.create_shop(
        owner,
        name="Bakery",
        time_zone="Europe/Madrid",
        availability_schedule=MADRID_HOURS,
        now=datetime(2025, 7, 2, 11, 59, tzinfo=UTC),
    )
    assert out.is_open_now is True
    assert services.get_shop(owner, out.id, now=WEDNESDAY_NOON_UTC).is_open_now is False
    listed = queries.list_shops(None, ShopQuery(q="bakery"), now=WEDNESDAY_NOON_UTC)
    assert [(s.id, s.is_open_now, s.my_role) for s in listed.items] == [(out.id, False, None)]


def test_delete_stamps_the_given_time(session: Session, app_context: None) -> None:
    team = make_team(session)
    deletions.delete_shop(team.creator, team.shop.id, now=WEDNESDAY_NOON_UTC)
    session.refresh(team.shop)
    program = session.get(Program, team.program.id)
    assert program is not None
    session.refresh(program)
    assert team.shop.deleted_at == program.archived_at == WEDNESDAY_NOON_UTC
    with pytest.raises(NotFound):
        services.get_shop(team.creator, team.shop.id)


def test_deleting_revokes_pending_invitations(session: Session, app_context: None) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    invitation = make_invitation(session, shop, user=guest)
    program_invitation = make_invitation(
        session, shop, user=guest, program=make_program(session, shop)
    )
    deletions.delete_shop(owner, shop.id, now=WEDNESDAY_NOON_UTC)
    session.expire_all()
    assert invitation.status == program_invitation.status == "revoked"
    with pytest.raises(Conflict):
        flows_invitations.accept_invitation(guest, invitation.id)


def test_answers_record_when(session: Session, app_context: None) -> None:
    owner, guest = make_user(session), make_user(session)
    shop = make_shop(session, owner, privacy_mode="invite")
    invitation = services.invite_to_shop(owner, shop.id, user_id=guest.id)
    answered = flows_invitations.accept_invitation(guest, invitation.id, now=WEDNESDAY_NOON_UTC)
    assert (answered.status, answered.responded_at) == ("accepted", WEDNESDAY_NOON_UTC)
    page = queries.my_invitations(guest, InvitationQuery(status=None))
    assert [i.id for i in page.items] == [invitation.id]
    assert page.items[0].shop_name == shop.name


def test_role_list_for_the_team(session: Session, app_context: None) -> None:
    team = make_team(session)
    page = queries.list_roles(team.viewer, team.shop.id, PageQuery(limit=2))
    assert len(page.items) == 2
    assert page.next_cursor is not None
