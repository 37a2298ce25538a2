"""Shopify's webhooks (DESIGN 8.4; RELIABILITY-CASES 16 to 19, 35): the signature of the raw
body checked before anything is read, deliveries counted once on the signed body's id and
the topic, each topic's work done by its job, refusals recorded on the delivery's log."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core import unit_of_work
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty import shopify as shopify_rules
from stampbook.loyalty import webhooks_in
from stampbook.loyalty.models import Credit, IntegrationDelivery, Order, Refund
from stampbook.programs.models import Membership
from tests.factories.accounts import auth
from tests.factories.shops import make_team
from tests.loyalty.conftest import Store
from tests.loyalty.shopify_store import (
    BOB,
    DOMAIN,
    ORDER,
    SECRET,
    Shopify,
    connect,
    edited,
    payload,
    shopify_fixture,  # noqa: F401 (the shopify fixture)
    shopify_signature,
)

PAID = "orders/paid"
T = TypeVar("T")


def in_app(app: Flask, work: Callable[[], T]) -> T:
    """``work`` as a job runs it: in an app context of its own, in one unit of work."""
    with app.app_context():
        return unit_of_work.run(work)


def _orders(session: Session) -> list[Order]:
    session.expire_all()
    return list(session.scalars(select(Order)))


def _nothing_happened(shopify: Shopify) -> None:
    assert shopify.deliveries() == []
    assert _orders(shopify.session) == []
    assert shopify.member() is None


# --- A paid order -----------------------------------------------------------------------------


def test_a_paid_order_earns_by_the_purchase_rule_in_a_job(app: Flask, shopify: Shopify) -> None:
    response = shopify.send(PAID, payload("orders_paid"))
    assert response.status_code == 200, response.json
    assert response.json["duplicate"] is False
    # 239.98 after the discount, without the 10.00 of shipping and 19.20 of tax.
    assert shopify.balance() == 239
    [order] = _orders(shopify.session)
    assert (order.order_id, order.source, order.status) == (ORDER, "shopify", "paid")
    assert (order.subtotal, order.shipping, order.taxes, order.total) == (23998, 1000, 1920, 26918)
    [delivery] = shopify.deliveries()
    assert (delivery.topic, delivery.resource_key, delivery.outcome) == (PAID, ORDER, "processed")
    assert (delivery.code, delivery.params) == ("order_earned", {"points": 239})
    assert delivery.payload is None  # the customer's data is not kept once the work is done
    member = shopify.member()
    assert member is not None and member.email == "bob@biller.com"
    assert in_app(app, find_discrepancies) == []


# --- The signature (case 16) ------------------------------------------------------------------

BODY = payload("orders_paid")


def _another_shops_secret(shopify: Shopify) -> dict[str, Any]:
    """A store connected by another shop, with its own secret, signs; ours is named."""
    team = make_team(shopify.session)
    other = Store(shopify.client, team, auth(shopify.session, team.manager))
    connect(other, domain="other-store.myshopify.com", secret="shpss_another-shops-secret-000")
    return {"signature": shopify_signature(BODY, "shpss_another-shops-secret-000")}


SIGNATURES = {
    "wrong secret": lambda s: {"signature": shopify_signature(BODY, "shpss_not-the-apps-secret")},
    "another shop's secret": _another_shops_secret,
    "missing": lambda s: {"signature": None},
    "empty": lambda s: {"signature": ""},
    "hex": lambda s: {"signature": hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()},
    "base64 of another body": lambda s: {"signature": shopify_signature(BODY + b" ")},
    "unknown store": lambda s: {"domain": "nobody.myshopify.com"},
    "no store named": lambda s: {"domain": ""},
}


@pytest.mark.parametrize("case", list(SIGNATURES))
def test_a_body_not_signed_with_the_stores_secret_is_refused_and_changes_nothing(
    shopify: Shopify, case: str
) -> None:
    changes = SIGNATURES[case](shopify)
    response = shopify.send(PAID, BODY, **changes)
    assert response.status_code == 401, response.json
    assert response.json["code"] == "invalid_signature"
    assert response.mimetype == "application/problem+json"
    _nothing_happened(shopify)


def test_re_serialised_json_does_not_pass_for_the_signed_bytes(shopify: Shopify) -> None:
    """The same data written another way is other bytes: the signature is of the raw body."""
    compact = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert json.loads(compact) == json.loads(BODY)
    response = shopify.send(PAID, compact, signature=shopify_signature(BODY))
    assert (response.status_code, response.json["code"]) == (401, "invalid_signature")
    _nothing_happened(shopify)


def test_a_disconnected_store_is_refused(shopify: Shopify) -> None:
    deleted = shopify.client.delete(
        f"/api/v1/integrations/{shopify.integration_id}", headers=shopify.store.headers
    )
    assert deleted.status_code == 204
    assert shopify.send(PAID, BODY).status_code == 401
    _nothing_happened(shopify)


def test_the_domain_header_is_read_in_any_case(shopify: Shopify) -> None:
    assert shopify.send(PAID, BODY, domain=DOMAIN.upper()).status_code == 200
    assert shopify.balance() == 239


# --- Oversized, malformed and deep bodies (case 19) -------------------------------------------


@pytest.fixture
def no_signature_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if the signature is computed at all."""

    def computed(*args: Any) -> bool:
        pytest.fail("the HMAC was computed for a body refused for its size")

    monkeypatch.setattr(shopify_rules, "verify", computed)
    monkeypatch.setattr(shopify_rules, "sign", computed)


