"""Earning rules through the API: one per kind (and per name for activities), managed by
the shop's creator and managers, seen by whoever sees the program, amounts in its currency."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import auth, make_user
from tests.factories.shops import make_team
from tests.loyalty.conftest import Store


def test_rules_read_back_in_the_programs_currency(store: Store) -> None:
    listed = store.client.get(
        f"/api/v1/programs/{store.program_id}/earning-rules", headers=store.headers
    )
    [purchase] = listed.json["items"]
    assert purchase["kind"] == "purchase"
    assert (purchase["points"], purchase["per_amount"], purchase["currency"]) == (1, "1.00", "USD")
    assert purchase["active"] is True


def test_one_live_rule_per_kind_and_per_activity_name(store: Store) -> None:
    twin = store.post("earning-rules", {"kind": "purchase", "points": 2, "per_amount": "5.00"})
    assert (twin.status_code, twin.json["code"]) == (409, "rule_exists")
    survey = {"kind": "activity", "activity": "survey_completed", "points": 20}
    assert store.post("earning-rules", survey).status_code == 201
    again = store.post("earning-rules", survey)
    assert (again.status_code, again.json["code"]) == (409, "activity_exists")
    other = {"kind": "activity", "activity": "app_download", "points": 5}
    assert store.post("earning-rules", other).status_code == 201
    signup = store.post("earning-rules", {"kind": "signup", "points": 50})
    assert signup.status_code == 201


def test_a_rule_body_must_fit_its_kind(store: Store) -> None:
    for body in (
        {"kind": "purchase", "points": 1},
        {"kind": "signup", "points": 1, "per_amount": "1.00"},
        {"kind": "activity", "points": 1},
        {"kind": "signup", "points": 0},
        {"kind": "signup", "points": 1, "limit_count": 2},
        {"kind": "purchase", "points": 1, "per_amount": "0.00"},
    ):
        response = store.post("earning-rules", body)
        assert response.status_code == 422, (body, response.json)


def test_a_per_amount_below_the_currencys_unit_is_refused(store: Store) -> None:
    rules = store.client.get(
        f"/api/v1/programs/{store.program_id}/earning-rules", headers=store.headers
    )
    rule_id = rules.json["items"][0]["id"]
    tiny = store.client.patch(
        f"/api/v1/earning-rules/{rule_id}", json={"per_amount": "0.001"}, headers=store.headers
    )
    assert (tiny.status_code, tiny.json["code"]) == (409, "amount_below_minor_unit")


def test_managers_change_rules_members_only_read_them(
    client: FlaskClient, session: Session
) -> None:
    team = make_team(session)
    url = f"/api/v1/programs/{team.program.id}/earning-rules"
    body = {"kind": "signup", "points": 10}
    for name, status in (
        ("member", 403),
        ("assistant", 403),
        ("outsider", 403),
        ("manager", 201),
    ):
        who = team.actor(name)
        assert who is not None
        answer = client.post(url, json=body, headers=auth(session, who))
        assert answer.status_code == status, (name, answer.json)
    seen = client.get(url, headers=auth(session, team.member))
    assert [r["kind"] for r in seen.json["items"]] == ["signup"]
    rule_id = seen.json["items"][0]["id"]
    edit = client.patch(
        f"/api/v1/earning-rules/{rule_id}", json={"points": 3}, headers=auth(session, team.member)
    )
    assert edit.status_code == 403
    gone = client.delete(f"/api/v1/earning-rules/{rule_id}", headers=auth(session, team.manager))
    assert gone.status_code == 204
    after = client.patch(
        f"/api/v1/earning-rules/{rule_id}", json={"points": 3}, headers=auth(session, team.manager)
    )
    assert after.status_code == 404


def test_a_programs_currency_prices_its_rules(client: FlaskClient, session: Session) -> None:
    team = make_team(session)
    headers = auth(session, team.manager)
    changed = client.patch(
        f"/api/v1/programs/{team.program.id}", json={"currency": "JPY"}, headers=headers
    )
    assert (changed.status_code, changed.json["currency"]) == (200, "JPY")
    made = client.post(
        f"/api/v1/programs/{team.program.id}/earning-rules",
        json={"kind": "purchase", "points": 1, "per_amount": "100"},
        headers=headers,
    )
    assert (made.json["per_amount"], made.json["currency"]) == ("100", "JPY")
    unknown = client.patch(
        f"/api/v1/programs/{team.program.id}", json={"currency": "XYZ"}, headers=headers
    )
    assert unknown.status_code == 422


def test_joining_earns_the_signup_rule_once(store: Store, session: Session) -> None:
    from stampbook.programs.models import Membership

    assert store.post("earning-rules", {"kind": "signup", "points": 50}).status_code == 201
    newcomer = make_user(session)
    program = store.team.program
    program.membership_mode = "public"
    session.flush()
    joined = store.client.post(
        f"/api/v1/programs/{program.id}/memberships", json={}, headers=auth(session, newcomer)
    )
    assert joined.status_code == 201, joined.json
    membership = session.get(Membership, joined.json["id"])
    assert membership is not None
    session.refresh(membership)
    assert membership.balance == 50
    # Leaving and coming back earns nothing more.
    store.client.delete(f"/api/v1/memberships/{membership.id}", headers=auth(session, newcomer))
    again = store.client.post(
        f"/api/v1/programs/{program.id}/memberships", json={}, headers=auth(session, newcomer)
    )
    assert again.status_code in (200, 201), again.json
    session.refresh(membership)
    assert membership.balance == 50
