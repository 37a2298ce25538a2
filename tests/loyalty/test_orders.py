"""Orders and refunds through the store-agnostic API (DESIGN 8.4; RELIABILITY-CASES 17 to
19, 35, 36): an order earns once when paid, at the rate of the rule then; refunds take back
in proportion, capped at what the order earned; a cancellation takes back the rest; a
refund before its order waits; what was spent is a shortfall, never a negative balance."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import Order
from tests.factories.accounts import auth
from tests.loyalty.conftest import Store


def test_a_paid_order_earns_once_by_the_purchase_rule(store: Store) -> None:
    first = store.order("1001", subtotal="59.90", shipping="5.00", taxes="4.80", total="69.70")
    assert first.status_code == 201, first.json
    assert (first.json["status"], first.json["points_earned"]) == ("paid", 59)
    assert first.json["eligible_amount"] == "59.90"  # without shipping and taxes
    assert store.balance() == 59
    again = store.order("1001", subtotal="59.90", shipping="5.00", taxes="4.80", total="69.70")
    assert (again.status_code, again.json["id"]) == (201, first.json["id"])
    assert store.balance() == 59
    changed = store.order("1001", subtotal="999.00")  # the same id with another body
    assert changed.json["points_earned"] == 59
    assert store.balance() == 59


def test_an_order_earns_when_it_is_paid_and_a_test_order_never(store: Store) -> None:
    pending = store.order("2001", financial_status="pending")
    assert (pending.json["status"], pending.json["points_earned"]) == ("open", 0)
    paid = store.order("2001", financial_status="paid")
    assert (paid.json["status"], paid.json["points_earned"]) == ("paid", 59)
    test = store.order("2002", test=True, external_id="tester")
    assert (test.status_code, test.json["status"], test.json["membership_id"]) == (
        201,
        "ignored",
        None,
    )
    # A test order made no customer.
    none = store.client.get(
        f"/api/v1/programs/{store.program_id}/memberships",
        query_string={"external_id": "tester"},
        headers=store.headers,
    )
    assert none.json["items"] == []


def test_a_currency_other_than_the_programs_is_refused(store: Store) -> None:
    response = store.order("3001", currency="EUR")
    assert (response.status_code, response.json["code"]) == (409, "currency_mismatch")
    refund = store.post(
        "refunds", {"refund_id": "r", "order_id": "3001", "currency": "EUR", "amount": "1.00"}
    )
    assert (refund.status_code, refund.json["code"]) == (409, "currency_mismatch")


def test_refunds_take_back_in_proportion_and_never_more_than_the_order_earned(
    store: Store,
) -> None:
    store.order("4001", subtotal="100.00")
    assert store.balance() == 100
    half = store.refund("r1", "4001", "50.00")
    assert (half.status_code, half.json["status"], half.json["points_clawed_back"]) == (
        201,
        "applied",
        50,
    )
    assert store.refund("r1", "4001", "50.00").json["id"] == half.json["id"]  # a replay
    assert store.balance() == 50
    # More refunded than the order's subtotal: capped at what it earned.
    store.refund("r2", "4001", "80.00")
    assert store.balance() == 0
    assert store.refund("r3", "4001", "10.00").json["points_clawed_back"] == 0


def test_a_refund_uses_the_rate_the_order_earned_at(store: Store, session: Session) -> None:
    store.order("5001", subtotal="100.00")
    [rule] = store.client.get(
        f"/api/v1/programs/{store.program_id}/earning-rules", headers=store.headers
    ).json["items"]
    changed = store.client.patch(
        f"/api/v1/earning-rules/{rule['id']}", json={"points": 10}, headers=store.headers
    )
    assert changed.status_code == 200
    assert store.refund("r1", "5001", "50.00").json["points_clawed_back"] == 50
    # Even with the rule deleted.
    deleted = store.client.delete(f"/api/v1/earning-rules/{rule['id']}", headers=store.headers)
    assert deleted.status_code == 204
    assert store.refund("r2", "5001", "50.00").json["points_clawed_back"] == 50
    assert store.balance() == 0


def test_a_refund_before_its_order_waits_and_applies_once_it_arrives(store: Store) -> None:
    early = store.refund("r1", "6001", "25.00")
    assert (early.status_code, early.json["status"]) == (201, "parked")
    order = store.order("6001", subtotal="100.00")
    assert order.json["points_earned"] == 100
    assert order.json["points_clawed_back"] == 25
    assert store.balance() == 75
    assert store.refund("r1", "6001", "25.00").json["status"] == "applied"


def test_a_cancellation_after_a_partial_refund_takes_back_the_rest(store: Store) -> None:
    store.order("7001", subtotal="100.00")
    store.refund("r1", "7001", "30.00")
    cancelled = store.order("7001", subtotal="100.00", cancelled=True)
    assert cancelled.json["status"] == "cancelled"
    assert (cancelled.json["points_clawed_back"], cancelled.json["shortfall"]) == (100, 0)
    assert store.balance() == 0
    assert store.order("7001", subtotal="100.00", cancelled=True).json["points_clawed_back"] == 100


def test_points_already_spent_are_a_shortfall_not_a_negative_balance(
    app: Flask, store: Store, session: Session
) -> None:
    store.order("8001", subtotal="100.00")
    page = store.client.get(
        f"/api/v1/programs/{store.program_id}/memberships",
        query_string={"external_id": "cust-1"},
        headers=store.headers,
    )
    membership_id = page.json["items"][0]["id"]
    spent = store.client.post(
        f"/api/v1/memberships/{membership_id}/adjustments",
        json={"amount": -80, "note": "Spent on a reward"},
        headers=store.headers,
    )
    assert spent.status_code == 201, spent.json
    refund = store.refund("r1", "8001", "100.00")
    assert (refund.json["points_clawed_back"], refund.json["shortfall"]) == (20, 80)
    assert store.balance() == 0
    order = session.scalars(select(Order).where(Order.order_id == "8001")).one()
    assert (order.points_clawed_back, order.shortfall) == (20, 80)
    entries = session.scalars(
        select(LedgerEntry.kind).where(LedgerEntry.membership_id == membership_id)
    ).all()
    assert sorted(entries) == ["adjustment", "purchase", "refund"]
    with app.app_context():
        assert find_discrepancies() == []


def test_an_order_for_a_new_email_makes_an_unclaimed_customer(store: Store) -> None:
    made = store.order("9001", external_id=None, email="New@Example.com")
    assert made.status_code == 201, made.json
    found = store.client.get(
        f"/api/v1/programs/{store.program_id}/memberships",
        query_string={"email": "new@example.com"},
        headers=store.headers,
    )
    [customer] = found.json["items"]
    assert (customer["user_id"], customer["email"], customer["balance"]) == (
        None,
        "new@example.com",
        59,
    )


def test_only_the_shops_managers_record_orders(store: Store, session: Session) -> None:
    body = {"external_id": "c", "currency": "USD", "subtotal": "1.00", "total": "1.00"}
    url = f"/api/v1/programs/{store.program_id}/orders"
    for name, status in (("creator", 201), ("assistant", 403), ("member", 403), ("outsider", 403)):
        who = store.team.actor(name)
        assert who is not None
        response = store.client.post(
            url, json={**body, "order_id": name}, headers=auth(session, who)
        )
        assert response.status_code == status, (name, response.json)
    assert store.client.post(url, json={**body, "order_id": "anon"}).status_code == 401


def test_the_team_lists_a_customers_orders_by_time(store: Store, session: Session) -> None:
    store.order("10-1", subtotal="10.00")
    store.order("10-2", subtotal="20.00", external_id="cust-2")
    store.order("10-3", subtotal="30.00")
    url = f"/api/v1/programs/{store.program_id}/orders"
    everything = store.client.get(url, headers=store.headers).json["items"]
    assert [o["order_id"] for o in everything] == ["10-3", "10-2", "10-1"]
    mine = everything[0]["membership_id"]
    theirs = store.client.get(
        url, query_string={"membership_id": mine}, headers=store.headers
    ).json["items"]
    assert [o["order_id"] for o in theirs] == ["10-3", "10-1"]
    later = store.client.get(
        url, query_string={"since": "2999-01-01T00:00:00Z"}, headers=store.headers
    ).json["items"]
    assert later == []
    member = store.client.get(url, headers=auth(session, store.team.member))
    assert member.status_code == 403