def test_an_oversized_body_is_refused_before_the_hmac(
    shopify: Shopify, no_signature_check: None
) -> None:
    big = b'{"id": 1, "note": "' + b"x" * shopify_rules.MAX_BODY_BYTES + b'"}'
    response = shopify.send(PAID, big, signature="c2lnbmVk")
    assert response.status_code == 413
    assert shopify.deliveries() == []


def test_the_webhooks_own_bound_holds_when_the_apps_is_larger(
    app: Flask, shopify: Shopify, no_signature_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app configured for larger bodies (imports) still refuses a webhook over its bound,
    before the HMAC."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 8 * shopify_rules.MAX_BODY_BYTES)
    big = b'{"id": 1, "note": "' + b"x" * shopify_rules.MAX_BODY_BYTES + b'"}'
    response = shopify.send(PAID, big, signature="c2lnbmVk")
    assert (response.status_code, response.json["code"]) == (413, "payload_too_large")
    assert shopify.deliveries() == []


def test_a_body_without_its_length_is_bounded_as_it_is_read(
    app: Flask, shopify: Shopify, no_signature_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunked: no Content-Length to read the bound from; what is read is bounded."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 8 * shopify_rules.MAX_BODY_BYTES)
    big = b'{"id": 1, "note": "' + b"x" * shopify_rules.MAX_BODY_BYTES + b'"}'

    response = shopify.client.post(
        "/api/v1/integrations/shopify/webhooks",
        input_stream=io.BytesIO(big),
        environ_overrides={"wsgi.input_terminated": True},
        headers={
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            "X-Shopify-Topic": PAID,
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-Hmac-Sha256": "c2lnbmVk",
        },
    )
    assert response.status_code == 413
    assert shopify.deliveries() == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"id": 1, "financial_status": ', "malformed_json"),
        (b"[" * 5000 + b"]" * 5000, "json_too_deep"),
    ],
    ids=["malformed", "deep"],
)
def test_a_signed_body_that_is_not_json_is_a_client_error(
    shopify: Shopify, body: bytes, code: str
) -> None:
    response = shopify.send(PAID, body)
    assert (response.status_code, response.json["code"]) == (400, code)
    assert shopify.deliveries() == []


# --- Duplicates (case 17) ---------------------------------------------------------------------


def test_a_delivery_sent_again_under_a_new_webhook_id_earns_nothing_more(shopify: Shopify) -> None:
    first = shopify.send(PAID, BODY, webhook_id="first-id")
    again = shopify.send(PAID, BODY, webhook_id="a-new-header-id")
    assert (again.status_code, again.json["duplicate"]) == (200, True)
    assert again.json["delivery_id"] == first.json["delivery_id"]
    assert again.json["outcome"] == "processed"
    assert shopify.balance() == 239
    assert len(shopify.deliveries()) == 1
    assert shopify.deliveries()[0].webhook_id == "first-id"


