"""A seat paid online through the API (issue 18), against the fake Stripe on loopback: the
checkout route (201 with a new session, 200 with the same one; refused when nothing is due),
a delayed payment method (completed unpaid, then async_payment_succeeded or failed), and
``payment.received`` recorded once when a payment completes a seat, online or by the team,
and told to its person (in the app and by email)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.events.models import CheckoutSession, Payment, Registration
from stampbook.notifications.models import Delivery, Notification
from tests.events.conftest import Club
from tests.events.fake_stripe import FakeStripe, event_body, signed

HOOK = "/api/v1/payments/stripe/webhooks"
PRICE = 1500


def _paid_seat(club: Club, who: str = "member") -> int:
    event = club.make_event(price="15.00", capacity=5).json["id"]
    seat = club.register(event, who).json
    assert seat["payment_status"] == "unpaid"
    return int(seat["id"])


def _deliver(club: Club, body: dict[str, Any]) -> Any:
    raw, headers = signed(body)
    return club.client.post(HOOK, data=raw, headers=headers)


def _checkout(club: Club, registration_id: int, who: str | None, **headers: str) -> Any:
    sent = {**(club.headers(who) if who else {}), **headers}
    return club.client.post(f"/api/v1/registrations/{registration_id}/checkout", headers=sent)


def _received(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Occurrence).where(Occurrence.type == OccurrenceType.PAYMENT_RECEIVED)
    )
    return [dict(row.payload) for row in rows]


def _told(session: Session, user_id: int) -> tuple[int, int]:
    """The person's in-app notices and emails of the kind ``payment_received``."""
    notices = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.kind == "payment_received")
    )
    emails = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.user_id == user_id, Delivery.kind == "payment_received")
    )
    return int(notices or 0), int(emails or 0)


def test_the_checkout_route_answers_the_same_session(
    club: Club, session: Session, fake_stripe: FakeStripe
) -> None:
    seat = _paid_seat(club)
    first = _checkout(club, seat, "member")
    assert first.status_code == 201, first.json
    assert set(first.json) == {"session_id", "url"}
    assert first.json["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_fake")
    (call,) = fake_stripe.sessions()
    assert call.form["metadata[kind]"] == "registration"
    assert call.form["metadata[registration_id]"] == str(seat)
    assert call.form["success_url"].endswith(f"/registrations/{seat}?checkout=returned")
    again = _checkout(club, seat, "member")
    assert again.status_code == 200 and again.json == first.json
    keyed = _checkout(club, seat, "member", **{"Idempotency-Key": "pay-1"})
    assert keyed.json == first.json
    assert _checkout(club, seat, "member", **{"Idempotency-Key": "pay-1"}).json == first.json
    assert len(fake_stripe.sessions()) == 1
    kept = session.scalars(select(CheckoutSession)).one()
    assert (kept.kind, kept.subject_id) == ("registration", seat)


def test_the_checkout_route_refuses_others_and_what_is_not_due(
    app: Flask, club: Club, session: Session, fake_stripe: FakeStripe
) -> None:
    seat = _paid_seat(club)
    assert _checkout(club, seat, "outsider").status_code == 404
    door = _checkout(club, seat, "assistant")  # the door team records payments by hand
    assert (door.status_code, door.json["code"]) == (403, "forbidden")
    assert _checkout(club, seat, None).status_code == 401

    free_event = club.make_event(title="Free quiz").json["id"]
    free = club.register(free_event, "member").json["id"]
    refused = _checkout(club, free, "member")
    assert (refused.status_code, refused.json["code"]) == (409, "payment_not_due")
    paid = _paid_seat(club, "outsider")
    recorded = club.client.post(
        f"/api/v1/registrations/{paid}/payments",
        json={"amount": "15.00", "channel": "cash"},
        headers=club.headers("assistant"),
    )
    assert recorded.status_code == 201
    refused = _checkout(club, paid, "outsider")
    assert (refused.status_code, refused.json["code"]) == (409, "payment_not_due")
    cancelled = club.client.delete(f"/api/v1/registrations/{seat}", headers=club.headers("member"))
    assert cancelled.status_code == 204
    refused = _checkout(club, seat, "member")
    assert (refused.status_code, refused.json["code"]) == (409, "registration_over")
    assert fake_stripe.sessions() == []

    other = _paid_seat(club, "viewer")
    fake_stripe.answer(503)
    down = _checkout(club, other, "viewer")
    assert (down.status_code, down.json["code"]) == (503, "payments_unavailable")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.config, "PAYMENTS_WEBHOOK_SECRET", None)
        unset = _checkout(club, other, "viewer")
    assert (unset.status_code, unset.json["code"]) == (409, "payments_unavailable")


