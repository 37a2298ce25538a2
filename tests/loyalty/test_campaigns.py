"""Campaigns through the API: multipliers and bonuses in a window, on chosen rule kinds, their
own ledger entries, and what each cost."""

from __future__ import annotations

from datetime import timedelta

from stampbook.core.db import utcnow
from tests.loyalty.conftest import Store


def window(**shift: int) -> dict[str, str]:
    now = utcnow()
    return {
        "starts_at": (now - timedelta(hours=1) + timedelta(**shift)).isoformat(),
        "ends_at": (now + timedelta(hours=1) + timedelta(**shift)).isoformat(),
    }


def test_a_running_multiplier_boosts_orders_and_counts_its_cost(store: Store) -> None:
    double = store.post(
        "campaigns",
        {"name": "Double", "kind": "multiplier", "multiplier": "2", "rule_kinds": ["purchase"]}
        | window(),
    )
    assert double.status_code == 201, double.json
    triple_later = store.post(
        "campaigns", {"name": "Later", "kind": "multiplier", "multiplier": "3"} | window(days=2)
    )
    assert triple_later.status_code == 201
    order = store.order("c-1", subtotal="59.90")
    assert (order.json["points_earned"]) == 118
    assert store.balance() == 118
    listed = store.client.get(
        f"/api/v1/programs/{store.program_id}/campaigns", headers=store.headers
    ).json["items"]
    costs = {c["name"]: (c["points_given"], c["credits"]) for c in listed}
    assert costs == {"Double": (59, 1), "Later": (0, 0)}
    # A full refund takes back the boosted points too.
    store.refund("r-1", "c-1", "59.90")
    assert store.balance() == 0


def test_multipliers_do_not_stack_and_bonuses_add(store: Store) -> None:
    for body in (
        {"name": "x1.5", "kind": "multiplier", "multiplier": "1.5"},
        {"name": "x2", "kind": "multiplier", "multiplier": "2"},
        {"name": "Gift", "kind": "bonus", "bonus_points": 10},
    ):
        assert store.post("campaigns", body | window()).status_code == 201
    assert store.order("c-2", subtotal="10.00").json["points_earned"] == 10 + 10 + 10


def test_a_campaign_on_other_kinds_leaves_purchases_alone(store: Store) -> None:
    body = {"name": "Surveys", "kind": "bonus", "bonus_points": 5, "rule_kinds": ["activity"]}
    assert store.post("campaigns", body | window()).status_code == 201
    store.post("earning-rules", {"kind": "activity", "activity": "survey", "points": 20})
    assert store.order("c-3", subtotal="10.00").json["points_earned"] == 10
    credit = store.post("activities", {"activity": "survey", "external_id": "cust-1"})
    assert credit.json["points"] == 25
    assert store.balance() == 35


def test_campaign_bodies_and_windows_are_checked(store: Store) -> None:
    now = utcnow()
    reversed_window = {
        "starts_at": now.isoformat(),
        "ends_at": (now - timedelta(days=1)).isoformat(),
    }
    backwards = store.post(
        "campaigns", {"name": "Oops", "kind": "bonus", "bonus_points": 1} | reversed_window
    )
    assert (backwards.status_code, backwards.json["code"]) == (409, "window_reversed")
    for body in (
        {"name": "No factor", "kind": "multiplier"},
        {"name": "Mixed", "kind": "bonus", "bonus_points": 1, "multiplier": "2"},
        {"name": "Twice", "kind": "bonus", "bonus_points": 1, "rule_kinds": ["signup", "signup"]},
    ):
        assert store.post("campaigns", body | window()).status_code == 422, body
    made = store.post("campaigns", {"name": "B", "kind": "bonus", "bonus_points": 1} | window())
    wrong = store.client.patch(
        f"/api/v1/campaigns/{made.json['id']}", json={"multiplier": "2"}, headers=store.headers
    )
    assert (wrong.status_code, wrong.json["code"]) == (409, "campaign_kind_fields")
    gone = store.client.delete(f"/api/v1/campaigns/{made.json['id']}", headers=store.headers)
    assert gone.status_code == 204
    assert store.order("c-4", subtotal="10.00").json["points_earned"] == 10