def test_the_same_order_with_a_changed_body_earns_nothing_more(shopify: Shopify) -> None:
    shopify.send(PAID, BODY)
    changed = edited("orders_paid", current_subtotal_price="999.00", total_price="999.00")
    response = shopify.send(PAID, changed)
    assert (response.status_code, response.json["duplicate"]) == (200, True)
    assert shopify.balance() == 239
    [order] = _orders(shopify.session)
    assert order.points_earned == 239


def test_the_order_earns_once_even_when_its_delivery_is_processed_again(
    app: Flask, shopify: Shopify
) -> None:
    """Another connection of the same program, or a delivery logged twice: the order's id
    per program holds it to one credit too."""
    shopify.send(PAID, BODY)
    [delivery] = shopify.deliveries()
    delivery.processed_at, delivery.payload = None, BODY.decode()
    shopify.session.flush()
    in_app(app, lambda: webhooks_in.process(delivery.id))
    assert shopify.balance() == 239


# --- Orders' life: refunds, cancellations, tests (cases 18, 19) -------------------------------


def test_orders_create_credits_nothing(shopify: Shopify) -> None:
    response = shopify.send("orders/create", payload("orders_create"))
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored"
    [delivery] = shopify.deliveries()
    assert (delivery.outcome, delivery.code, delivery.payload) == ("ignored", "order_created", None)
    assert _orders(shopify.session) == []
    assert shopify.member() is None
    # Paid later, it earns (another topic: another delivery).
    shopify.send(PAID, BODY)
    assert shopify.balance() == 239


def test_a_test_order_earns_nothing_and_makes_no_customer(shopify: Shopify) -> None:
    shopify.send(PAID, edited("orders_paid", test=True))
    [delivery] = shopify.deliveries()
    assert (delivery.outcome, delivery.code) == ("ignored", "test_order")
    [order] = _orders(shopify.session)
    assert (order.status, order.membership_id, order.points_earned) == ("ignored", None, 0)
    assert shopify.member() is None


def test_an_order_that_is_not_paid_earns_nothing_whatever_its_topic_says(shopify: Shopify) -> None:
    """The topic header is not signed: a captured orders/create body sent as orders/paid says
    pending in its signed body, and earns nothing."""
    shopify.send(PAID, payload("orders_create"))
    assert shopify.balance() == 0
    [order] = _orders(shopify.session)
    assert order.status == "open"


def test_a_refund_takes_back_its_share_of_what_the_order_earned(shopify: Shopify) -> None:
    shopify.send(PAID, BODY)
    response = shopify.send("refunds/create", payload("refunds_create"))
    assert response.status_code == 200
    # 86.39 of 239.98 refunded: 239 x 86.39 / 239.98 = 86.03, rounded down.
    assert shopify.balance() == 239 - 86
    [refund] = shopify.session.scalars(select(Refund)).all()
    assert (refund.refund_id, refund.amount, refund.currency) == ("890088186047892319", 8639, "USD")
    delivery = shopify.deliveries()[-1]
    assert (delivery.code, delivery.params) == ("refund_applied", {"points": 86})


def test_a_refund_before_its_order_waits_for_it(shopify: Shopify) -> None:
    shopify.send("refunds/create", payload("refunds_create"))
    [delivery] = shopify.deliveries()
    assert (delivery.outcome, delivery.code) == ("processed", "refund_parked")
    refund = shopify.session.scalars(select(Refund)).one()
    assert refund.status == "parked"
    shopify.send(PAID, BODY)
    assert shopify.balance() == 239 - 86
    shopify.session.expire_all()
    assert shopify.session.scalars(select(Refund)).one().status == "applied"


