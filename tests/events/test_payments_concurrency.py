"""A seat's hold expiring while its payment's webhook arrives, on real parallel connections
(PostgreSQL): the expiry job and the webhook race, round after round; whichever locks the
event's row first decides, and there is one outcome: either the payment keeps the seat (paid;
the next in line still waits), or the seat passed on (the next in line seated) and the
payment is recorded and refunded through the provider. Never a lost seat, never two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from stampbook.core import clock, unit_of_work
from stampbook.core.db import db
from stampbook.events import registering
from stampbook.events.models import Event, Payment, Registration
from tests.concurrency import committed_session, run_parallel
from tests.events.fake_stripe import FakeStripe, event_body, signed
from tests.factories.accounts import make_user
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency

ROUNDS = 8
PRICE = 2000


def _round(session: Any, shop_id: int, index: int) -> tuple[int, int, int]:
    soon = datetime.now(UTC) + timedelta(days=2)
    event = Event(
        shop_id=shop_id,
        title=f"Supper {index}",
        starts_at=soon,
        ends_at=soon + timedelta(hours=2),
        price=PRICE,
        currency="USD",
        capacity=1,
        registered=1,
    )
    session.add(event)
    session.flush()
    payer = Registration(
        event_id=event.id,
        user_id=make_user(session).id,
        status="registered",
        payment_status="unpaid",
        hold_expires_at=datetime.now(UTC) - timedelta(seconds=1),
        ticket_code=f"RACEPAYER{index:023d}",
    )
    waiting = Registration(
        event_id=event.id,
        user_id=make_user(session).id,
        status="waitlisted",
        payment_status="unpaid",
        ticket_code=f"RACEWAITING{index:021d}",
    )
    session.add_all([payer, waiting])
    session.flush()
    return event.id, payer.id, waiting.id


def test_a_hold_expiring_while_the_payment_arrives_has_one_outcome(
    committed: Flask, fake_stripe: FakeStripe
) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        rounds = [_round(session, team.shop.id, index) for index in range(ROUNDS)]

    outcomes: list[str] = []
    for number, (event_id, payer_id, waiting_id) in enumerate(rounds):
        raw, headers = signed(
            event_body(
                "completed",
                event_id=f"evt_race_{number}",
                registration_id=payer_id,
                intent=f"pi_race_{number}",
                amount=PRICE,
            )
        )

        def race(which: int, raw: bytes = raw, headers: dict[str, str] = headers) -> Any:
            if which == 0:
                with committed.app_context():
                    return unit_of_work.run(lambda: registering.release_all_expired(clock.now()))
            client = committed.test_client()
            return client.post("/api/v1/payments/stripe/webhooks", data=raw, headers=headers)

        _released, answer = run_parallel(2, race)
        assert answer.status_code == 200, answer.json
        outcome = answer.json["outcome"]
        assert outcome in ("confirmed", "late_refunding")
        outcomes.append(outcome)

        with committed.app_context():
            event = db.session.get(Event, event_id)
            payer = db.session.get(Registration, payer_id)
            waiting = db.session.get(Registration, waiting_id)
            assert event is not None and payer is not None and waiting is not None
            payments = db.session.scalars(
                select(Payment).where(Payment.registration_id == payer_id)
            ).all()
            seated = db.session.scalars(
                select(Registration).where(
                    Registration.event_id == event_id, Registration.status == "registered"
                )
            ).all()
            assert event.registered == len(seated) == 1  # no lost seat, no second one
            assert [payment.amount for payment in payments] == [PRICE]  # recorded once
            if outcome == "confirmed":
                assert (payer.status, payer.payment_status) == ("registered", "paid")
                assert waiting.status == "waitlisted"
                assert payments[0].status == "succeeded"
            else:
                assert (payer.status, payer.cancel_reason) == ("cancelled", "hold_expired")
                assert waiting.status == "registered"
                assert payments[0].status == "refunded"
    refunded = [call.form["payment_intent"] for call in fake_stripe.refunds()]
    expected = [f"pi_race_{n}" for n, o in enumerate(outcomes) if o == "late_refunding"]
    assert refunded == expected
