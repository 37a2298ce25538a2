"""Online payments for paid seats (issue 18) against a fake Stripe on loopback
(``tests/events/fake_stripe.py``): the member's checkout, the signed webhook confirming a
seat once (replayed, re-sent under a new event id), a refund before its confirmation, bad
signatures (missing, wrong secret, stale, re-serialised body) writing nothing, a session
expiring, and a payment arriving after the seat passed on (refunded)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.events import paying
from stampbook.events.models import Event, Payment, PaymentDelivery, Registration
from tests.events.fake_stripe import FakeStripe, event_body, signed
from tests.factories.accounts import make_user
from tests.factories.shops import Team, make_team
from tests.pages import post, signed_in, text_of

HOOK = "/api/v1/payments/stripe/webhooks"
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
PRICE = 1500
INTENT = "pi_3MtwBwLkdIwHu7ix28a3tqPa"


@pytest.fixture
def team(session: Session) -> Team:
    return make_team(session)


def _event(session: Session, team: Team, **fields: Any) -> Event:
    event = Event(
        shop_id=team.shop.id,
        title="Supper club",
        starts_at=SOON,
        ends_at=SOON + timedelta(hours=2),
        price=PRICE,
        currency="USD",
        **{"capacity": 1, **fields},
    )
    session.add(event)
    session.flush()
    return event


def _unpaid_seat(
    session: Session, event: Event, user_id: int, *, hold: datetime | None = None
) -> Registration:
    registration = Registration(
        event_id=event.id,
        user_id=user_id,
        status="registered",
        payment_status="unpaid",
        hold_expires_at=hold or datetime.now(UTC) + timedelta(hours=48),
        ticket_code=f"PAYTEST{user_id:025d}",
    )
    session.add(registration)
    event.registered += 1
    session.flush()
    return registration


def _deliver(client: FlaskClient, body: dict[str, Any] | bytes, **signing: Any) -> Any:
    raw, headers = signed(body, **signing)
    return client.post(HOOK, data=raw, headers=headers)


def _payments(session: Session, registration_id: int) -> list[tuple[int, str]]:
    session.expire_all()
    return [
        (payment.amount, payment.status)
        for payment in session.scalars(
            select(Payment).where(Payment.registration_id == registration_id).order_by(Payment.id)
        )
    ]


def _deliveries(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PaymentDelivery)) or 0)


def _reload(session: Session, registration: Registration) -> Registration:
    session.expire_all()
    found = session.get(Registration, registration.id)
    assert found is not None
    return found


def test_the_member_pays_online_and_the_ticket_says_payment_received(
    app: Flask, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    member = signed_in(app, team.member)
    ticket = f"/registrations/{seat.id}"
    page = member.get(ticket)
    assert "Pay online" in text_of(page)
    assert "https://checkout.stripe.com" in page.headers["Content-Security-Policy"]

    sent = post(member, f"{ticket}/pay", ticket, {})
    assert sent.status_code == 303
    assert sent.location.startswith("https://checkout.stripe.com/c/pay/cs_test_fake")
    (call,) = fake_stripe.sessions()
    assert call.headers["authorization"].startswith("Bearer sk_test_")
    assert call.headers["idempotency-key"].startswith(f"checkout-{seat.id}-")
    form = call.form
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][unit_amount]"] == str(PRICE)
    assert form["line_items[0][price_data][product_data][name]"] == "Supper club"
    assert form["line_items[0][quantity]"] == "1"
    assert form["client_reference_id"] == form["metadata[registration_id]"] == str(seat.id)
    assert form["success_url"].endswith(f"{ticket}?checkout=returned")
    assert form["cancel_url"].endswith(ticket)
    # A 48-hour hold: the session ends within Stripe's day.
    assert 0 < int(form["expires_at"]) - time.time() <= 24 * 3600
    # A second click: the same key, the same session.
    again = post(member, f"{ticket}/pay", ticket, {})
    assert again.location == sent.location
    assert len({c.headers["idempotency-key"] for c in fake_stripe.sessions()}) == 1

    waiting = text_of(member.get(f"{ticket}?checkout=returned"))
    assert "the payment is being confirmed" in waiting

    answer = _deliver(
        app.test_client(), event_body("completed", event_id="evt_pay1", registration_id=seat.id)
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == {"delivery_id": "evt_pay1", "outcome": "confirmed", "duplicate": False}
    returned = text_of(member.get(f"{ticket}?checkout=returned"))
    assert "Payment received" in returned and "Pay online" not in returned
    paid = _reload(session, seat)
    assert paid.payment_status == "paid" and paid.hold_expires_at is None
    assert _payments(session, seat.id) == [(PRICE, "succeeded")]


def test_a_hold_ending_within_half_an_hour_gets_stripes_shortest_session(
    app: Flask, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(
        session, event, team.member.id, hold=datetime.now(UTC) + timedelta(minutes=10)
    )
    member = signed_in(app, team.member)
    ticket = f"/registrations/{seat.id}"
    post(member, f"{ticket}/pay", ticket, {})
    (call,) = fake_stripe.sessions()
    assert 30 * 60 < int(call.form["expires_at"]) - time.time() <= 32 * 60


def test_the_provider_failing_says_so_and_keeps_the_seat(
    app: Flask, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    member = signed_in(app, team.member)
    ticket = f"/registrations/{seat.id}"
    fake_stripe.answer(503)
    sent = post(member, f"{ticket}/pay", ticket, {})
    assert sent.status_code == 302 and sent.location.endswith(ticket)
    assert "Paying online is not possible at the moment" in text_of(member.get(ticket))
    assert _reload(session, seat).status == "registered"


def test_no_pay_online_without_a_provider_or_for_a_paid_seat(
    app: Flask, session: Session, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PAYMENTS_SECRET_KEY", None)
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    member = signed_in(app, team.member)
    ticket = f"/registrations/{seat.id}"
    assert "Pay online" not in text_of(member.get(ticket))
    sent = post(member, f"{ticket}/pay", ticket, {})
    assert sent.status_code == 302
    assert "Paying online is not possible" in text_of(member.get(ticket))


def test_a_replayed_or_resent_confirmation_pays_once(
    client: FlaskClient, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    body = event_body("completed", event_id="evt_once", registration_id=seat.id)
    first = _deliver(client, body)
    assert first.json["outcome"] == "confirmed"
    replayed = _deliver(client, body)  # the same event id, signed again later
    assert replayed.status_code == 200
    assert replayed.json == {"delivery_id": "evt_once", "outcome": "confirmed", "duplicate": True}
    # The same payment under another event id (a second completion of the session).
    other = event_body("completed", event_id="evt_once_again", registration_id=seat.id)
    assert _deliver(client, other).json["outcome"] == "already_recorded"
    assert _payments(session, seat.id) == [(PRICE, "succeeded")]
    assert _reload(session, seat).payment_status == "paid"
    assert _deliveries(session) == 2


def test_a_refund_before_its_confirmation_ends_as_in_order(
    client: FlaskClient, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    """Out of order: the refund is recorded at once and cancels the seat; the confirmation
    after it records the payment and changes nothing else. In order, the same rows and state."""
    event = _event(session, team, capacity=2)
    early = _unpaid_seat(session, event, team.member.id)
    in_order = _unpaid_seat(session, event, team.outsider.id)
    waiting = Registration(
        event_id=event.id,
        user_id=make_user(session).id,
        status="waitlisted",
        payment_status="unpaid",
        ticket_code="PAYTESTWAITING000000000000000000",
    )
    session.add(waiting)
    session.flush()

    refund = event_body("refunded", event_id="evt_r1", registration_id=early.id, intent="pi_a")
    assert _deliver(client, refund).json["outcome"] == "seat_refunded"
    confirm = event_body("completed", event_id="evt_c1", registration_id=early.id, intent="pi_a")
    assert _deliver(client, confirm).json["outcome"] == "refunded_first"
    assert fake_stripe.refunds() == []  # nothing more to give back

    confirm = event_body("completed", event_id="evt_c2", registration_id=in_order.id, intent="pi_b")
    assert _deliver(client, confirm).json["outcome"] == "confirmed"
    refund = event_body("refunded", event_id="evt_r2", registration_id=in_order.id, intent="pi_b")
    assert _deliver(client, refund).json["outcome"] == "seat_refunded"
    # The refund sent again (another delivery of the same cumulative amount): nothing new.
    again = event_body("refunded", event_id="evt_r3", registration_id=in_order.id, intent="pi_b")
    assert _deliver(client, again).json["outcome"] == "already_recorded"

    for seat in (early, in_order):
        found = _reload(session, seat)
        assert (found.status, found.cancel_reason, found.payment_status) == (
            "cancelled",
            "refunded",
            "refunded",
        )
        assert sorted(amount for amount, _ in _payments(session, seat.id)) == [-PRICE, PRICE]
    # The freed seats went to the waiting list.
    assert _reload(session, waiting).status == "registered"
    session.expire_all()
    refreshed = session.get(Event, event.id)
    assert refreshed is not None and refreshed.registered == 1


def test_a_partial_refund_is_recorded_and_a_full_one_cancels_the_seat(
    client: FlaskClient, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    _deliver(client, event_body("completed", event_id="evt_p1", registration_id=seat.id))
    partial = event_body("refunded", event_id="evt_p2", registration_id=seat.id, amount=500)
    assert _deliver(client, partial).json["outcome"] == "refund_recorded"
    assert _reload(session, seat).payment_status == "paid"
    full = event_body("refunded", event_id="evt_p3", registration_id=seat.id, amount=PRICE)
    assert _deliver(client, full).json["outcome"] == "seat_refunded"
    assert [amount for amount, _ in _payments(session, seat.id)] == [PRICE, -500, -1000]
    assert _reload(session, seat).status == "cancelled"


@pytest.mark.parametrize(
    "spoil",
    ["missing", "wrong_secret", "stale", "future", "reserialised", "garbled", "no_v1"],
)
def test_a_bad_signature_is_refused_and_writes_nothing(
    client: FlaskClient,
    session: Session,
    team: Team,
    fake_stripe: FakeStripe,
    spoil: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    body = event_body("completed", event_id="evt_bad", registration_id=seat.id)
    raw, headers = signed(body)
    if spoil == "missing":
        del headers["Stripe-Signature"]
    elif spoil == "wrong_secret":
        raw, headers = signed(body, secret="whsec_someone_else")
    elif spoil == "stale":
        raw, headers = signed(body, at=time.time() - 301)
    elif spoil == "future":
        raw, headers = signed(body, at=time.time() + 301)
    elif spoil == "reserialised":
        raw = json.dumps(json.loads(raw)).encode()  # the same JSON, other bytes
    elif spoil == "garbled":
        headers["Stripe-Signature"] = "t=abc,v1=,,=="
    else:
        headers["Stripe-Signature"] = headers["Stripe-Signature"].split(",")[0]
    parsed: list[bytes] = []
    monkeypatch.setattr(paying, "read_json", lambda raw, **_: parsed.append(raw))
    answer = client.post(HOOK, data=raw, headers=headers)
    assert answer.status_code == 401
    assert answer.json["code"] == "payments_signature_invalid"
    assert parsed == []  # the body was never read
    assert _deliveries(session) == 0
    assert _payments(session, seat.id) == []
    assert _reload(session, seat).payment_status == "unpaid"


def test_a_rolled_secret_accepts_either_signature(
    client: FlaskClient, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    body = event_body("completed", event_id="evt_roll", registration_id=seat.id)
    answer = _deliver(client, body, extra_v1=["0" * 64])
    assert answer.json["outcome"] == "confirmed"


def test_bodies_that_cannot_be_read_and_unknown_types(
    client: FlaskClient, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    assert _deliver(client, b"{not json").status_code == 400
    assert _deliver(client, b"[1, 2]").json["code"] == "payments_payload_invalid"
    assert _deliver(client, {"type": "charge.refunded"}).status_code == 400
    ignored = _deliver(client, event_body("customer_created", event_id="evt_u", registration_id=0))
    assert ignored.status_code == 200 and ignored.json["outcome"] == "ignored"
    nobody = _deliver(client, event_body("completed", event_id="evt_n", registration_id=999999))
    assert nobody.json["outcome"] == "no_registration"
    big = client.post(HOOK, data=b"x" * (1024 * 1024 + 1), headers={"Stripe-Signature": "t=1"})
    assert big.status_code == 413


def test_a_session_expiring_releases_only_an_expired_hold(
    client: FlaskClient, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team, capacity=2)
    held = _unpaid_seat(session, event, team.member.id)
    ended = _unpaid_seat(
        session, event, team.outsider.id, hold=datetime.now(UTC) - timedelta(minutes=1)
    )
    kept = event_body("expired", event_id="evt_e1", registration_id=held.id)
    assert _deliver(client, kept).json["outcome"] == "hold_kept"
    gone = event_body("expired", event_id="evt_e2", registration_id=ended.id)
    assert _deliver(client, gone).json["outcome"] == "released"
    assert _reload(session, held).status == "registered"
    found = _reload(session, ended)
    assert (found.status, found.cancel_reason) == ("cancelled", "hold_expired")


def test_a_payment_after_the_seat_passed_on_is_refunded(
    client: FlaskClient, session: Session, team: Team, fake_stripe: FakeStripe
) -> None:
    event = _event(session, team)
    late = _unpaid_seat(
        session, event, team.member.id, hold=datetime.now(UTC) - timedelta(minutes=1)
    )
    waiting = Registration(
        event_id=event.id,
        user_id=team.outsider.id,
        status="waitlisted",
        payment_status="unpaid",
        ticket_code="PAYTESTWAITING000000000000000001",
    )
    session.add(waiting)
    session.flush()
    expired = event_body("expired", event_id="evt_l1", registration_id=late.id)
    assert _deliver(client, expired).json["outcome"] == "released"
    assert _reload(session, waiting).status == "registered"

    paid = event_body("completed", event_id="evt_l2", registration_id=late.id)
    assert _deliver(client, paid).json["outcome"] == "late_refunding"
    (refund,) = fake_stripe.refunds()
    assert refund.form == {"payment_intent": INTENT}
    assert refund.headers["idempotency-key"] == f"refund-{INTENT}"
    assert _payments(session, late.id) == [(PRICE, "refunded")]
    assert _reload(session, late).status == "cancelled"
    # The provider's refund event then records the money going back.
    back = event_body("refunded", event_id="evt_l3", registration_id=late.id)
    assert _deliver(client, back).json["outcome"] == "refund_recorded"
    assert sum(amount for amount, _ in _payments(session, late.id)) == 0
    session.expire_all()
    refreshed = session.get(Event, event.id)
    assert refreshed is not None and refreshed.registered == 1


def test_a_late_refund_the_provider_could_not_take_is_tried_again(
    app: Flask,
    client: FlaskClient,
    session: Session,
    team: Team,
    fake_stripe: FakeStripe,
) -> None:
    event = _event(session, team)
    seat = _unpaid_seat(session, event, team.member.id)
    seat.status, seat.cancel_reason = "cancelled", "hold_expired"
    event.registered = 0
    session.flush()
    fake_stripe.answer(503)
    paid = event_body("completed", event_id="evt_t1", registration_id=seat.id)
    assert _deliver(client, paid).json["outcome"] == "late_refunding"
    assert _payments(session, seat.id) == [(PRICE, "refund_due")]
    with app.app_context():
        g._db_session = session  # as the app_context fixture does
        assert paying.retry_late_refunds() == 1
        assert _payments(session, seat.id) == [(PRICE, "refunded")]
        assert paying.retry_late_refunds() == 0
    assert len(fake_stripe.refunds()) == 2
