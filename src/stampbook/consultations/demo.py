"""The café's consultations: its barista hosts latte-art lessons (verified), and a listed
nutritionist, both with weekly hours; the regular has a lesson booked ahead and paid (the
barista recorded it), and a free session with the nutritionist completed and rated."""

from __future__ import annotations

from datetime import timedelta

from stampbook.accounts.models import User
from stampbook.consultations import queries, services
from stampbook.consultations.models import Booking, ConsultationPayment, Host
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld

ZONE = "Europe/Madrid"
WEEKDAYS = [{"day": day, "start": "10:00", "end": "13:00"} for day in range(5)]


def load(world: DemoWorld) -> None:
    shop_id, _programs = world.at()
    _owner_id, barista_id, regular_id = world.user_ids
    barista = Host(
        shop_id=shop_id,
        user_id=barista_id,
        professional_name="Marta (barista)",
        bio="Ten years behind the bar. One-to-one lessons in milk texturing and latte art.",
        credentials=["SCA Barista Skills Professional"],
        specializations=["latte_art", "home_espresso"],
        languages=["Spanish", "English"],
        years_experience=10,
        rate_minor=2500,
        currency="EUR",
        verification_status="verified",
        verified_by=world.owner_id,
        verified_at=clock.now(),
        time_zone=ZONE,
        weekly_hours=WEEKDAYS,
        slot_minutes=45,
        buffer_minutes=15,
        cancel_hours=24,
    )
    nutritionist = Host(
        shop_id=shop_id,
        professional_name="Dr. Ana Ruiz, RD",
        bio="Registered dietitian: coffee, sleep and sports nutrition.",
        credentials=["RD", "PhD"],
        specializations=["sports_nutrition", "heart_health"],
        languages=["Spanish", "English", "Catalan"],
        years_experience=14,
        verification_status="verified",
        verified_by=world.owner_id,
        verified_at=clock.now(),
        time_zone=ZONE,
        weekly_hours=[
            {"day": 1, "start": "16:00", "end": "19:00"},
            {"day": 3, "start": "16:00", "end": "19:00"},
        ],
        slot_minutes=30,
        cancel_hours=12,
    )
    db.session.add_all([barista, nutritionist])
    db.session.flush()
    now = clock.now()
    ahead = queries.free_slots(barista, now + timedelta(days=2), now + timedelta(days=16))
    if ahead:
        slot = ahead[0]
        lesson = Booking(
            host_id=barista.id,
            shop_id=shop_id,
            user_id=regular_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            session_type="in_person",
            status="booked",
            topic="My first rosetta",
            session_cost_minor=2500,
            currency="EUR",
            payment_status=ConsultationPayment.UNPAID,
        )
        db.session.add(lesson)
        db.session.flush()
        host = db.session.get_one(User, barista_id)
        services.record_payment(host, lesson.id, ConsultationPayment.PAID)
    start = (now - timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    db.session.add(
        Booking(
            host_id=nutritionist.id,
            shop_id=shop_id,
            user_id=regular_id,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            session_type="video",
            status="completed",
            topic="How much coffee before a race?",
            session_notes="Two cups before noon; none after 15:00. Check in after the race.",
            user_feedback_rating=5,
            user_feedback_text="Clear and practical.",
            rated_at=now,
            currency="EUR",
            payment_status="not_required",
            closed_at=start + timedelta(minutes=30),
            closed_by=world.owner_id,
        )
    )
    db.session.flush()