def test_refunds_summing_to_more_than_the_order_never_take_more_than_it_earned(
    app: Flask, shopify: Shopify
) -> None:
    shopify.send(PAID, BODY)
    for number, amount in enumerate(["150.00", "150.00", "150.00"], start=1):
        line = json.loads(payload("refunds_create"))["refund_line_items"][0]
        line["subtotal"] = float(amount)  # a JSON number, as Shopify writes it
        line["subtotal_set"]["shop_money"]["amount"] = amount
        body = edited("refunds_create", id=number, refund_line_items=[line])
        assert shopify.send("refunds/create", body).status_code == 200
    assert shopify.balance() == 0
    [order] = _orders(shopify.session)
    assert (order.points_earned, order.points_clawed_back, order.shortfall) == (239, 239, 0)
    assert in_app(app, find_discrepancies) == []


def test_a_cancellation_after_a_partial_refund_takes_back_the_rest(shopify: Shopify) -> None:
    shopify.send(PAID, BODY)
    shopify.send("refunds/create", payload("refunds_create"))
    response = shopify.send("orders/cancelled", payload("orders_cancelled"))
    assert response.status_code == 200
    assert shopify.balance() == 0
    [order] = _orders(shopify.session)
    assert (order.status, order.points_clawed_back) == ("cancelled", 239)
    assert shopify.deliveries()[-1].code == "order_cancelled"
    # Paid again (a redelivery of the first topic) earns nothing: the order is cancelled.
    shopify.send(PAID, edited("orders_paid", updated_at="2026-12-02T00:00:00-05:00"))
    assert shopify.balance() == 0


def test_a_paid_body_sent_as_a_cancellation_cancels_nothing(shopify: Shopify) -> None:
    """What the signed body says decides: this order is not cancelled."""
    shopify.send(PAID, BODY)
    shopify.send("orders/cancelled", BODY)
    assert shopify.balance() == 239
    delivery = shopify.deliveries()[-1]
    assert (delivery.outcome, delivery.code) == ("ignored", "not_cancelled")


def test_an_order_body_sent_as_a_refund_is_refused(shopify: Shopify) -> None:
    shopify.send(PAID, BODY)
    shopify.send("refunds/create", BODY)
    assert shopify.balance() == 239
    delivery = shopify.deliveries()[-1]
    assert (delivery.outcome, delivery.code) == ("refused", "shopify_payload_mismatch")
    assert delivery.params == {"topic": "refunds/create"}


def test_a_currency_mismatch_is_recorded_on_the_delivery_and_not_retried(
    app: Flask, shopify: Shopify
) -> None:
    response = shopify.send(PAID, edited("orders_paid", currency="EUR"))
    assert response.status_code == 200  # Shopify would only send it again and again
    [delivery] = shopify.deliveries()
    assert (delivery.outcome, delivery.code) == ("refused", "currency_mismatch")
    assert delivery.params == {"currency": "EUR", "expected": "USD"}
    assert delivery.processed_at is not None and delivery.payload is None
    assert _orders(shopify.session) == []
    assert in_app(app, webhooks_in.sweep) == 0


def test_an_order_without_a_customer_is_ignored(shopify: Shopify) -> None:
    shopify.send(PAID, edited("orders_paid", customer=None, email=None, contact_email=None))
    [delivery] = shopify.deliveries()
    assert (delivery.outcome, delivery.code) == ("ignored", "no_customer")
    assert _orders(shopify.session) == []


def test_amounts_are_read_as_decimals(shopify: Shopify) -> None:
    """0.1 + 0.2 is 0.3 here: a refund's lines written as JSON numbers never go through a
    float."""
    line = json.loads(payload("refunds_create"))["refund_line_items"][0]
    lines = []
    for value in ("0.1", "0.2"):
        copy = json.loads(json.dumps(line))
        del copy["subtotal_set"]
        copy["subtotal"] = "@" + value
        lines.append(copy)
    text = edited("refunds_create", refund_line_items=lines).decode()
    body = text.replace('"@0.1"', "0.1").replace('"@0.2"', "0.2").encode()
    shopify.send("refunds/create", body)
    refund = shopify.session.scalars(select(Refund)).one()
    assert refund.amount == 30  # cents, exactly


# --- Customers and the app ----------------------------------------------------------------------


def _signup_rule(shopify: Shopify, points: int = 50) -> None:
    made = shopify.store.post("earning-rules", {"kind": "signup", "points": points})
    assert made.status_code == 201, made.json