def test_a_delayed_payment_method_confirms_on_its_success(
    club: Club, session: Session, fake_stripe: FakeStripe
) -> None:
    seat = _paid_seat(club)
    pending = event_body("completed_delayed", event_id="evt_a1", registration_id=seat)
    assert _deliver(club, pending).json["outcome"] == "not_paid"
    assert session.get(Registration, seat).payment_status == "unpaid"  # type: ignore[union-attr]
    assert _received(session) == []
    succeeded = event_body("async_succeeded", event_id="evt_a2", registration_id=seat)
    assert _deliver(club, succeeded).json["outcome"] == "confirmed"
    assert _deliver(club, succeeded).json == {
        "delivery_id": "evt_a2",
        "outcome": "confirmed",
        "duplicate": True,
    }
    # The same payment's completion under another event id: once.
    completed = event_body("completed", event_id="evt_a3", registration_id=seat)
    assert _deliver(club, completed).json["outcome"] == "already_recorded"
    session.expire_all()
    found = session.get(Registration, seat)
    assert found is not None and (found.payment_status, found.hold_expires_at) == ("paid", None)
    amounts = session.scalars(select(Payment.amount).where(Payment.registration_id == seat))
    assert list(amounts) == [PRICE]
    (received,) = _received(session)
    assert received == {
        "user_id": club.team.member.id,
        "kind": "registration",
        "amount": "15.00",
        "currency": "USD",
        "channel": "online",
        "registration_id": seat,
        "event_id": found.event_id,
        "booking_id": None,
        "host_id": None,
    }
    assert _told(session, club.team.member.id) == (1, 1)


def test_a_delayed_payment_that_fails_keeps_the_hold(
    club: Club, session: Session, fake_stripe: FakeStripe
) -> None:
    seat = _paid_seat(club)
    _deliver(club, event_body("completed_delayed", event_id="evt_f1", registration_id=seat))
    failed = event_body("async_failed", event_id="evt_f2", registration_id=seat)
    assert _deliver(club, failed).json["outcome"] == "payment_failed"
    session.expire_all()
    found = session.get(Registration, seat)
    assert found is not None
    assert (found.status, found.payment_status) == ("registered", "unpaid")
    assert found.hold_expires_at is not None  # released when it ends, not earlier
    assert _received(session) == []
    assert _checkout(club, seat, "member").status_code == 201  # may pay another way


def test_a_seat_paid_by_the_team_is_told_once(club: Club, session: Session) -> None:
    seat = _paid_seat(club)
    for amount in ("10.00", "5.00"):
        recorded = club.client.post(
            f"/api/v1/registrations/{seat}/payments",
            json={"amount": amount, "channel": "card"},
            headers=club.headers("assistant"),
        )
        assert recorded.status_code == 201
        # The first part paid nothing in full yet: nothing told.
        assert len(_received(session)) == (0 if amount == "10.00" else 1)
    (received,) = _received(session)
    assert (received["channel"], received["amount"]) == ("card", "15.00")
    assert _told(session, club.team.member.id) == (1, 1)
