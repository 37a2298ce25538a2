"""A program's "Earning points" page: its rules and campaigns in words for whoever sees the
program, and for the shop's creator and managers the forms that add, change and delete
them (through the API's services, refused in the API's words); the program's currency set
from the program's form."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.loyalty.models import Campaign, EarningRule
from stampbook.programs.models import Program
from tests.factories.accounts import auth, make_user
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

NEW_YORK = ZoneInfo("America/New_York")


def _earning(cafe: Cafe) -> str:
    return f"/programs/{cafe.program.id}/earning"


def _add_rule(client: FlaskClient, cafe: Cafe, **fields: str) -> object:
    page = _earning(cafe)
    return post(client, f"{page}/rules", page, fields)


def _add_campaign(client: FlaskClient, cafe: Cafe, **fields: object) -> object:
    page = _earning(cafe)
    return post(client, f"{page}/campaigns", page, fields)


def _rule(session: Session, kind: str) -> EarningRule:
    return session.scalars(
        select(EarningRule).where(EarningRule.kind == kind, EarningRule.deleted_at.is_(None))
    ).one()


def _wall(moment: datetime) -> str:
    """A ``datetime-local`` value: ``moment`` on the shop's wall clock (New York)."""
    return moment.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


def _in_new_york(session: Session, cafe: Cafe) -> None:
    cafe.shop.time_zone = "America/New_York"
    cafe.owner.time_zone = "America/New_York"
    session.flush()