def test_customers_create_makes_the_customer_and_credits_the_signup_rule_once(
    shopify: Shopify,
) -> None:
    _signup_rule(shopify)
    response = shopify.send("customers/create", payload("customers_create"))
    assert response.status_code == 200
    member = shopify.member()
    assert member is not None
    assert (member.user_id, member.email, member.balance) == (None, "bob@biller.com", 50)
    assert shopify.deliveries()[-1].code == "signup_credited"
    # Sent again, under a new header id: a duplicate.
    assert shopify.send("customers/create", payload("customers_create"), webhook_id="x").json[
        "duplicate"
    ]
    # The same customer from another connection to the program: the reference credits once.
    connect(shopify.store, domain="second-door.myshopify.com", secret="shpss_second-door-secret")
    again = shopify.send(
        "customers/create",
        payload("customers_create"),
        domain="second-door.myshopify.com",
        secret="shpss_second-door-secret",
    )
    assert (again.status_code, again.json["duplicate"]) == (200, False)
    assert shopify.balance() == 50
    assert shopify.session.scalar(select(func.count()).select_from(Credit)) == 1


def test_customers_create_without_a_signup_rule_adds_the_customer_only(shopify: Shopify) -> None:
    shopify.send("customers/create", payload("customers_create"))
    assert shopify.balance() == 0
    assert shopify.member() is not None
    assert shopify.deliveries()[-1].code == "no_signup_rule"


def test_a_customer_known_by_email_is_given_the_stores_id(shopify: Shopify) -> None:
    """Imported by email before the store was connected: the order finds them."""
    by_email = shopify.store.order("before", email="bob@biller.com", external_id=None)
    assert by_email.status_code == 201, by_email.json
    shopify.send(PAID, BODY)
    members = shopify.session.scalars(
        select(Membership).where(Membership.program_id == shopify.store.program_id)
    ).all()
    bob = [m for m in members if m.email == "bob@biller.com"]
    assert len(bob) == 1
    assert bob[0].external_id == BOB
    assert bob[0].balance == 59 + 239


def test_customers_update_keeps_the_unclaimed_customers_email(shopify: Shopify) -> None:
    shopify.send("customers/create", payload("customers_create"))
    shopify.send("customers/update", payload("customers_update"))
    member = shopify.member()
    assert member is not None and member.email == "bob.biller@example.org"
    assert shopify.deliveries()[-1].code == "customer_updated"
    # Each update is its own delivery (the body's updated_at is part of its key).
    later = edited("customers_update", email="bob@new.example", updated_at="2026-12-03T10:00:00Z")
    assert shopify.send("customers/update", later).json["duplicate"] is False
    assert shopify.member().email == "bob@new.example"  # type: ignore[union-attr]


def test_a_customer_moved_to_a_confirmed_accounts_address_is_claimed_by_it(
    shopify: Shopify,
) -> None:
    from tests.factories.accounts import make_user

    shopify.send("customers/create", payload("customers_create"))
    shopify.send(PAID, payload("orders_paid"))
    owner = make_user(shopify.session, email="bob@confirmed.example")  # confirmed
    moved = edited(
        "customers_update", email="bob@confirmed.example", updated_at="2026-12-04T10:00:00Z"
    )
    assert shopify.send("customers/update", moved).status_code == 200
    member = shopify.member()
    assert member is not None
    assert (member.user_id, member.balance) == (owner.id, 239)


def test_an_older_customers_update_arriving_late_changes_nothing(shopify: Shopify) -> None:
    """Shopify does not promise order: the store's own updated_at decides."""
    shopify.send("customers/create", payload("customers_create"))
    newer = edited("customers_update", email="bob@newer.example", updated_at="2026-12-05T10:00:00Z")
    older = edited(
        "customers_update", email="bob@older.example", updated_at="2026-12-05T04:59:59-05:00"
    )
    shopify.send("customers/update", newer)
    assert shopify.send("customers/update", older).status_code == 200
    assert shopify.member().email == "bob@newer.example"  # type: ignore[union-attr]
    assert shopify.deliveries()[-1].code == "stale_update"


