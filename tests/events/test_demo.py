"""The demo café's weekly trivia night: last week's with check-ins and no-shows, this
week's with 30 seats taken and a waiting list; tonight's paid workshop with payments at the
door and online, check-ins and an unpaid hold; a consultation paid."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.accounts.demo import PEOPLE
from stampbook.accounts.models import User
from stampbook.consultations.models import Booking
from stampbook.core import clock
from stampbook.events.models import Event, Payment, PaymentDelivery, Registration


def test_the_demo_has_a_trivia_night_with_a_waiting_list_and_check_ins(
    app: Flask, app_context: None, session: Session
) -> None:
    domains.load_demo()
    nights = session.scalars(
        select(Event).where(Event.series_id.is_not(None)).order_by(Event.starts_at)
    ).all()
    assert len(nights) > 2 and {night.title for night in nights} == {"Trivia night"}
    counts = dict(
        session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == nights[0].id)
            .group_by(Registration.status)
        ).all()
    )
    assert counts == {"attended": 9, "no_show": 3}
    this_week = dict(
        session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == nights[1].id)
            .group_by(Registration.status)
        ).all()
    )
    assert this_week == {"registered": 30, "waitlisted": 4}
    assert nights[1].registered == 30


def test_the_demo_has_a_paid_workshop_paid_at_the_door_and_online(
    app: Flask, app_context: None, session: Session
) -> None:
    domains.load_demo()
    workshop = session.scalars(select(Event).where(Event.title == "Latte art workshop")).one()
    assert workshop.series_id is None and (workshop.price, workshop.currency) == (1500, "EUR")
    assert workshop.starts_at > clock.now()  # its doors are open, its unpaid seat still held
    regular = session.scalars(select(User).where(User.email == PEOPLE[2][0])).one()
    seats = session.scalars(
        select(Registration).where(Registration.event_id == workshop.id).order_by(Registration.id)
    ).all()
    assert [(s.status, s.payment_status) for s in seats] == [
        ("registered", "paid"),  # the regular, online, on his way
        ("attended", "paid"),  # cash at the door
        ("attended", "paid"),  # card at the door
        ("registered", "unpaid"),
    ]
    assert seats[0].user_id == regular.id and workshop.registered == 4
    held = seats[3]
    assert held.hold_expires_at is not None and held.hold_expires_at > clock.now()
    payments = session.scalars(
        select(Payment).where(Payment.event_id == workshop.id).order_by(Payment.id)
    ).all()
    assert [(p.registration_id, p.channel, p.amount, p.provider) for p in payments] == [
        (seats[0].id, "online", 1500, "stripe"),
        (seats[1].id, "cash", 1500, None),
        (seats[2].id, "card", 1500, None),
    ]
    assert payments[0].provider_reference and payments[0].provider_reference.startswith("pi_")
    assert payments[1].recorded_by == payments[2].recorded_by == seats[1].checked_in_by
    delivery = session.scalars(
        select(PaymentDelivery).where(PaymentDelivery.registration_id == seats[0].id)
    ).one()
    assert (delivery.event_type, delivery.outcome) == ("checkout.session.completed", "confirmed")
    barista = session.scalars(select(User).where(User.email == PEOPLE[1][0])).one()
    assert [s.checked_in_by for s in seats] == [None, barista.id, barista.id, None]
    assert payments[1].recorded_by == barista.id


def test_the_demo_has_a_consultation_paid(app: Flask, app_context: None, session: Session) -> None:
    domains.load_demo()
    statuses = {
        (booking.status, booking.payment_status) for booking in session.scalars(select(Booking))
    }
    assert ("booked", "paid") in statuses
