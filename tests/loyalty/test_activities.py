"""Custom activities credited by a store's server: once per reference, inside the rule's
window, within its limit per member per period on the member's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.loyalty.models import Credit
from tests.loyalty.conftest import Store


@pytest.fixture
def survey(store: Store) -> dict[str, object]:
    made = store.post(
        "earning-rules",
        {
            "kind": "activity",
            "activity": "survey_completed",
            "points": 20,
            "limit_count": 1,
            "limit_period": "day",
        },
    )
    assert made.status_code == 201, made.json
    return dict(made.json)


def test_an_activity_credits_its_points_once_per_reference(
    store: Store, survey: dict[str, object]
) -> None:
    body = {"activity": "survey_completed", "external_id": "cust-9", "reference": "s-1"}
    first = store.post("activities", body)
    assert first.status_code == 201, first.json
    assert first.json["points"] == 20
    again = store.post("activities", body)
    assert (again.status_code, again.json["id"]) == (201, first.json["id"])
    assert store.balance("cust-9") == 20


def test_the_limit_counts_per_member_per_period(
    store: Store, survey: dict[str, object], session: Session
) -> None:
    body = {"activity": "survey_completed", "external_id": "cust-9"}
    assert store.post("activities", {**body, "reference": "a"}).status_code == 201
    over = store.post("activities", {**body, "reference": "b"})
    assert (over.status_code, over.json["code"]) == (409, "activity_limit_reached")
    # Another customer has a limit of their own.
    assert store.post("activities", {**body, "external_id": "cust-8"}).status_code == 201
    # Yesterday's credit does not count today.
    session.execute(update(Credit).values(credited_at=utcnow() - timedelta(days=2)))
    assert store.post("activities", {**body, "reference": "c"}).status_code == 201
    assert store.balance("cust-9") == 40


def test_outside_its_window_and_unknown_activities_are_refused(
    store: Store, survey: dict[str, object]
) -> None:
    store.client.patch(
        f"/api/v1/earning-rules/{survey['id']}",
        json={"ends_at": datetime(2020, 1, 1, tzinfo=UTC).isoformat()},
        headers=store.headers,
    )
    closed = store.post("activities", {"activity": "survey_completed", "external_id": "c"})
    assert (closed.status_code, closed.json["code"]) == (409, "rule_inactive")
    unknown = store.post("activities", {"activity": "nothing_like_it", "external_id": "c"})
    assert unknown.status_code == 404