def test_a_manager_adds_changes_and_deletes_rules(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = _earning(cafe)
    shown = text_of(client.get(page))
    assert "There is no way to earn points here yet." in shown
    assert 'for="per_amount"' in shown and 'for="limit_period"' in shown
    response = _add_rule(
        client, cafe, kind="purchase", points="1", per_amount="1.00", minimum_amount="20"
    )
    assert response.status_code == 303, text_of(response)
    purchase = _rule(session, "purchase")
    assert (purchase.points, purchase.per_amount, purchase.minimum_amount) == (1, 100, 2000)
    response = _add_rule(
        client,
        cafe,
        kind="activity",
        points="20",
        activity="survey_completed",
        limit_count="1",
        limit_period="day",
        per_amount="5",  # another kind's field, left out: the kind decides what counts
    )
    assert response.status_code == 303, text_of(response)
    survey = _rule(session, "activity")
    assert (survey.activity, survey.limit_count, survey.limit_period) == (
        "survey_completed",
        1,
        "day",
    )
    assert survey.per_amount is None
    shown = text_of(client.get(page))
    assert "1 point per $1.00 spent (from $20.00)" in shown
    assert "20 points for survey_completed" in shown and "at most once a day" in shown
    # Changed from its own page: the form holds what the rule says.
    edit = f"/earning-rules/{survey.id}"
    assert 'value="20"' in text_of(client.get(edit))
    response = post(
        client, edit, edit, {"points": "25", "limit_count": "2", "limit_period": "week"}
    )
    assert response.status_code == 303, text_of(response)
    session.refresh(survey)
    assert (survey.points, survey.limit_count, survey.limit_period) == (25, 2, "week")
    shown = text_of(client.get(page))
    assert "25 points for survey_completed" in shown and "at most 2 times a week" in shown
    response = post(client, f"/earning-rules/{purchase.id}/delete", page, {})
    assert response.status_code == 303
    session.refresh(purchase)
    assert purchase.deleted_at is not None
    shown = text_of(client.get(page))
    assert "per $1.00 spent" not in shown
    assert client.get(f"/earning-rules/{purchase.id}").status_code == 404
    listed = client.get(f"/api/v1/programs/{cafe.program.id}/earning-rules").json
    assert [r["kind"] for r in listed["items"]] == ["activity"]


def test_a_purchase_rule_changes_its_amounts_and_window(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    _in_new_york(session, cafe)
    log_in(client, cafe.owner.email)
    _add_rule(client, cafe, kind="purchase", points="1", per_amount="1")
    purchase = _rule(session, "purchase")
    edit = f"/earning-rules/{purchase.id}"
    starts = datetime(2031, 3, 1, 9, 0)
    response = post(
        client,
        edit,
        edit,
        {
            "points": "2",
            "per_amount": "1,50",  # a decimal comma, as Spanish readers write it
            "include_shipping": "y",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 303, text_of(response)
    session.refresh(purchase)
    assert (purchase.points, purchase.per_amount, purchase.include_shipping) == (2, 150, True)
    # Typed on the shop's wall clock (New York, 5 hours behind UTC in March).
    assert purchase.starts_at == starts.replace(tzinfo=NEW_YORK)
    assert purchase.starts_at.astimezone(ZoneInfo("UTC")).hour == 14
    shown = text_of(client.get(_earning(cafe)))
    assert "2 points per $1.50 spent" in shown and "shipping counts too" in shown
    assert "from 2031-03-01 09:00" in shown and "not earning now" in shown


def test_refusals_are_said_next_to_their_field(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    assert _add_rule(client, cafe, kind="purchase", points="1", per_amount="1").status_code == 303
    # The service refuses a second purchase rule (409 rule_exists), in the API's words.
    response = _add_rule(client, cafe, kind="purchase", points="2", per_amount="1")
    assert response.status_code == 409
    page = text_of(response)
    assert error_next_to(page, "kind", "The program has a live rule of this kind")
    assert 'value="2"' in page  # what was typed stays
    response = _add_rule(
        client,
        cafe,
        kind="signup",
        points="5",
        starts_at="2031-01-02T00:00",
        ends_at="2031-01-01T00:00",
    )
    assert response.status_code == 409
    assert error_next_to(text_of(response), "ends_at", "The window must end after it starts.")
    # What the form itself knows is said next to the field, before any service is asked.
    response = _add_rule(client, cafe, kind="activity", points="5")
    assert response.status_code == 422
    assert error_next_to(text_of(response), "activity", "Name the activity.")
    response = _add_rule(client, cafe, kind="review", points="5", limit_count="2")
    assert response.status_code == 422
    assert error_next_to(text_of(response), "limit_period", "Give both how many times")
    response = _add_campaign(
        client,
        cafe,
        campaign_name="Backwards",
        campaign_kind="multiplier",
        multiplier="2",
        campaign_starts_at="2031-01-02T00:00",
        campaign_ends_at="2031-01-01T00:00",
    )
    assert response.status_code == 409
    page = text_of(response)
    assert error_next_to(page, "campaign_ends_at", "The window must end after it starts.")
    response = _add_campaign(
        client,
        cafe,
        campaign_name="No bonus",
        campaign_kind="bonus",
        campaign_starts_at="2031-01-01T00:00",
        campaign_ends_at="2031-01-02T00:00",
    )
    assert response.status_code == 422
    assert error_next_to(text_of(response), "bonus_points", "Give the bonus points.")
    assert session.scalars(select(EarningRule)).all() == [_rule(session, "purchase")]
    assert session.scalars(select(Campaign)).all() == []


def test_campaigns_are_added_said_costed_and_deleted(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    _in_new_york(session, cafe)
    log_in(client, cafe.owner.email)
    _add_rule(client, cafe, kind="activity", points="20", activity="survey_completed")
    now = utcnow()
    # Until midnight in three days' time, New York time: said "until <that weekday's eve> 23:59".
    midnight = (now.astimezone(NEW_YORK) + timedelta(days=3)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    response = _add_campaign(
        client,
        cafe,
        campaign_name="Double week",
        campaign_kind="multiplier",
        multiplier="2",
        rule_kinds=["purchase", "activity"],
        campaign_starts_at=_wall(now - timedelta(hours=1)),
        campaign_ends_at=_wall(midnight),
    )
    assert response.status_code == 303, text_of(response)
    response = _add_campaign(
        client,
        cafe,
        campaign_name="Welcome bonus",
        campaign_kind="bonus",
        bonus_points="5",
        rule_kinds=["signup"],
        campaign_starts_at="2031-05-01T00:00",
        campaign_ends_at="2031-06-01T00:00",
    )
    assert response.status_code == 303, text_of(response)
    double, welcome = session.scalars(select(Campaign).order_by(Campaign.id)).all()
    assert (double.multiplier_percent, double.rule_kinds) == (200, ["purchase", "activity"])
    assert (welcome.bonus_points, welcome.starts_at) == (
        5,
        datetime(2031, 5, 1, 4, 0, tzinfo=ZoneInfo("UTC")),
    )
    credited = client.post(
        f"/api/v1/programs/{cafe.program.id}/activities",
        json={"activity": "survey_completed", "membership_id": cafe.membership.id},
        headers=auth(session, cafe.owner),
    )
    assert credited.status_code == 201, credited.json
    shown = text_of(client.get(_earning(cafe)))
    eve = (midnight - timedelta(minutes=1)).strftime("%A")
    assert f"Double points on purchases and activities, until {eve} 23:59" in shown
    assert "5 points extra on every sign-up, from 2031-05-01 00:00 until 2031-05-31 23:59" in shown
    assert "Cost so far: 20 points in 1 credit" in shown
    assert "running now" in shown
    response = post(client, f"/campaigns/{welcome.id}/delete", _earning(cafe), {})
    assert response.status_code == 303
    session.refresh(welcome)
    assert welcome.deleted_at is not None
    assert "Welcome bonus" not in text_of(client.get(_earning(cafe)))
    assert post(client, f"/campaigns/{welcome.id}/delete", _earning(cafe), {}).status_code == 404


def test_a_member_reads_the_rules_and_may_change_nothing(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    rule = EarningRule(
        program_id=cafe.program.id,
        kind="activity",
        activity="survey_completed",
        points=20,
        limit_count=1,
        limit_period="day",
    )
    now = utcnow()
    ended = EarningRule(
        program_id=cafe.program.id, kind="review", points=3, ends_at=now - timedelta(days=1)
    )
    campaign = Campaign(
        program_id=cafe.program.id,
        name="Double",
        kind="multiplier",
        multiplier_percent=200,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=30),
    )
    session.add_all([rule, ended, campaign])
    session.flush()
    log_in(client, cafe.member.email)
    page = _earning(cafe)
    shown = text_of(client.get(page))
    assert "20 points for survey_completed" in shown and "at most once a day" in shown
    assert "Double points on everything earned, until" in shown
    assert "for a review" not in shown  # ended: the team sees it, members need not
    assert "Add an earning rule" not in shown and "Cost so far" not in shown
    assert f"/earning-rules/{rule.id}" not in shown
    writes = {
        f"{page}/rules": {"kind": "signup", "points": "5"},
        f"/earning-rules/{rule.id}": {"points": "1"},
        f"/earning-rules/{rule.id}/delete": {},
        f"{page}/campaigns": {"campaign_name": "Mine", "campaign_kind": "bonus"},
        f"/campaigns/{campaign.id}/delete": {},
    }
    for path, data in writes.items():
        assert post(client, path, page, data).status_code == 403, path
    assert client.get(f"/earning-rules/{rule.id}").status_code == 403
    session.refresh(rule)
    session.refresh(campaign)
    assert (rule.points, rule.deleted_at, campaign.deleted_at) == (20, None, None)
    # The program's page leads here, for everyone who sees it.
    assert f'href="{page}"' in text_of(client.get(f"/programs/{cafe.program.id}"))


def test_an_outsider_of_a_private_program_finds_nothing(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.program.privacy_mode = "private"
    rule = EarningRule(program_id=cafe.program.id, kind="signup", points=5)
    session.add(rule)
    session.flush()
    outsider = make_user(session, email="out@example.com")
    log_in(client, outsider.email)
    page = _earning(cafe)
    assert client.get(page).status_code == 404
    assert client.get(f"/earning-rules/{rule.id}").status_code == 404
    form_page = "/"
    assert post(client, f"{page}/rules", form_page, {"kind": "review"}).status_code == 404
    assert post(client, f"/earning-rules/{rule.id}/delete", form_page, {}).status_code == 404
    anonymous = client.application.test_client()
    assert anonymous.get(page).status_code == 404


def test_the_currency_is_chosen_on_the_program_form(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    edit = f"/programs/{cafe.program.id}/edit"
    form = text_of(client.get(edit))
    codes = re.findall(r'<option[^>]*value="([A-Z]{3})"', form)
    assert codes[:7] == ["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "MXN"]
    assert len(codes) > 100 and codes[7:] == sorted(codes[7:])
    assert "JPY · Japanese Yen" in form
    response = post(client, edit, edit, {"currency": "JPY"})
    assert response.status_code == 302, text_of(response)
    session.refresh(cafe.program)
    assert (cafe.program.currency, cafe.program.name) == ("JPY", "Coffee card")
    assert _add_rule(client, cafe, kind="purchase", points="1", per_amount="100").status_code == 303
    assert "1 point per ¥100 spent" in text_of(client.get(_earning(cafe)))
    spanish = text_of(client.get(_earning(cafe), headers={"Accept-Language": "es"}))
    assert "1 punto por cada 100\xa0JPY gastado" in spanish  # as CLDR's Spanish writes yen
    new = f"/shops/{cafe.shop.id}/programs/new"
    assert post(client, new, new, {"name": "Euro card", "currency": "EUR"}).status_code == 302
    made = session.scalars(select(Program).where(Program.name == "Euro card")).one()
    assert made.currency == "EUR"
    assert post(client, edit, edit, {"currency": "XYZ"}).status_code == 422


def test_the_pages_escape_what_the_team_wrote_within_budget(
    client: FlaskClient, session: Session, cafe: Cafe, engine: object
) -> None:
    now = utcnow()
    session.add_all(
        [
            EarningRule(program_id=cafe.program.id, kind="purchase", points=1, per_amount=100),
            Campaign(
                program_id=cafe.program.id,
                name=EVIL,
                kind="bonus",
                bonus_points=5,
                starts_at=now,
                ends_at=now + timedelta(days=2),
            ),
        ]
    )
    session.flush()
    log_in(client, cafe.owner.email)
    assert_escaped(client, [_earning(cafe)])
    rule = _rule(session, "purchase")
    paths = [_earning(cafe), f"/earning-rules/{rule.id}"]
    assert all(n <= PAGE_BUDGET for n in statement_counts(client, engine, paths).values())  # type: ignore[arg-type]
