"""The team's tier setup pages: adding, changing and deleting a tier, the settings, the
preview of proposed thresholds, the API's problems next to their fields, and who is
refused."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.tiers.models import MemberTier, Tier, TierSettings, TierTotal
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership
from tests.factories.rewards import make_reward
from tests.factories.shops import Team, make_team
from tests.pages import error_next_to, post, signed_in, text_of


@pytest.fixture
def team(session: Session) -> Team:
    return make_team(session)


@pytest.fixture
def manager(app: Flask, team: Team) -> FlaskClient:
    return signed_in(app, team.manager)


def _setup_path(team: Team) -> str:
    return f"/programs/{team.program.id}/tiers/setup"


def _ladder(session: Session, team: Team) -> tuple[Tier, Tier]:
    session.add(TierSettings(program_id=team.program.id))
    silver = Tier(program_id=team.program.id, name="Silver", threshold=100)
    gold = Tier(program_id=team.program.id, name="Gold", threshold=500, multiplier_percent=150)
    session.add_all([silver, gold])
    session.flush()
    return silver, gold


def _add(client: FlaskClient, team: Team, **fields: object) -> object:
    data = {"name": "Silver", "threshold": "300", "multiplier": "1x", "entry_points": "0"}
    return post(
        client, f"/programs/{team.program.id}/tiers/new", _setup_path(team), {**data, **fields}
    )


def test_adding_a_tier_with_perks_a_multiplier_and_an_entry_reward(
    session: Session, team: Team, manager: FlaskClient
) -> None:
    reward = make_reward(session, team.shop, name="Welcome cake")
    page = text_of(manager.get(_setup_path(team)))
    assert "Welcome cake" in page and "This program has no tiers." in page
    reply = _add(
        manager,
        team,
        name="Gold",
        threshold="500",
        multiplier="1,5x",
        perks="Free refills\n\n  Early access  \n",
        entry_points="25",
        reward_id=str(reward.id),
    )
    assert reply.status_code == 303  # type: ignore[attr-defined]
    tier = session.query(Tier).filter_by(program_id=team.program.id).one()
    assert (tier.name, tier.threshold, tier.multiplier_percent) == ("Gold", 500, 150)
    assert tier.perks == ["Free refills", "Early access"]
    assert (tier.entry_points, tier.reward_id) == (25, reward.id)
    assert "Gold" in text_of(manager.get(_setup_path(team)))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"threshold": "-5"}, "threshold", "must be a whole number above 0"),
        ({"threshold": "0"}, "threshold", "must be a whole number above 0"),
        ({"threshold": "100"}, "threshold", "another tier of the program has this one"),
        ({"threshold": "lots"}, "threshold", "Write a number"),
        ({"multiplier": "0x"}, "multiplier", "at most 100"),
        ({"multiplier": "150x"}, "multiplier", "at most 100"),
        ({"name": ""}, "name", ""),
    ],
)
def test_bad_tiers_are_refused_next_to_their_field(
    session: Session,
    team: Team,
    manager: FlaskClient,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    _ladder(session, team)
    reply = _add(manager, team, **{"name": "Bronze", **fields})
    assert reply.status_code in (409, 422)  # type: ignore[attr-defined]
    assert error_next_to(text_of(reply), field, message)
    assert session.query(Tier).filter_by(program_id=team.program.id).count() == 2


def test_another_shops_reward_is_refused(
    session: Session, team: Team, manager: FlaskClient
) -> None:
    elsewhere = make_reward(session, make_team(session).shop)
    reply = _add(manager, team, reward_id=str(elsewhere.id))
    assert reply.status_code == 409  # type: ignore[attr-defined]
    assert error_next_to(text_of(reply), "reward_id", "not one of this shop's rewards")


def test_money_thresholds_are_typed_as_amounts(
    session: Session, team: Team, manager: FlaskClient
) -> None:
    reply = post(
        manager,
        f"/programs/{team.program.id}/tiers/settings",
        _setup_path(team),
        {"basis": "money", "period": "calendar_year", "retention_percent": "80"},
    )
    assert reply.status_code == 303
    settings = session.get(TierSettings, team.program.id)
    assert settings is not None
    assert (settings.basis, settings.period, settings.retention_percent) == (
        "money",
        "calendar_year",
        80,
    )
    assert settings.demote_on_refund is False
    assert _add(manager, team, threshold="250,00").status_code == 303  # type: ignore[attr-defined]
    tier = session.query(Tier).filter_by(program_id=team.program.id).one()
    assert tier.threshold == 25000
    edit = text_of(manager.get(f"/tiers/{tier.id}/edit"))
    assert 'value="250.00"' in edit
    assert "$250.00" in text_of(manager.get(f"/programs/{team.program.id}/tiers"))


def test_bad_settings_are_said_next_to_their_field(team: Team, manager: FlaskClient) -> None:
    reply = post(
        manager,
        f"/programs/{team.program.id}/tiers/settings",
        _setup_path(team),
        {"basis": "points", "period": "lifetime", "retention_percent": "0"},
    )
    assert reply.status_code == 422
    assert error_next_to(text_of(reply), "retention_percent", "")


def test_changing_and_deleting_a_tier(session: Session, team: Team, manager: FlaskClient) -> None:
    silver, gold = _ladder(session, team)
    gold.perks = ["Free refills", "Early access"]
    session.flush()
    path = f"/tiers/{gold.id}/edit"
    form = text_of(manager.get(path))
    assert 'value="1.5x"' in form and "Free refills\nEarly access" in form
    reply = post(
        manager,
        path,
        path,
        {"name": "Platinum", "threshold": "800", "multiplier": "2x", "perks": "Lounge"},
    )
    assert reply.status_code == 303
    session.refresh(gold)
    assert (gold.name, gold.threshold, gold.multiplier_percent, gold.perks) == (
        "Platinum",
        800,
        200,
        ["Lounge"],
    )
    taken = post(manager, path, path, {"name": "Platinum", "threshold": "100"})
    assert taken.status_code == 409
    assert error_next_to(text_of(taken), "threshold", "another tier of the program has this one")
    confirm = manager.get(f"/tiers/{silver.id}/delete")
    assert confirm.status_code == 200 and "Delete the tier “Silver”?" in text_of(confirm)
    assert silver.deleted_at is None  # asking deletes nothing
    done = post(manager, f"/tiers/{silver.id}/delete", f"/tiers/{silver.id}/delete", {})
    assert done.status_code == 303
    session.refresh(silver)
    assert silver.deleted_at is not None
    assert manager.get(f"/tiers/{silver.id}/edit").status_code == 404


def _member_with(session: Session, team: Team, amount: int, bucket: int = 0) -> None:
    membership = make_membership(session, team.program, make_user(session))
    session.add(TierTotal(membership_id=membership.id, bucket=bucket, amount=amount))
    session.flush()


def _counts(page: str, css: str) -> list[int]:
    return [int(n) for n in re.findall(rf'<td class="{css}">(\d+)</td>', page)]


def test_the_preview_counts_members_under_proposed_thresholds(
    session: Session, team: Team, manager: FlaskClient
) -> None:
    silver, gold = _ladder(session, team)
    for amount in (50, 150, 300, 600, 1000):
        _member_with(session, team, amount)
    query = {"preview": "1", f"threshold-{silver.id}": "100", f"threshold-{gold.id}": "500"}
    page = text_of(manager.get(_setup_path(team), query_string=query))
    assert _counts(page, "members-proposed") == [2, 2]
    query |= {f"threshold-{silver.id}": "300", f"threshold-{gold.id}": "2000"}
    page = text_of(manager.get(_setup_path(team), query_string=query))
    assert _counts(page, "members-proposed") == [3, 0]
    assert 'value="2000"' in page
    assert session.get(Tier, gold.id).threshold == 500  # type: ignore[union-attr]  # nothing saved
    bad = manager.get(
        _setup_path(team),
        query_string={
            "preview": "1",
            f"threshold-{silver.id}": "600",
            f"threshold-{gold.id}": "500",
        },
    )
    assert bad.status_code == 422
    assert error_next_to(text_of(bad), f"threshold-{gold.id}", "has this one")
    negative = manager.get(
        _setup_path(team),
        query_string={"preview": "1", f"threshold-{silver.id}": "-1", f"threshold-{gold.id}": "5"},
    )
    assert error_next_to(text_of(negative), f"threshold-{silver.id}", "above 0")


@pytest.mark.parametrize("who", ["member", "viewer", "assistant", "outsider"])
def test_only_the_shops_managers_set_up_tiers(
    app: Flask, session: Session, team: Team, who: str
) -> None:
    silver, _gold = _ladder(session, team)
    client = signed_in(app, getattr(team, who))
    for path in (
        _setup_path(team),
        f"/tiers/{silver.id}/edit",
        f"/tiers/{silver.id}/delete",
    ):
        assert client.get(path).status_code in (403, 404), path
    # Posts are refused before their form is read (no CSRF token needed to be refused).
    for path in (
        f"/programs/{team.program.id}/tiers/new",
        f"/programs/{team.program.id}/tiers/settings",
        f"/tiers/{silver.id}/delete",
    ):
        assert client.post(path, data={"name": "X", "threshold": "1"}).status_code in (
            400,
            403,
            404,
        ), path
    session.refresh(silver)
    assert silver.deleted_at is None
    assert "Set up" not in text_of(client.get(f"/programs/{team.program.id}/tiers"))


def test_another_shops_manager_is_refused(app: Flask, session: Session, team: Team) -> None:
    silver, _gold = _ladder(session, team)
    other = make_team(session)
    client = signed_in(app, other.manager)
    assert client.get(_setup_path(team)).status_code in (403, 404)
    assert client.get(f"/tiers/{silver.id}/edit").status_code in (403, 404)


def test_the_program_page_links_to_its_tiers(
    app: Flask, session: Session, team: Team, manager: FlaskClient
) -> None:
    path = f"/programs/{team.program.id}"
    assert 'id="program-tiers"' not in text_of(manager.get(path))  # no tiers: no link
    silver, _gold = _ladder(session, team)
    team_view = text_of(manager.get(path))
    assert f'href="/programs/{team.program.id}/tiers"' in team_view
    assert "Your tier" not in team_view  # the manager is no member
    member = team.memberships["member"]
    session.add(MemberTier(membership_id=member.id, program_id=team.program.id, tier_id=silver.id))
    session.flush()
    page = text_of(signed_in(app, team.member).get(path))
    assert "Your tier: Silver." in page and "Your progress toward Gold" in page
