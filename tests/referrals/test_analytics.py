"""Referral analytics: the program's totals and each advocate's, with pinned times; and a
friend who joins through a link first and completes on their first purchase."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from tests.referrals.conftest import Referrals


def _at(moment: object) -> pytest.MonkeyPatch:
    patch = pytest.MonkeyPatch()
    patch.setattr("stampbook.core.clock.now", lambda: moment)
    return patch


def test_joining_then_buying_completes_once(referrals: Referrals) -> None:
    referrals.settings(completes="on_first_purchase", minimum_amount="20.00")
    referrals.person("ada")
    referrals.person("grace", member=False)
    assert referrals.join("grace", referrals.code("ada")).json["status"] == "pending"
    grace = referrals.membership("grace").id
    store = referrals.store
    assert store.order("g1", "30.00", membership_id=grace, external_id=None).status_code == 201
    assert store.order("g2", "30.00", membership_id=grace, external_id=None).status_code == 201
    assert referrals.balance_of("ada") == 50
    assert referrals.balance_of("grace") == 30 + 30 + 20


def test_analytics_counts_and_medians(referrals: Referrals, session: Session) -> None:
    referrals.settings(completes="on_first_purchase")
    referrals.person("ada")
    referrals.person("bob")
    start = utcnow()
    # Ada's friends convert after 1 h and 3 h (median 2 h); one never buys; Bob's after 4 h.
    plan = [("ada", "f1", 1), ("ada", "f2", 3), ("ada", "f3", None), ("bob", "f4", 4)]
    for advocate, friend, _hours in plan:
        referrals.person(friend, member=False)
        patch = _at(start)
        try:
            assert referrals.join(friend, referrals.code(advocate)).json["status"] == "pending"
        finally:
            patch.undo()
    for _advocate, friend, hours in plan:
        if hours is None:
            continue
        patch = _at(start + timedelta(hours=hours))
        try:
            answer = referrals.store.order(
                f"o-{friend}", "10.00", membership_id=referrals.membership(friend).id,
                external_id=None,
            )  # fmt: skip
            assert answer.status_code == 201
        finally:
            patch.undo()
    ada = referrals.membership("ada").id
    invited = referrals.client.post(
        f"/api/v1/memberships/{ada}/referral-invitations",
        json={"emails": ["x@example.com", "y@example.com", "x@example.com"]},
        headers=referrals.people["ada"].headers,
    )
    assert invited.status_code == 202, invited.json
    assert invited.json == {"sent": 2}
    answer = referrals.client.get(
        f"/api/v1/programs/{referrals.program_id}/referral-analytics",
        headers=referrals.store.headers,
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["program"] == {
        "invited": 2,
        "signed_up": 4,
        "converted": 3,
        "rejected": 0,
        "expired": 0,
        "rewards_paid": 3 * 50 + 3 * 20,
        "conversion_rate": 0.75,
        "median_conversion_seconds": 3 * 3600,
    }
    by_id = {row["membership_id"]: row for row in answer.json["advocates"]}
    assert by_id[ada] == {
        "membership_id": ada,
        "name": "Ada",
        "invited": 2,
        "signed_up": 3,
        "converted": 2,
        "rewards_paid": 100,
        "median_conversion_seconds": 2 * 3600,
    }
    bob = by_id[referrals.membership("bob").id]
    assert (bob["converted"], bob["median_conversion_seconds"]) == (1, 4 * 3600)
    mine = referrals.client.get(
        f"/api/v1/memberships/{ada}/referral", headers=referrals.people["ada"].headers
    ).json
    assert mine["counts"] == {
        "invited": 2, "pending": 1, "completed": 2, "rejected": 0, "expired": 0,
    }  # fmt: skip
    assert mine["points_earned"] == 100
    assert mine["link"].endswith(f"/r/{mine['code']}")


def test_invitations_are_sent_by_email_once(referrals: Referrals, session: Session) -> None:
    from sqlalchemy import select

    from stampbook.referrals.models import ReferralInvitation

    referrals.person("ada")
    ada = referrals.membership("ada").id
    url = f"/api/v1/memberships/{ada}/referral-invitations"
    headers = referrals.people["ada"].headers
    assert referrals.client.post(url, json={"emails": ["z@example.com"]}, headers=headers).json == {
        "sent": 1
    }
    assert referrals.client.post(url, json={"emails": ["z@example.com"]}, headers=headers).json == {
        "sent": 0
    }
    [row] = session.scalars(select(ReferralInvitation)).all()
    session.refresh(row)
    assert row.status == "sent"
    too_many = referrals.client.post(
        url, json={"emails": [f"{n}@example.com" for n in range(6)]}, headers=headers
    )
    assert too_many.status_code == 422
    manager = referrals.client.post(
        url, json={"emails": ["q@example.com"]}, headers=referrals.store.headers
    )
    assert manager.status_code == 403
    referrals.settings(email_sharing=False)
    off = referrals.client.post(url, json={"emails": ["w@example.com"]}, headers=headers)
    assert (off.status_code, off.json["code"]) == (409, "referral_sharing_off")
