"""The tiers API (DESIGN 9): setting up Silver and Gold, bad thresholds and multipliers with
clear problems, a member's tier with progress, the history, and a manual raise."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.loyalty.conftest import Store


def _tier(store: Store, **body: Any) -> Any:
    return store.post("tiers", {"name": "Silver", "threshold": 100, **body})


def _membership_id(store: Store) -> int:
    page = store.client.get(
        f"/api/v1/programs/{store.program_id}/memberships",
        query_string={"external_id": "cust-1"},
        headers=store.headers,
    )
    return int(page.json["items"][0]["id"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"threshold": -5}, "tier_threshold_invalid"),
        ({"threshold": 0}, "tier_threshold_invalid"),
        ({"multiplier": "0"}, "tier_multiplier_invalid"),
        ({"multiplier": "100.5"}, "tier_multiplier_invalid"),
        ({"multiplier": "lots"}, "tier_multiplier_invalid"),
    ],
)
def test_bad_tiers_get_a_clear_problem(store: Store, body: dict[str, Any], code: str) -> None:
    response = _tier(store, **body)
    assert (response.status_code, response.json["code"]) == (409, code), response.json
    assert response.json["detail"]


def test_a_duplicate_threshold_is_refused(store: Store) -> None:
    assert _tier(store).status_code == 201
    twice = _tier(store, name="Also silver")
    assert (twice.status_code, twice.json["code"]) == (409, "tier_threshold_unordered")


def test_silver_and_gold_then_a_member_rises_and_sees_progress(
    store: Store, session: Session
) -> None:
    settings = store.client.put(
        f"/api/v1/programs/{store.program_id}/tier-settings",
        json={"basis": "points", "period": "calendar_year", "retention_percent": 80},
        headers=store.headers,
    )
    assert settings.status_code == 200, settings.json
    silver = _tier(store, perks=["Free coffee on Mondays"], entry_points=5)
    assert silver.status_code == 201, silver.json
    gold = _tier(store, name="Gold", threshold=500, multiplier="1.5")
    assert (gold.status_code, gold.json["multiplier"]) == (201, "1.5")
    listed = store.client.get(f"/api/v1/programs/{store.program_id}/tiers")
    assert [t["name"] for t in listed.json["items"]] == ["Silver", "Gold"]

    store.order("1", subtotal="150.00")
    membership_id = _membership_id(store)
    mine = store.client.get(f"/api/v1/memberships/{membership_id}/tier", headers=store.headers)
    assert mine.status_code == 200, mine.json
    assert mine.json["tier"]["name"] == "Silver"
    assert mine.json["perks"] == ["Free coffee on Mondays"]
    assert (mine.json["qualifying_total"], mine.json["next_tier"]["name"]) == (150, "Gold")
    assert mine.json["missing"] == 350
    assert store.balance() == 155  # the order's points and Silver's entry points
    listed = store.client.get(f"/api/v1/programs/{store.program_id}/tiers")
    assert [t["members"] for t in listed.json["items"]] == [1, 0]

    raised = store.client.post(
        f"/api/v1/memberships/{membership_id}/tier",
        json={"tier_id": gold.json["id"], "reason": "Our oldest customer"},
        headers=store.headers,
    )
    assert raised.status_code == 200, raised.json
    assert (raised.json["tier"]["name"], raised.json["floor_tier_id"]) == ("Gold", gold.json["id"])
    history = store.client.get(
        f"/api/v1/memberships/{membership_id}/tier-changes", headers=store.headers
    )
    assert [c["cause"] for c in history.json["items"]] == ["raised", "rose"]


def test_raising_to_another_programs_tier_is_refused(store: Store) -> None:
    store.order("1", subtotal="1.00")
    response = store.client.post(
        f"/api/v1/memberships/{_membership_id(store)}/tier",
        json={"tier_id": 999999, "reason": "Why not"},
        headers=store.headers,
    )
    assert (response.status_code, response.json["code"]) == (409, "tier_not_in_program")


def test_deleting_a_tier_hides_it(store: Store) -> None:
    silver = _tier(store)
    gone = store.client.delete(f"/api/v1/tiers/{silver.json['id']}", headers=store.headers)
    assert gone.status_code == 204
    again = store.client.patch(
        f"/api/v1/tiers/{silver.json['id']}", json={"name": "x"}, headers=store.headers
    )
    assert again.status_code == 404
