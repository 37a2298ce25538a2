"""The café's book club runs a weekly trivia night with 30 seats: last week's night with its
check-ins (attendance points for the regular) and no-shows, and this week's full, with four
people on the waiting list; the regular has a seat (his home page shows it).

And a paid latte-art workshop tonight, its doors open: two guests paid at the door (cash and
card, recorded by the barista) and are checked in; the regular paid online three days ago (a
payment as the provider's webhook records it: Stripe, a made-up reference) and is on his
way, and may check himself in with the door screen's code; one guest's unpaid seat is held
until it starts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.core.zones import zone
from stampbook.events import checking_in, checkout, paying, queries, registering, services
from stampbook.events.models import Event, Payment, PaymentDelivery, Registration
from stampbook.events.rules import PaymentChannel, PaymentStatus
from stampbook.events.schemas import EventIn, EventPaymentIn
from stampbook.shops.models import Shop

SEATS = 30
GUESTS = 33  # with the regular, four more than the seats: a waiting list
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CHECKED_IN = 9  # of last week's twelve
WORKSHOP_PRICE = "15.00"
WORKSHOP_SEATS = 8


def _guests() -> list[User]:
    """Trivia fans who cannot sign in (no password): the demo's crowd."""
    guests = [
        User(
            email=f"trivia{number:02d}@example.com",
            name=f"Trivia fan {number}",
            password_hash="",
        )
        for number in range(1, GUESTS + 1)
    ]
    db.session.add_all(guests)
    db.session.flush()
    return guests


def _first_start(shop: Shop, now: datetime) -> datetime:
    """Last week's night (six days ago: this week's is tomorrow), 19:00 on the shop's wall
    clock."""
    local = (now - timedelta(days=6)).astimezone(zone(shop.time_zone))
    return local.replace(hour=19, minute=0, second=0, microsecond=0)


def load(world: DemoWorld) -> None:
    shop_id, (_card_id, club_id) = world.at()
    owner_id, barista_id, regular_id = world.user_ids
    owner, barista, regular = (db.session.get(User, i) for i in (owner_id, barista_id, regular_id))
    shop = db.session.get(Shop, shop_id)
    assert owner is not None
    assert barista is not None
    assert regular is not None
    assert shop is not None
    now = clock.now()
    starts_at = _first_start(shop, now)
    last_week = services.create_event(
        owner,
        shop_id,
        EventIn(
            title="Trivia night",
            description="Teams of up to four, questions on books, films and coffee.",
            event_type="trivia",
            location="The back room",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            capacity=SEATS,
            points=20,
            program_id=club_id,
            recurrence=f"FREQ=WEEKLY;BYDAY={DAYS[starts_at.weekday()]}",
        ),
    )
    this_week = db.session.scalars(
        select(Event)
        .where(Event.series_id == last_week.series_id, Event.id != last_week.id)
        .order_by(Event.starts_at)
    ).first()
    assert this_week is not None  # the series' next occurrence, made with it
    guests = _guests()
    before = last_week.starts_at - timedelta(days=1)
    for person in [regular, *guests[:11]]:
        registering.register(person, last_week.id, now=before)
    for person in [regular, *guests[: CHECKED_IN - 1]]:
        ticket = queries.registrations(last_week, search=person.email)[0]
        checking_in.check_in(
            barista, last_week.id, ticket.registration.ticket_code, now=last_week.starts_at
        )
    registering.close_ended(now)
    for person in [regular, *guests]:
        registering.register(person, this_week.id, now=now)
    db.session.flush()
    _workshop(world, guests[-3:], now)


def _workshop(world: DemoWorld, guests: list[User], now: datetime) -> None:
    """Tonight's paid workshop (see the module's words), starting within the next hour and a
    half: ``guests`` pay cash, pay by card, and hold an unpaid seat."""
    shop_id, (_card_id, club_id) = world.at()
    owner, barista, regular = (db.session.get_one(User, i) for i in world.user_ids)
    quarter = (now + timedelta(minutes=90)).replace(second=0, microsecond=0)
    starts_at = quarter - timedelta(minutes=quarter.minute % 15)
    event = services.create_event(
        owner,
        shop_id,
        EventIn(
            title="Latte art workshop",
            description="Hearts, tulips and rosettas: milk, a jug and an hour with the barista.",
            event_type="workshop",
            location="The bar",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1, minutes=30),
            capacity=WORKSHOP_SEATS,
            price=WORKSHOP_PRICE,
            currency="EUR",
            points=30,
            program_id=club_id,
            self_check_in=True,
        ),
    )
    ahead = now - timedelta(days=3)
    _paid_online(registering.register(regular, event.id, now=ahead), ahead + timedelta(minutes=4))
    cash, card, unpaid = guests
    for person, channel in ((cash, PaymentChannel.CASH), (card, PaymentChannel.CARD)):
        seat = registering.register(person, event.id, now=now - timedelta(hours=2))
        registering.record_payment(
            barista,
            seat.id,
            EventPaymentIn(amount=WORKSHOP_PRICE, channel=channel),
            now=now - timedelta(minutes=10),
        )
        checking_in.check_in(barista, event.id, seat.ticket_code, now=now - timedelta(minutes=5))
    registering.register(unpaid, event.id, now=now - timedelta(hours=1))
    db.session.flush()


def _paid_online(registration: Registration, paid_at: datetime) -> None:
    """What the provider's confirmation leaves (``paying``): its delivery logged once, the
    payment under its payment intent, the seat paid and its hold over."""
    event = db.session.get_one(Event, registration.event_id)
    reference = f"pi_demo{registration.id:018d}"
    db.session.add_all(
        [
            Payment(
                registration_id=registration.id,
                user_id=registration.user_id,
                event_id=event.id,
                amount=event.price,
                currency=event.currency,
                channel="online",
                status="succeeded",
                provider=checkout.PROVIDER,
                provider_reference=reference,
                paid_at=paid_at,
            ),
            PaymentDelivery(
                provider=checkout.PROVIDER,
                delivery_id=f"evt_demo{registration.id:018d}",
                event_type=paying.COMPLETED,
                registration_id=registration.id,
                outcome=paying.CONFIRMED,
                received_at=paid_at,
            ),
        ]
    )
    registration.payment_status = PaymentStatus.PAID
    registration.hold_expires_at = None
    db.session.flush()
