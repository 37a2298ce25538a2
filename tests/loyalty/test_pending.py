"""Pending points (DESIGN 8.4; RELIABILITY-CASES 36, 37): an order's points wait out the
program's return window, not spendable, cancelled (not clawed back) by a refund before the
release, released exactly once, and right at any read even if no job ran; a changed window
holds only orders paid after it. The membership's answer shows ``pending``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.ledger import clocks
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies, find_held_discrepancies
from stampbook.programs.models import Membership
from tests.clocks import Clock, pin_clock
from tests.loyalty.conftest import Store

START = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return pin_clock(monkeypatch, START)


def _settings(store: Store, **changes: Any) -> Any:
    return store.client.patch(
        f"/api/v1/programs/{store.program_id}", json=changes, headers=store.headers
    )


def _member(store: Store, external_id: str = "cust-1") -> dict[str, Any]:
    page = store.client.get(
        f"/api/v1/programs/{store.program_id}/memberships",
        query_string={"external_id": external_id},
        headers=store.headers,
    )
    [item] = page.json["items"]
    one = store.client.get(f"/api/v1/memberships/{item['id']}", headers=store.headers)
    assert one.status_code == 200, one.json
    assert (one.json["balance"], one.json["pending"]) == (item["balance"], item["pending"])
    return dict(one.json)


def _entries(session: Session, membership_id: int) -> list[tuple[str, int]]:
    rows = session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount)
        .where(LedgerEntry.membership_id == membership_id)
        .order_by(LedgerEntry.id)
    ).all()
    return [(kind, amount) for kind, amount in rows]


def _healthy(store: Store) -> None:
    with store.client.application.app_context():
        assert find_discrepancies() == []
        assert find_held_discrepancies() == []


def test_an_orders_points_wait_the_window_then_are_released_once_at_any_read(
    store: Store, session: Session, clock: Clock
) -> None:
    assert _settings(store, pending_days=14).status_code == 200
    order = store.order("5001", subtotal="40.00")
    assert order.status_code == 201, order.json
    assert order.json["pending_until"] == "2026-05-18T09:30:00Z"
    member = _member(store)
    assert (member["balance"], member["pending"]) == (0, 40)
    assert _entries(session, member["id"]) == []  # nothing in the ledger while pending
    clock.now = START + timedelta(days=14) - timedelta(seconds=1)
    assert (_member(store)["balance"], _member(store)["pending"]) == (0, 40)
    clock.now = START + timedelta(days=14)
    # No job ran: the read has the membership matured first.
    released = _member(store)
    assert (released["balance"], released["pending"]) == (40, 0)
    with store.client.application.app_context():
        assert clocks.mature_due() == 0  # nothing left for the sweep
    assert _entries(session, member["id"]) == [(EntryKind.PURCHASE, 40)]
    _healthy(store)


def test_pending_points_cannot_be_spent(store: Store, session: Session, clock: Clock) -> None:
    _settings(store, pending_days=7)
    store.order("5101", subtotal="25.00")
    member = session.get(Membership, _member(store)["id"])
    assert member is not None
    assert (member.balance, member.pending) == (0, 25)
    adjust = store.client.post(
        f"/api/v1/memberships/{member.id}/adjustments",
        json={"amount": -1, "note": "try"},
        headers=store.headers,
    )
    assert adjust.status_code == 409, adjust.json
    assert adjust.json["code"] == "insufficient_points"


def test_a_refund_before_the_release_cancels_pending_points_and_after_it_claws_back(
    store: Store, session: Session, clock: Clock
) -> None:
    _settings(store, pending_days=10)
    store.order("5201", subtotal="100.00")
    store.order("5202", subtotal="50.00")
    assert store.refund("r-1", "5201", "30.00").json["points_clawed_back"] == 30
    member = _member(store)
    assert (member["balance"], member["pending"]) == (0, 120)
    clock.now = START + timedelta(days=10)
    assert store.refund("r-2", "5202", "10.00").json["points_clawed_back"] == 10
    member = _member(store)
    assert (member["balance"], member["pending"]) == (110, 0)
    assert sorted(_entries(session, member["id"])) == sorted(
        [(EntryKind.PURCHASE, 70), (EntryKind.PURCHASE, 50), (EntryKind.REFUND, -10)]
    )
    _healthy(store)


def test_a_cancellation_during_the_window_cancels_everything_pending(
    store: Store, session: Session, clock: Clock
) -> None:
    _settings(store, pending_days=30)
    store.order("5301", subtotal="80.00")
    cancelled = store.order("5301", subtotal="80.00", cancelled=True)
    assert cancelled.json["status"] == "cancelled", cancelled.json
    clock.now = START + timedelta(days=31)
    member = _member(store)
    assert (member["balance"], member["pending"]) == (0, 0)
    assert _entries(session, member["id"]) == []
    _healthy(store)


def test_a_changed_window_holds_only_orders_paid_after_it(
    store: Store, session: Session, clock: Clock
) -> None:
    _settings(store, pending_days=20)
    store.order("5401", subtotal="10.00")
    _settings(store, pending_days=None)
    store.order("5402", subtotal="5.00")  # at once
    _settings(store, pending_days=2)
    store.order("5403", subtotal="3.00")
    assert (_member(store)["balance"], _member(store)["pending"]) == (5, 13)
    clock.now = START + timedelta(days=2)
    assert (_member(store)["balance"], _member(store)["pending"]) == (8, 10)
    clock.now = START + timedelta(days=20)
    assert (_member(store)["balance"], _member(store)["pending"]) == (18, 0)
    _healthy(store)


def test_bad_windows_are_refused(store: Store) -> None:
    for bad in (0, 91, -1, "7", 1.5):
        response = _settings(store, pending_days=bad)
        assert response.status_code == 422, (bad, response.json)
    assert _settings(store, pending_days=90).status_code == 200


def test_expiry_settings_are_checked_and_shown(store: Store) -> None:
    missing = _settings(store, expiry_mode="days")
    assert (missing.status_code, missing.json["code"]) == (409, "expiry_days_required")
    zero = _settings(store, expiry_mode="inactive", expiry_days=0)
    assert (zero.status_code, zero.json["code"]) == (409, "expiry_days_required")
    unordered = _settings(store, expiry_warning_days=3, expiry_last_chance_days=3)
    assert (unordered.status_code, unordered.json["code"]) == (409, "expiry_reminders_unordered")
    assert _settings(store, expiry_mode="bogus").status_code == 422
    ok = _settings(store, expiry_mode="month", expiry_days=0)
    assert ok.status_code == 200, ok.json
    assert (ok.json["expiry_mode"], ok.json["expiry_days"]) == ("month", 0)
    assert ok.json["expiry_since"] is not None


def test_the_membership_shows_its_next_expiring_points(
    store: Store, session: Session, clock: Clock
) -> None:
    _settings(store, expiry_mode="days", expiry_days=30)
    store.order("5501", subtotal="12.00")
    clock.now = START + timedelta(days=2)
    store.order("5502", subtotal="8.00")
    member = _member(store)
    assert member["expiring"] == [
        {"points": 12, "expires_at": "2026-06-04T00:00:00Z"},
        {"points": 8, "expires_at": "2026-06-06T00:00:00Z"},
    ]
    listed = store.client.get(
        f"/api/v1/programs/{store.program_id}/memberships", headers=store.headers
    ).json["items"]
    assert all(item["expiring"] is None for item in listed)


def test_a_redemption_right_after_the_release_spends_the_released_points(
    store: Store, session: Session, clock: Clock
) -> None:
    """No read or job in between: the redemption's own lock runs the member's clock."""
    from tests.factories.accounts import auth
    from tests.factories.rewards import make_reward

    team = store.team
    member = team.memberships["member"]
    _settings(store, pending_days=5)
    order = store.order("5601", subtotal="30.00", external_id=None, membership_id=member.id)
    assert order.status_code == 201, order.json
    reward = make_reward(session, team.shop, cost=25)
    headers = auth(session, team.member)
    early = store.client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": member.id},
        headers=headers,
    )
    assert early.status_code == 409, early.json  # still pending
    clock.now = START + timedelta(days=5)
    redeemed = store.client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": member.id},
        headers=headers,
    )
    assert redeemed.status_code == 201, redeemed.json
    session.refresh(member)
    assert (member.balance, member.pending) == (5, 0)
    _healthy(store)
