"""The "VIP tiers" page: the ladder for whoever sees the program, a member's own tier with a
progress bar toward the next, and for the team how many members sit in each tier."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from stampbook.tiers import standing
from stampbook.tiers.models import Tier, TierSettings
from tests.factories.shops import make_team
from tests.pages import signed_in


def test_a_member_sees_their_tier_and_progress(app: Flask, session: Session) -> None:
    team = make_team(session)
    program_id = team.program.id
    session.add(TierSettings(program_id=program_id))
    silver = Tier(program_id=program_id, name="Silver", threshold=100, perks=["Free refills"])
    gold = Tier(program_id=program_id, name="Gold", threshold=500, multiplier_percent=150)
    session.add_all([silver, gold])
    session.flush()
    membership = session.scalars(
        select(Membership).where(
            Membership.program_id == program_id, Membership.user_id == team.member.id
        )
    ).one()
    with app.app_context():
        g._db_session = session
        standing.qualify(membership_id=membership.id, amount=300, at=standing.clock.now())
        session.flush()
        g.pop("_db_session")
    page = signed_in(app, team.member).get(f"/programs/{program_id}/tiers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "You are Silver." in html
    assert "200 points more to reach Gold." in html
    assert 'aria-valuenow="60"' in html
    assert "Free refills" in html and "\u00d71.5" in html
    assert "member" not in html.split("The tiers")[1].split("Free refills")[0]
    team_view = (
        signed_in(app, team.manager).get(f"/programs/{program_id}/tiers").get_data(as_text=True)
    )
    assert "1 member" in team_view
