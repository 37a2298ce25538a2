"""Birthday points (RELIABILITY-CASES 41): once a year on the member's wall clock, a birthday
set less than 30 days before it pays next year, the job run twice pays once."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core.jobs import run_in_app
from stampbook.loyalty.birthdays import credit_birthdays
from stampbook.loyalty.models import Credit, EarningRule
from stampbook.programs.models import Membership
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership
from tests.factories.shops import make_team

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _balance(session: Session, membership: Membership) -> int:
    session.refresh(membership)
    return membership.balance


def test_the_job_credits_each_birthday_once_in_the_members_zone(
    app: Flask, session: Session
) -> None:
    team = make_team(session)
    session.add(EarningRule(program_id=team.program.id, kind="birthday", points=100))
    tokyo = make_user(session, time_zone="Asia/Tokyo", birthday="07-14", birthday_set_at=LONG_AGO)
    lima = make_user(session, time_zone="America/Lima", birthday="07-14", birthday_set_at=LONG_AGO)
    tokyo_member = make_membership(session, team.program, tokyo)
    lima_member = make_membership(session, team.program, lima)
    # 13 July, 20:00 UTC: already the 14th in Tokyo, still the 13th in Lima.
    evening = datetime(2027, 7, 13, 20, 0, tzinfo=UTC)
    with app.app_context():
        assert run_in_app(lambda: credit_birthdays(evening)) == 1
        assert run_in_app(lambda: credit_birthdays(evening)) == 0
    assert (_balance(session, tokyo_member), _balance(session, lima_member)) == (100, 0)
    next_day = datetime(2027, 7, 14, 20, 0, tzinfo=UTC)
    with app.app_context():
        assert run_in_app(lambda: credit_birthdays(next_day)) == 1
    assert (_balance(session, tokyo_member), _balance(session, lima_member)) == (100, 100)
    # The next year pays again, once.
    with app.app_context():
        assert run_in_app(lambda: credit_birthdays(datetime(2028, 8, 1, tzinfo=UTC))) == 2
    assert session.scalar(select(func.count()).select_from(Credit)) == 4


def test_a_birthday_set_within_30_days_of_it_pays_next_year(app: Flask, session: Session) -> None:
    team = make_team(session)
    session.add(EarningRule(program_id=team.program.id, kind="birthday", points=100))
    late = make_user(session, birthday="07-14", birthday_set_at=datetime(2027, 7, 1, tzinfo=UTC))
    member = make_membership(session, team.program, late)
    with app.app_context():
        assert run_in_app(lambda: credit_birthdays(datetime(2027, 7, 20, tzinfo=UTC))) == 0
        assert run_in_app(lambda: credit_birthdays(datetime(2028, 7, 14, 12, tzinfo=UTC))) == 1
    assert _balance(session, member) == 100


def test_my_birthday_through_the_api(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    headers = auth(session, user)
    set_it = client.patch("/api/v1/users/me", json={"birthday": "02-29"}, headers=headers)
    assert (set_it.status_code, set_it.json["birthday"]) == (200, "02-29")
    session.refresh(user)
    assert user.birthday_set_at is not None
    for wrong in ("02-30", "13-01", "7-14", "07/14"):
        refused = client.patch("/api/v1/users/me", json={"birthday": wrong}, headers=headers)
        assert refused.status_code == 422, wrong
    cleared = client.patch("/api/v1/users/me", json={"birthday": None}, headers=headers)
    assert cleared.json["birthday"] is None
