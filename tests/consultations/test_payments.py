"""A consultation paid online (issue 18) against the fake Stripe on loopback
(``tests/events/fake_stripe.py``), through the one webhook the events use
(``flows.payments`` routes by ``metadata.kind``): the member's checkout from the booking's
page and the API, the signed webhook confirming it once (replayed, re-sent under another
event id), a refund before its confirmation, bad signatures writing nothing, a delayed
payment method (completed unpaid, then async_payment_succeeded or failed), a payment after
the booking was cancelled (refunded), and ``payment.received`` told once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.consultations.models import Booking, BookingPayment, Host
from stampbook.events.models import CheckoutSession, PaymentDelivery
from stampbook.notifications.models import Delivery, Notification
from tests.consultations.conftest import make_host
from tests.events.fake_stripe import FakeStripe, event_body, signed
from tests.events.fake_stripe import fake_stripe as fake_stripe  # the fixture
from tests.factories.accounts import make_token
from tests.factories.shops import Team, make_team
from tests.pages import post, signed_in, text_of

HOOK = "/api/v1/payments/stripe/webhooks"
COST = 4500
INTENT = "pi_3MtwBwLkdIwHu7ixBooking01"


@pytest.fixture
def team(session: Session) -> Team:
    return make_team(session)


@pytest.fixture
def host(session: Session, team: Team) -> Host:
    return make_host(session, team.shop.id, rate_minor=COST, currency="EUR")


def _booking(session: Session, host: Host, user_id: int, **fields: Any) -> Booking:
    start = fields.pop(
        "starts_at", datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=3)
    )
    fields.setdefault("payment_status", "unpaid")
    booking = Booking(
        host_id=host.id,
        shop_id=host.shop_id,
        user_id=user_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        session_cost_minor=COST,
        currency="EUR",
        **fields,
    )
    session.add(booking)
    session.flush()
    return booking


def _deliver(client: FlaskClient, body: dict[str, Any] | bytes, **signing: Any) -> Any:
    raw, headers = signed(body, **signing)
    return client.post(HOOK, data=raw, headers=headers)


def _hook(name: str, event_id: str, booking: Booking, **fields: Any) -> dict[str, Any]:
    fields.setdefault("intent", INTENT)
    if name in ("completed", "async_succeeded", "completed_delayed", "async_failed"):
        fields.setdefault("amount", COST)
        fields.setdefault("currency", "eur")
    if name == "refunded":
        fields.setdefault("currency", "eur")
    return event_body(name, event_id=event_id, booking_id=booking.id, **fields)


def _payments(session: Session, booking_id: int) -> list[tuple[int, str]]:
    session.expire_all()
    rows = session.scalars(
        select(BookingPayment)
        .where(BookingPayment.booking_id == booking_id)
        .order_by(BookingPayment.id)
    )
    return [(row.amount, row.status) for row in rows]


def _reload(session: Session, booking: Booking) -> Booking:
    session.expire_all()
    found = session.get(Booking, booking.id)
    assert found is not None
    return found


def _told(session: Session, user_id: int) -> list[tuple[str, str | None]]:
    rows = session.execute(
        select(Notification.kind, Notification.link).where(
            Notification.user_id == user_id, Notification.kind == "payment_received"
        )
    )
    return [(kind, link) for kind, link in rows]


def _emails(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.user_id == user_id, Delivery.kind == "payment_received")
        )
        or 0
    )


def test_the_member_pays_from_the_booking_page(
    app: Flask, session: Session, team: Team, host: Host, fake_stripe: FakeStripe
) -> None:
    booking = _booking(session, host, team.member.id)
    member = signed_in(app, team.member)
    page_path = f"/consultations/{booking.id}"
    page = member.get(page_path)
    assert "Pay online" in text_of(page)
    assert "https://checkout.stripe.com" in page.headers["Content-Security-Policy"]
    # The host (the manager's account) sees it, but records payments by hand.
    assert "Pay online" not in text_of(signed_in(app, team.manager).get(page_path))

    sent = post(member, f"{page_path}/pay", page_path, {})
    assert sent.status_code == 303
    assert sent.location.startswith("https://checkout.stripe.com/c/pay/cs_test_fake")
    (call,) = fake_stripe.sessions()
    form = call.form
    assert form["metadata[kind]"] == form["payment_intent_data[metadata][kind]"] == "booking"
    assert form["metadata[booking_id]"] == form["payment_intent_data[metadata][booking_id]"]
    assert form["metadata[booking_id]"] == str(booking.id)
    assert form["client_reference_id"] == f"booking-{booking.id}"
    assert "metadata[registration_id]" not in form
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][unit_amount]"] == str(COST)
    assert form["line_items[0][price_data][product_data][name]"] == "Dr. Ana Ruiz"
    assert form["success_url"].endswith(f"{page_path}?checkout=returned")
    assert 30 * 60 < int(form["expires_at"]) - time.time() <= 24 * 3600
    again = post(member, f"{page_path}/pay", page_path, {})
    assert again.location == sent.location
    assert len(fake_stripe.sessions()) == 1  # kept: the provider was not asked again

    waiting = text_of(member.get(f"{page_path}?checkout=returned"))
    assert "the payment is being confirmed" in waiting
    answer = _deliver(app.test_client(), _hook("completed", "evt_b1", booking))
    assert answer.status_code == 200, answer.json
    assert answer.json == {"delivery_id": "evt_b1", "outcome": "confirmed", "duplicate": False}
    returned = text_of(member.get(f"{page_path}?checkout=returned"))
    assert "Payment received" in returned and "Pay online" not in returned
    assert _reload(session, booking).payment_status == "paid"
    assert _payments(session, booking.id) == [(COST, "succeeded")]
    assert _told(session, team.member.id) == [("payment_received", f"/consultations/{booking.id}")]
    assert _emails(session, team.member.id) == 1


def test_the_checkout_api_answers_the_same_session_and_refuses_what_is_not_due(
    client: FlaskClient, session: Session, team: Team, host: Host, fake_stripe: FakeStripe
) -> None:
    booking = _booking(session, host, team.member.id)
    member = {"Authorization": f"Bearer {make_token(session, team.member)}"}
    url = f"/api/v1/bookings/{booking.id}/checkout"
    first = client.post(url, headers=member)
    assert first.status_code == 201, first.json
    assert first.json["session_id"].startswith("cs_test_fake")
    assert first.json["url"] == f"https://checkout.stripe.com/c/pay/{first.json['session_id']}"
    again = client.post(url, headers=member)
    assert again.status_code == 200 and again.json == first.json
    assert len(fake_stripe.sessions()) == 1
    kept = session.scalars(select(CheckoutSession)).one()
    assert (kept.kind, kept.subject_id, kept.session_id) == (
        "booking",
        booking.id,
        first.json["session_id"],
    )
    # The same Idempotency-Key answers as the first time.
    keyed = {**member, "Idempotency-Key": "pay-booking-1"}
    assert client.post(url, headers=keyed).json == first.json
    assert client.post(url, headers=keyed).json == first.json

    # Someone else's, the host's (the team records payments), nobody's.
    outsider = {"Authorization": f"Bearer {make_token(session, team.outsider)}"}
    assert client.post(url, headers=outsider).status_code == 404
    host_user = {"Authorization": f"Bearer {make_token(session, team.manager)}"}
    refused = client.post(url, headers=host_user)
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    assert client.post(url).status_code == 401

    free = _booking(session, host, team.member.id, starts_at=booking.starts_at + timedelta(hours=1))
    free.session_cost_minor, free.payment_status = None, "not_required"
    paid = _booking(session, host, team.member.id, starts_at=booking.starts_at + timedelta(hours=2))
    paid.payment_status = "paid"
    cancelled = _booking(
        session, host, team.member.id, starts_at=booking.starts_at + timedelta(hours=3)
    )
    cancelled.status = "cancelled"
    session.flush()
    for found, code in (
        (free, "booking_payment_not_due"),
        (paid, "booking_payment_not_due"),
        (cancelled, "booking_not_booked"),
    ):
        answer = client.post(f"/api/v1/bookings/{found.id}/checkout", headers=member)
        assert (answer.status_code, answer.json["code"]) == (409, code)
    assert len(fake_stripe.sessions()) == 1


def test_the_checkout_without_a_provider_or_when_it_fails(
    app: Flask,
    client: FlaskClient,
    session: Session,
    team: Team,
    host: Host,
    fake_stripe: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    booking = _booking(session, host, team.member.id)
    member = {"Authorization": f"Bearer {make_token(session, team.member)}"}
    url = f"/api/v1/bookings/{booking.id}/checkout"
    fake_stripe.answer(503)
    failed = client.post(url, headers=member)
    assert (failed.status_code, failed.json["code"]) == (503, "payments_unavailable")
    assert session.scalar(select(func.count()).select_from(CheckoutSession)) == 0
    monkeypatch.setitem(app.config, "PAYMENTS_SECRET_KEY", None)
    unset = client.post(url, headers=member)
    assert (unset.status_code, unset.json["code"]) == (409, "payments_unavailable")
    page = signed_in(app, team.member)
    assert "Pay online" not in text_of(page.get(f"/consultations/{booking.id}"))


def test_a_replayed_or_resent_confirmation_pays_once_and_tells_once(
    client: FlaskClient, session: Session, team: Team, host: Host, fake_stripe: FakeStripe
) -> None:
    booking = _booking(session, host, team.member.id)
    body = _hook("completed", "evt_once", booking)
    assert _deliver(client, body).json["outcome"] == "confirmed"
    replayed = _deliver(client, body)
    assert replayed.json == {"delivery_id": "evt_once", "outcome": "confirmed", "duplicate": True}
    other = _hook("completed", "evt_once_again", booking)
    assert _deliver(client, other).json["outcome"] == "already_recorded"
    # The delayed method's success of the same payment intent: the same payment.
    late = _hook("async_succeeded", "evt_once_async", booking)
    assert _deliver(client, late).json["outcome"] == "already_recorded"
    assert _payments(session, booking.id) == [(COST, "succeeded")]
    assert _reload(session, booking).payment_status == "paid"
    assert len(_told(session, team.member.id)) == 1
    assert _emails(session, team.member.id) == 1
    logged = session.scalars(select(PaymentDelivery).order_by(PaymentDelivery.id)).all()
    assert [(row.delivery_id, row.registration_id) for row in logged] == [
        ("evt_once", None),
        ("evt_once_again", None),
        ("evt_once_async", None),
    ]


def test_a_refund_before_its_confirmation_ends_as_in_order(
    client: FlaskClient, session: Session, team: Team, host: Host, fake_stripe: FakeStripe
) -> None:
    early = _booking(session, host, team.member.id)
    in_order = _booking(
        session, host, team.outsider.id, starts_at=early.starts_at + timedelta(hours=1)
    )
    refund = _hook("refunded", "evt_r1", early, intent="pi_a", amount=COST)
    assert _deliver(client, refund).json["outcome"] == "booking_refunded"
    confirm = _hook("completed", "evt_c1", early, intent="pi_a")
    assert _deliver(client, confirm).json["outcome"] == "refunded_first"
    assert fake_stripe.refunds() == []  # nothing more to give back

    confirm = _hook("completed", "evt_c2", in_order, intent="pi_b")
    assert _deliver(client, confirm).json["outcome"] == "confirmed"
    refund = _hook("refunded", "evt_r2", in_order, intent="pi_b", amount=COST)
    assert _deliver(client, refund).json["outcome"] == "booking_refunded"
    again = _hook("refunded", "evt_r3", in_order, intent="pi_b", amount=COST)
    assert _deliver(client, again).json["outcome"] == "already_recorded"

    for booking in (early, in_order):
        found = _reload(session, booking)
        assert (found.status, found.payment_status) == ("booked", "refunded")
        assert sorted(amount for amount, _ in _payments(session, booking.id)) == [-COST, COST]
    # Only the one that was paid before its refund was told it was paid.
    assert _told(session, team.member.id) == []
    assert len(_told(session, team.outsider.id)) == 1


def test_a_partial_refund_is_recorded_and_a_charge_without_metadata_finds_its_booking(
    client: FlaskClient, session: Session, team: Team, host: Host, fake_stripe: FakeStripe
) -> None:
    booking = _booking(session, host, team.member.id)
    _deliver(client, _hook("completed", "evt_p1", booking))
    partial = _hook("refunded", "evt_p2", booking, amount=1000)
    assert _deliver(client, partial).json["outcome"] == "refund_recorded"
    assert _reload(session, booking).payment_status == "paid"
    # A charge that names nothing: the payment intent's booking.
    bare = _hook("refunded", "evt_p3", booking, amount=COST)
    bare["data"]["object"]["metadata"] = {}
    assert _deliver(client, bare).json["outcome"] == "booking_refunded"
    assert [amount for amount, _ in _payments(session, booking.id)] == [COST, -1000, -3500]


@pytest.mark.parametrize("spoil", ["missing", "wrong_secret", "stale", "reserialised"])
def test_a_bad_signature_for_a_booking_writes_nothing(
    client: FlaskClient,
    session: Session,
    team: Team,
    host: Host,
    fake_stripe: FakeStripe,
    spoil: str,
) -> None:
    booking = _booking(session, host, team.member.id)
    body = _hook("completed", "evt_bad", booking)
    raw, headers = signed(body)
    if spoil == "missing":
        del headers["Stripe-Signature"]
    elif spoil == "wrong_secret":
        raw, headers = signed(body, secret="whsec_someone_else")
    elif spoil == "stale":
        raw, headers = signed(body, at=time.time() - 301)
    else:
        raw = json.dumps(json.loads(raw)).encode()
    answer = client.post(HOOK, data=raw, headers=headers)
    assert (answer.status_code, answer.json["code"]) == (401, "payments_signature_invalid")
    assert session.scalar(select(func.count()).select_from(PaymentDelivery)) == 0
    assert _payments(session, booking.id) == []
    assert _reload(session, booking).payment_status == "unpaid"


def test_a_delayed_payment_is_confirmed_when_it_succeeds(
    client: FlaskClient, session: Session, team: Team, host: Host, fake_stripe: FakeStripe
) -> None:
    booking = _booking(session, host, team.member.id)
    pending = _hook("completed_delayed", "evt_d1", booking)
    assert pending["data"]["object"]["payment_status"] == "unpaid"
    assert _deliver(client, pending).json["outcome"] == "not_paid"
    assert _reload(session, booking).payment_status == "unpaid"
    assert _payments(session, booking.id) == []
    succeeded = _hook("async_succeeded", "evt_d2", booking)
    assert succeeded["type"] == "checkout.session.async_payment_succeeded"
    assert _deliver(client, succeeded).json["outcome"] == "confirmed"
    assert _deliver(client, succeeded).json["duplicate"] is True
    assert _reload(session, booking).payment_status == "paid"
    assert _payments(session, booking.id) == [(COST, "succeeded")]
    assert len(_told(session, team.member.id)) == 1


def test_a_delayed_payment_that_fails_is_recorded_only(
    client: FlaskClient, session: Session, team: Team, host: Host, fake_stripe: FakeStripe
) -> None:
    booking = _booking(session, host, team.member.id)
    _deliver(client, _hook("completed_delayed", "evt_f1", booking))
    failed = _hook("async_failed", "evt_f2", booking)
    assert _deliver(client, failed).json["outcome"] == "payment_failed"
    found = _reload(session, booking)
    assert (found.status, found.payment_status) == ("booked", "unpaid")
    assert _payments(session, booking.id) == []
    outcome = session.scalar(
        select(PaymentDelivery.outcome).where(PaymentDelivery.delivery_id == "evt_f2")
    )
    assert outcome == "payment_failed"
    # The member may pay again another way.
    member = {"Authorization": f"Bearer {make_token(session, team.member)}"}
    assert client.post(f"/api/v1/bookings/{booking.id}/checkout", headers=member).status_code in (
        200,
        201,
    )


def test_a_payment_after_the_booking_was_cancelled_is_refunded(
    app: Flask,
    client: FlaskClient,
    session: Session,
    team: Team,
    host: Host,
    fake_stripe: FakeStripe,
) -> None:
    booking = _booking(session, host, team.member.id, status="cancelled")
    paid = _hook("completed", "evt_l1", booking)
    assert _deliver(client, paid).json["outcome"] == "late_refunding"
    (refund,) = fake_stripe.refunds()
    assert refund.form == {"payment_intent": INTENT}
    assert refund.headers["idempotency-key"] == f"refund-{INTENT}"
    assert _payments(session, booking.id) == [(COST, "refunded")]
    back = _hook("refunded", "evt_l2", booking, amount=COST)
    assert _deliver(client, back).json["outcome"] == "refund_recorded"
    found = _reload(session, booking)
    assert (found.status, found.payment_status) == ("cancelled", "unpaid")
    assert _told(session, team.member.id) == []


def test_a_late_refund_the_provider_could_not_take_is_tried_again(
    app: Flask,
    client: FlaskClient,
    session: Session,
    team: Team,
    host: Host,
    fake_stripe: FakeStripe,
) -> None:
    from flask import g

    from stampbook.flows import payments

    booking = _booking(session, host, team.member.id, payment_status="paid")
    booking_id = booking.id
    fake_stripe.answer(503)
    paid = _hook("completed", "evt_t1", booking)
    assert _deliver(client, paid).json["outcome"] == "late_refunding"
    assert _payments(session, booking_id) == [(COST, "refund_due")]
    assert _reload(session, booking).payment_status == "paid"  # paid at the desk: kept
    with app.app_context():
        g._db_session = session  # as the app_context fixture does
        assert payments.retry_late_booking_refunds() == 1
        assert _payments(session, booking_id) == [(COST, "refunded")]
        assert payments.retry_late_booking_refunds() == 0
    assert len(fake_stripe.refunds()) == 2


def test_the_team_recording_it_paid_tells_the_member_once(
    client: FlaskClient, session: Session, team: Team, host: Host
) -> None:
    booking = _booking(session, host, team.member.id)
    staff = {"Authorization": f"Bearer {make_token(session, team.manager)}"}
    url = f"/api/v1/bookings/{booking.id}/payment"
    assert client.put(url, json={"payment_status": "paid"}, headers=staff).status_code == 200
    assert client.put(url, json={"payment_status": "paid"}, headers=staff).status_code == 200
    assert _told(session, team.member.id) == [("payment_received", f"/consultations/{booking.id}")]