def test_customers_update_of_an_unknown_customer_changes_nothing(shopify: Shopify) -> None:
    shopify.send("customers/update", payload("customers_update"))
    assert shopify.member() is None
    assert shopify.deliveries()[-1].code == "unknown_customer"


def test_app_uninstalled_disconnects_the_store(shopify: Shopify) -> None:
    response = shopify.send("app/uninstalled", payload("app_uninstalled"))
    assert response.status_code == 200
    assert shopify.integration().disabled_at is not None
    assert shopify.deliveries()[-1].code == "disconnected"
    assert shopify.send(PAID, BODY).status_code == 401


def test_another_stores_uninstall_body_disconnects_nothing(shopify: Shopify) -> None:
    body = edited("app_uninstalled", myshopify_domain="somewhere-else.myshopify.com")
    shopify.send("app/uninstalled", body)
    assert shopify.integration().disabled_at is None
    assert shopify.deliveries()[-1].code == "shopify_payload_mismatch"


def test_an_unknown_topic_answers_200_and_is_logged(shopify: Shopify) -> None:
    response = shopify.send("products/update", b'{"id": 632910392, "title": "IPod Nano - 8GB"}')
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored"
    [delivery] = shopify.deliveries()
    assert (delivery.topic, delivery.outcome, delivery.code) == (
        "products/update",
        "ignored",
        "unknown_topic",
    )
    assert delivery.payload is None


# --- The job: failures, the sweep --------------------------------------------------------------


def test_a_failing_job_is_tried_again_by_the_sweep_then_given_up(
    app: Flask, shopify: Shopify, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(webhooks_in, "_handle", broken)
    shopify.send(PAID, BODY)
    [delivery] = shopify.deliveries()
    assert (delivery.outcome, delivery.tries, delivery.code) == ("pending", 1, "internal_error")
    assert delivery.payload is not None
    later = delivery.received_at + webhooks_in.SWEEP_AFTER * 2
    # The sweep queues it (and the job, run at once in tests, fails again).
    assert in_app(app, lambda: webhooks_in.sweep(now=later)) == 1
    runs = 0
    while shopify.deliveries()[0].outcome == "pending":
        in_app(app, lambda: webhooks_in.process(delivery.id))
        runs += 1
        assert runs <= webhooks_in.MAX_TRIES
    [delivery] = shopify.deliveries()
    assert (delivery.outcome, delivery.code, delivery.payload) == ("failed", "internal_error", None)
    assert delivery.tries == webhooks_in.MAX_TRIES + 1
    assert in_app(app, lambda: webhooks_in.sweep(now=later)) == 0
    assert shopify.balance() == 0


def test_the_sweep_does_a_delivery_whose_job_was_lost(
    app: Flask, shopify: Shopify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks_in.process_delivery, "enqueue", lambda *args: None)  # lost
    shopify.send(PAID, BODY)
    [delivery] = shopify.deliveries()
    assert delivery.outcome == "pending"
    received = delivery.received_at
    assert in_app(app, lambda: webhooks_in.sweep(now=received)) == 0  # not a minute old yet
    assert in_app(app, lambda: webhooks_in.sweep(now=received + webhooks_in.SWEEP_AFTER * 2)) == 1
    in_app(app, lambda: webhooks_in.process(delivery.id))
    assert shopify.balance() == 239
    assert shopify.session.scalar(select(func.count()).select_from(IntegrationDelivery)) == 1


# --- The log's housekeeping -----------------------------------------------------------------


def test_the_log_forgets_worked_deliveries_after_a_month_and_nothing_pays_twice(
    app: Flask, shopify: Shopify
) -> None:
    from datetime import timedelta

    from stampbook.core.db import utcnow

    assert shopify.send(PAID, payload("orders_paid")).status_code == 200
    assert shopify.balance() == 239
    later = utcnow() + timedelta(days=31)
    assert in_app(app, lambda: webhooks_in.purge(now=later)) == 1
    assert in_app(app, lambda: webhooks_in.purge(now=later)) == 0
    assert shopify.deliveries() == []
    # The same order again, its delivery forgotten: the order itself is known, so no credit.
    assert shopify.send(PAID, payload("orders_paid")).status_code == 200
    assert shopify.balance() == 239
