"""Two deliveries of the same booking's confirmation at once, on real parallel connections
(PostgreSQL): the provider re-sending it under another event id while the first is being
applied, or the very same delivery twice. The booking's row lock and the payment intent's
unique reference record one payment, one "paid", one ``payment.received``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.consultations.models import Booking, BookingPayment, Host
from stampbook.core.db import db
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from tests.concurrency import committed_session, run_parallel
from tests.events.fake_stripe import FakeStripe, event_body, signed
from tests.events.fake_stripe import fake_stripe as fake_stripe  # the fixture
from tests.factories.accounts import make_user
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency

ROUNDS = 6
COST = 3000


def _booking(session: Any, host: Host, index: int) -> int:
    start = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=2, hours=index)
    booking = Booking(
        host_id=host.id,
        shop_id=host.shop_id,
        user_id=make_user(session).id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        session_cost_minor=COST,
        currency="USD",
        payment_status="unpaid",
    )
    session.add(booking)
    session.flush()
    return booking.id


@pytest.mark.parametrize("same_event_id", [False, True])
def test_two_deliveries_of_one_confirmation_at_once_record_one_payment(
    committed: Flask, fake_stripe: FakeStripe, same_event_id: bool
) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        host = Host(
            shop_id=team.shop.id,
            professional_name="Dr. Race",
            verification_status="verified",
            rate_minor=COST,
        )
        session.add(host)
        session.flush()
        bookings = [_booking(session, host, index) for index in range(ROUNDS)]

    for number, booking_id in enumerate(bookings):
        deliveries = [
            signed(
                event_body(
                    "completed",
                    event_id=f"evt_race_{number}" + ("" if same_event_id else f"_{which}"),
                    booking_id=booking_id,
                    intent=f"pi_race_{number}",
                    amount=COST,
                )
            )
            for which in range(2)
        ]

        def deliver(which: int, deliveries: list[tuple[bytes, dict[str, str]]] = deliveries) -> Any:
            raw, headers = deliveries[which]
            client = committed.test_client()
            return client.post("/api/v1/payments/stripe/webhooks", data=raw, headers=headers)

        answers = run_parallel(2, deliver)
        assert [answer.status_code for answer in answers] == [200, 200]
        outcomes = sorted(answer.json["outcome"] for answer in answers)
        if same_event_id:
            assert outcomes == ["confirmed", "confirmed"]
            assert sorted(answer.json["duplicate"] for answer in answers) == [False, True]
        else:
            assert outcomes == ["already_recorded", "confirmed"]

        with committed.app_context():
            booking = db.session.get(Booking, booking_id)
            assert booking is not None and booking.payment_status == "paid"
            amounts = db.session.scalars(
                select(BookingPayment.amount).where(BookingPayment.booking_id == booking_id)
            ).all()
            assert list(amounts) == [COST]
            told = db.session.scalar(
                select(func.count())
                .select_from(Occurrence)
                .where(
                    Occurrence.type == OccurrenceType.PAYMENT_RECEIVED,
                    Occurrence.payload["booking_id"].as_integer() == booking_id,
                )
            )
            assert told == 1
