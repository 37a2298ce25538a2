"""Consultations through the API: hosts and their verification, free slots, booking (never
twice), cancellation and its deadline, completion and no-shows, the host's private notes,
the member's rating, the payment status, and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stampbook.consultations.models import Booking
from stampbook.core.db import utcnow
from stampbook.core.outbox import Occurrence
from stampbook.notifications.models import Notification
from tests.consultations.conftest import Clinic
from tests.occurrences import last_id, recorded


def test_the_team_adds_a_host_pending_until_a_manager_verifies_it(clinic: Clinic) -> None:
    shop_id = clinic.team.shop.id
    body = {
        "professional_name": "Mia Chen",
        "credentials": ["RD", "PhD"],
        "specializations": ["diabetes"],
        "languages": ["English"],
        "years_experience": 12,
        "consultation_rate": "60.00",
        "currency": "EUR",
        "time_zone": "Europe/Berlin",
        "weekly_hours": [{"day": 0, "start": "14:00", "end": "18:00"}],
        "slot_minutes": 45,
    }
    made = clinic.call("POST", f"/api/v1/shops/{shop_id}/hosts", "manager", json=body)
    assert made.status_code == 201, made.json
    assert made.json["verification_status"] == "pending"
    assert made.json["consultation_rate"] == "60.00"
    host_id = made.json["id"]
    # Members do not see a host pending verification.
    assert clinic.call("GET", f"/api/v1/hosts/{host_id}", "member").status_code == 404
    names = [h["professional_name"] for h in clinic.call(
        "GET", f"/api/v1/shops/{shop_id}/hosts", "member").json["items"]]  # fmt: skip
    assert names == ["Dr. Ana Ruiz"]
    assert (
        clinic.call("POST", f"/api/v1/shops/{shop_id}/hosts", "assistant", json=body).status_code
        == 403
    )
    verified = clinic.call(
        "PATCH", f"/api/v1/hosts/{host_id}", "creator", json={"verification_status": "verified"}
    )
    assert verified.status_code == 200 and verified.json["verification_status"] == "verified"
    assert clinic.call("GET", f"/api/v1/hosts/{host_id}", "member").status_code == 200


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"weekly_hours": [{"day": 0, "start": "12:00", "end": "09:00"}]}, "schedule_invalid"),
        (
            {"weekly_hours": [
                {"day": 1, "start": "09:00", "end": "12:00"},
                {"day": 1, "start": "11:00", "end": "13:00"},
            ]},
            "schedule_overlap",
        ),
        ({"user_id": 999_999}, "host_not_in_team"),
        ({"days_off": ["2026-02-30"]}, "schedule_invalid"),
    ],
)  # fmt: skip
def test_a_bad_schedule_is_a_clear_problem(clinic: Clinic, change: dict, code: str) -> None:
    answer = clinic.call("PATCH", f"/api/v1/hosts/{clinic.host.id}", "manager", json=change)
    assert answer.status_code == 409, answer.json
    assert answer.json["code"] == code


def test_bad_input_is_a_problem_with_its_fields(clinic: Clinic) -> None:
    url = f"/api/v1/hosts/{clinic.host.id}"
    answer = clinic.call("PATCH", url, "manager", json={"slot_minutes": 2})
    assert answer.status_code == 422 and answer.json["code"] == "validation_failed"
    slots = clinic.call(
        "GET", f"{url}/slots?from=2030-01-10T00:00:00Z&to=2030-01-01T00:00:00Z", "member"
    )
    assert slots.status_code == 409 and slots.json["code"] == "slot_range_invalid"
    too_long = clinic.call(
        "GET", f"{url}/slots?from=2030-01-01T00:00:00Z&to=2030-06-01T00:00:00Z", "member"
    )
    assert too_long.status_code == 409 and too_long.json["code"] == "slot_range_invalid"
    rating = clinic.call(
        "POST", "/api/v1/bookings/1/rating", "member", json={"user_feedback_rating": 9}
    )
    assert rating.status_code in {404, 422}


def test_slots_are_the_schedule_in_the_hosts_zone(clinic: Clinic) -> None:
    answer = clinic.call(
        "GET",
        f"/api/v1/hosts/{clinic.host.id}/slots?from=2030-07-01T00:00:00Z&to=2030-07-02T00:00:00Z",
        None,
    )
    assert answer.status_code == 200, answer.json
    # Madrid is UTC+2 in July: 09:00, 10:00, 11:00 local.
    assert [s["starts_at"] for s in answer.json["items"]] == [
        "2030-07-01T07:00:00Z",
        "2030-07-01T08:00:00Z",
        "2030-07-01T09:00:00Z",
    ]


def test_a_booked_slot_is_gone_and_never_booked_twice(clinic: Clinic, session: Session) -> None:
    first = clinic.slots()[0]
    booked = clinic.book("member", first)
    assert booked.status_code == 201, booked.json
    assert booked.json["status"] == "booked"
    assert booked.json["payment_status"] == "unpaid"
    assert booked.json["session_cost"] == "45.00"
    assert first not in clinic.slots()
    again = clinic.book("second", first)
    assert again.status_code == 409 and again.json["code"] == "slot_taken"
    twice = clinic.book("member", first)
    assert twice.status_code == 409 and twice.json["code"] == "slot_already_yours"
    made_up = clinic.book("second", "2030-07-01T07:30:00Z")
    assert made_up.status_code == 409 and made_up.json["code"] == "slot_unknown"
    past = clinic.book("second", "2001-07-01T07:00:00Z")
    assert past.status_code == 409 and past.json["code"] == "slot_past"
    pending = clinic.book("member", first, host_id=clinic.listed.id)
    assert pending.status_code == 404  # a host pending verification is hidden from members
    kinds = session.scalars(select(Occurrence.type)).all()
    assert kinds.count("consultation.booked") == 1


def _booking_in_the_past(session: Session, clinic: Clinic, **fields: object) -> Booking:
    start = utcnow().replace(microsecond=0) - timedelta(hours=2)
    booking = Booking(
        host_id=clinic.host.id,
        shop_id=clinic.team.shop.id,
        user_id=clinic.team.member.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        session_cost_minor=4500,
        currency="USD",
        payment_status="unpaid",
        **fields,
    )
    session.add(booking)
    session.flush()
    return booking


def test_a_member_cancels_until_the_deadline_the_host_anytime(clinic: Clinic) -> None:
    slots = clinic.slots()
    soon, later = slots[0], slots[-1]
    clinic.host.cancel_hours = 24 * 30  # nothing is cancellable by the member
    mine = clinic.book("member", soon).json["id"]
    refused = clinic.call("POST", f"/api/v1/bookings/{mine}/cancel", "member", json={})
    assert refused.status_code == 409 and refused.json["code"] == "cancel_deadline_passed"
    by_host = clinic.call(
        "POST", f"/api/v1/bookings/{mine}/cancel", "manager", json={"reason": "Ill"}
    )
    assert by_host.status_code == 200 and by_host.json["status"] == "cancelled"
    assert soon in clinic.slots()  # free again
    clinic.host.cancel_hours = 0
    other = clinic.book("member", later).json["id"]
    outsider = clinic.call("POST", f"/api/v1/bookings/{other}/cancel", "outsider", json={})
    assert outsider.status_code == 404
    viewer = clinic.call("POST", f"/api/v1/bookings/{other}/cancel", "viewer", json={})
    assert viewer.status_code == 403
    assert (
        clinic.call("POST", f"/api/v1/bookings/{other}/cancel", "member", json={}).status_code
        == 200
    )
    twice = clinic.call("POST", f"/api/v1/bookings/{other}/cancel", "member", json={})
    assert twice.json["code"] == "booking_not_booked"


def test_notes_are_private_to_the_host_and_the_member(clinic: Clinic, session: Session) -> None:
    booking = _booking_in_the_past(session, clinic)
    url = f"/api/v1/bookings/{booking.id}"
    assert (
        clinic.call("PUT", f"{url}/notes", "creator", json={"session_notes": "x"}).status_code
        == 403
    )
    written = clinic.call("PUT", f"{url}/notes", "manager", json={"session_notes": "Less sugar."})
    assert written.status_code == 200 and written.json["session_notes"] == "Less sugar."
    assert clinic.call("GET", url, "member").json["session_notes"] == "Less sugar."
    for other in ("creator", "assistant", "viewer"):
        seen = clinic.call("GET", url, other)
        assert seen.status_code == 200 and seen.json["session_notes"] is None, other
    assert clinic.call("GET", url, "outsider").status_code == 404
    listed = clinic.call("GET", f"/api/v1/hosts/{clinic.host.id}/bookings", "assistant")
    assert [b["session_notes"] for b in listed.json["items"]] == [None]


def test_completed_then_rated_once(clinic: Clinic, session: Session) -> None:
    booking = _booking_in_the_past(session, clinic)
    url = f"/api/v1/bookings/{booking.id}"
    early = clinic.call("POST", f"{url}/rating", "member", json={"user_feedback_rating": 5})
    assert early.status_code == 409 and early.json["code"] == "booking_not_completed"
    assert clinic.call("POST", f"{url}/complete", "member").status_code == 403
    done = clinic.call("POST", f"{url}/complete", "assistant")
    assert done.status_code == 200 and done.json["status"] == "completed"
    rated = clinic.call(
        "POST",
        f"{url}/rating",
        "member",
        json={"user_feedback_rating": 4, "user_feedback_text": "Clear"},
    )
    assert rated.status_code == 200 and rated.json["user_feedback_rating"] == 4
    again = clinic.call("POST", f"{url}/rating", "member", json={"user_feedback_rating": 1})
    assert again.status_code == 409 and again.json["code"] == "booking_rated"
    assert (
        clinic.call(
            "POST", f"{url}/rating", "manager", json={"user_feedback_rating": 1}
        ).status_code
        == 403
    )
    host = clinic.call("GET", f"/api/v1/hosts/{clinic.host.id}", None).json
    assert host["rating_average"] == "4.00" and host["total_consultations"] == 1
    kinds = session.scalars(select(Occurrence.type)).all()
    assert "consultation.completed" in kinds


def test_no_show_and_payment_status(clinic: Clinic, session: Session) -> None:
    booking = _booking_in_the_past(session, clinic)
    url = f"/api/v1/bookings/{booking.id}"
    refund = clinic.call("PUT", f"{url}/payment", "manager", json={"payment_status": "refunded"})
    assert refund.status_code == 409 and refund.json["code"] == "booking_not_paid"
    paid = clinic.call("PUT", f"{url}/payment", "assistant", json={"payment_status": "paid"})
    assert paid.status_code == 200 and paid.json["payment_status"] == "paid"
    missed = clinic.call("POST", f"{url}/no-show", "manager")
    assert missed.status_code == 200 and missed.json["status"] == "no_show"
    assert clinic.call("POST", f"{url}/complete", "manager").json["code"] == "booking_not_booked"


def test_a_session_not_begun_is_neither_completed_nor_missed(clinic: Clinic) -> None:
    booked = clinic.book("member", clinic.slots()[0]).json["id"]
    answer = clinic.call("POST", f"/api/v1/bookings/{booked}/complete", "manager")
    assert answer.status_code == 409 and answer.json["code"] == "booking_not_started"


def test_my_bookings_and_removing_a_host(clinic: Clinic, session: Session) -> None:
    first = clinic.slots()[0]
    clinic.book("member", first)
    mine = clinic.call("GET", "/api/v1/users/me/bookings", "member")
    assert [b["starts_at"] for b in mine.json["items"]] == [first]
    assert clinic.call("GET", "/api/v1/users/me/bookings", "second").json["items"] == []
    refused = clinic.call("DELETE", f"/api/v1/hosts/{clinic.host.id}", "manager")
    assert refused.status_code == 409 and refused.json["code"] == "host_has_bookings"
    assert clinic.call("DELETE", f"/api/v1/hosts/{clinic.listed.id}", "manager").status_code == 204
    assert clinic.call("GET", f"/api/v1/hosts/{clinic.listed.id}", "manager").status_code == 404
    assert session.scalar(select(func.count()).select_from(Booking)) == 1


def test_the_database_holds_a_slot_once(clinic: Clinic, session: Session) -> None:
    """Past the service, the partial unique index refuses a second live booking of a slot;
    a cancelled one does not hold it."""
    start = utcnow().replace(microsecond=0) + timedelta(days=3)

    def booking(status: str) -> Booking:
        return Booking(
            host_id=clinic.host.id,
            shop_id=clinic.team.shop.id,
            user_id=clinic.team.member.id,
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            status=status,
        )

    session.add(booking("cancelled"))
    session.add(booking("booked"))
    session.flush()
    second = session.begin_nested()
    session.add(booking("completed"))
    with pytest.raises(IntegrityError):
        session.flush()
    second.rollback()


def test_booking_and_cancelling_tell_the_other_side(clinic: Clinic, session: Session) -> None:
    """The member books: the host (the manager's account) is told, not the member; the host
    cancels: the member is told, not the host."""
    first = clinic.slots()[0]
    mark = last_id(session)
    booked = clinic.book("member", first).json["id"]
    [(kind, shop_id, payload)] = recorded(session, mark)
    assert (kind, shop_id) == ("consultation.booked", clinic.team.shop.id)
    assert payload["host_user_id"] == clinic.team.manager.id
    assert payload["actor_id"] == clinic.team.member.id
    clinic.call("POST", f"/api/v1/bookings/{booked}/cancel", "manager", json={})
    told = session.execute(select(Notification.user_id, Notification.kind)).all()
    assert (clinic.team.manager.id, "consultation_booked") in told
    assert (clinic.team.member.id, "consultation_cancelled") in told
    assert (clinic.team.member.id, "consultation_booked") not in told
    assert (clinic.team.manager.id, "consultation_cancelled") not in told
