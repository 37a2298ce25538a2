"""The events API (DESIGN 9): events, registrations and the waiting list, cancellation
and promotion, paid seats held, check-in with its refusals and points once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from stampbook.ledger.models import LedgerEntry
from stampbook.programs.models import Membership
from tests.events.conftest import SOON, Club, iso


def test_the_contract_event_fields_and_a_registration(club: Club) -> None:
    made = club.make_event(capacity=2, points=5, program_id=club.team.program.id)
    assert made.status_code == 201, made.json
    event = made.json
    assert (event["capacity"], event["points"], event["program_id"]) == (
        2,
        5,
        club.team.program.id,
    )
    assert event["starts_at"].startswith(iso(SOON)[:16])
    got = club.client.get(f"/api/v1/events/{event['id']}", headers=club.headers("member"))
    assert got.status_code == 200
    listed = club.client.get(f"/api/v1/shops/{club.team.shop.id}/events")
    assert [item["id"] for item in listed.json["items"]] == [event["id"]]
    registered = club.register(event["id"], "member")
    assert registered.status_code == 201, registered.json
    body = registered.json
    assert body["status"] == "registered"
    assert len(body["ticket_code"]) == 32
    assert set(body) >= {"id", "status", "ticket_code"}
    again = club.register(event["id"], "member")
    assert (again.status_code, again.json["code"]) == (409, "already_registered")


def test_a_full_event_waitlists_then_a_cancellation_promotes_in_order(club: Club) -> None:
    event_id = club.make_event(capacity=1).json["id"]
    for name in ("a", "b", "c"):
        club.person(name)
    first = club.register(event_id, "a").json
    second = club.register(event_id, "b").json
    third = club.register(event_id, "c").json
    assert [first["status"], second["status"], third["status"]] == [
        "registered",
        "waitlisted",
        "waitlisted",
    ]
    cancelled = club.client.delete(
        f"/api/v1/registrations/{first['id']}", headers=club.headers("a")
    )
    assert cancelled.status_code == 204
    team_list = club.client.get(
        f"/api/v1/events/{event_id}/registrations", headers=club.headers("assistant")
    ).json["items"]
    statuses = {item["id"]: item["status"] for item in team_list}
    assert statuses == {
        first["id"]: "cancelled",
        second["id"]: "registered",
        third["id"]: "waitlisted",
    }
    event = club.client.get(f"/api/v1/events/{event_id}").json
    assert (event["registered"], event["waitlisted"], event["seats_left"]) == (1, 1, 0)


def test_capacity_below_the_seats_taken_is_refused_and_a_larger_one_promotes(club: Club) -> None:
    event_id = club.make_event(capacity=1).json["id"]
    club.person("a")
    club.person("b")
    club.register(event_id, "a")
    waiting = club.register(event_id, "b").json
    lower = club.client.patch(
        f"/api/v1/events/{event_id}", json={"capacity": 0}, headers=club.headers("manager")
    )
    assert (lower.status_code, lower.json["code"]) == (409, "capacity_below_registered")
    raised = club.client.patch(
        f"/api/v1/events/{event_id}", json={"capacity": 2}, headers=club.headers("manager")
    )
    assert raised.status_code == 200
    assert raised.json["registered"] == 2
    mine = club.client.get(f"/api/v1/registrations/{waiting['id']}", headers=club.headers("b"))
    assert mine.json["status"] == "registered"


def test_a_member_cannot_cancel_after_the_deadline_but_the_team_can(club: Club) -> None:
    deadline = iso(SOON - timedelta(days=8))
    event_id = club.make_event(cancellation_deadline=deadline).json["id"]
    registration = club.register(event_id, "member").json
    late = club.client.delete(
        f"/api/v1/registrations/{registration['id']}", headers=club.headers("member")
    )
    assert (late.status_code, late.json["code"]) == (409, "cancellation_closed")
    team = club.client.delete(
        f"/api/v1/registrations/{registration['id']}", headers=club.headers("assistant")
    )
    assert team.status_code == 204


def test_check_in_pays_once_and_each_refusal_has_its_code(club: Club) -> None:
    program_id = club.team.program.id
    event_id = club.make_event(capacity=1, points=7, program_id=program_id).json["id"]
    other_id = club.make_event(title="Other").json["id"]
    ticket = club.register(event_id, "member").json["ticket_code"]
    club.person("late")
    waiting = club.register(event_id, "late").json
    other_ticket = club.register(other_id, "outsider").json["ticket_code"]

    assert club.check_in(event_id, "NOPE" * 8).json["code"] == "unknown"
    assert club.check_in(event_id, other_ticket).json["code"] == "other_event"
    assert club.check_in(event_id, waiting["ticket_code"]).json["code"] == "waitlisted"
    own = club.check_in(event_id, ticket, who="member")
    assert own.status_code == 403  # a member is not the door team
    first = club.check_in(event_id, ticket.lower(), nonce="scan-1")
    assert first.status_code == 200, first.json
    assert (first.json["status"], first.json["points_awarded"]) == ("attended", 7)
    replay = club.check_in(event_id, ticket, nonce="scan-1")
    assert (replay.status_code, replay.json["replayed"]) == (200, True)
    second = club.check_in(event_id, ticket, nonce="scan-2")
    assert (second.status_code, second.json["code"]) == (409, "already_checked_in")
    membership_id = club.session.scalar(
        select(Membership.id).where(
            Membership.user_id == club.team.member.id, Membership.program_id == program_id
        )
    )
    entries = club.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.membership_id == membership_id, LedgerEntry.kind == "attendance"
        )
    ).all()
    assert [entry.amount for entry in entries] == [7]


def test_a_cancelled_ticket_is_refused_at_the_door(club: Club) -> None:
    event_id = club.make_event().json["id"]
    registration = club.register(event_id, "member").json
    club.client.delete(
        f"/api/v1/registrations/{registration['id']}", headers=club.headers("member")
    )
    refused = club.check_in(event_id, registration["ticket_code"])
    assert (refused.status_code, refused.json["code"]) == (409, "cancelled")


def test_a_paid_seat_is_held_unpaid_until_the_team_records_the_payment(club: Club) -> None:
    event_id = club.make_event(price="12.50", currency="EUR", hold_hours=24).json["id"]
    registration = club.register(event_id, "member").json
    assert (registration["payment_status"], registration["status"]) == ("unpaid", "registered")
    assert registration["hold_expires_at"] is not None
    unpaid = club.check_in(event_id, registration["ticket_code"])
    assert unpaid.json["code"] == "unpaid"
    paid = club.client.post(
        f"/api/v1/registrations/{registration['id']}/payments",
        json={"amount": "12.50", "channel": "cash"},
        headers=club.headers("assistant"),
    )
    assert paid.status_code == 201, paid.json
    assert (paid.json["amount"], paid.json["currency"]) == ("12.50", "EUR")
    again = club.client.post(
        f"/api/v1/registrations/{registration['id']}/payments",
        json={"amount": "12.50", "channel": "cash"},
        headers=club.headers("assistant"),
    )
    assert again.json["code"] == "payment_not_due"
    assert club.check_in(event_id, registration["ticket_code"]).status_code == 200


def test_an_expired_hold_passes_the_seat_to_the_next_in_line(club: Club) -> None:
    from stampbook.events.models import Registration

    event_id = club.make_event(price="5", capacity=1).json["id"]
    held = club.register(event_id, "member").json
    club.person("next")
    waiting = club.register(event_id, "next").json
    assert waiting["status"] == "waitlisted"
    row = club.session.get(Registration, held["id"])
    assert row is not None
    row.hold_expires_at = row.joined_at - timedelta(minutes=1)
    club.session.flush()
    club.person("third")
    third = club.register(event_id, "third").json  # a write releases the expired hold first
    assert third["status"] == "waitlisted"
    mine = club.client.get(f"/api/v1/registrations/{held['id']}", headers=club.headers("member"))
    promoted = club.client.get(
        f"/api/v1/registrations/{waiting['id']}", headers=club.headers("next")
    )
    assert mine.json["status"] == "cancelled"
    assert (promoted.json["status"], promoted.json["payment_status"]) == ("registered", "unpaid")


def test_my_registrations(club: Club) -> None:
    event_id = club.make_event().json["id"]
    club.register(event_id, "member")
    mine = club.client.get("/api/v1/registrations", headers=club.headers("member"))
    assert [item["event_id"] for item in mine.json["items"]] == [event_id]


def test_bad_events_get_clear_problems(club: Club) -> None:
    backwards = club.make_event(ends_at=iso(SOON - timedelta(hours=1)))
    assert (backwards.status_code, backwards.json["code"]) == (409, "event_times_invalid")
    bad_rule = club.make_event(recurrence="FREQ=HOURLY")
    assert (bad_rule.status_code, bad_rule.json["code"]) == (409, "recurrence_invalid")
    assert club.make_event(who="assistant").status_code == 403


def test_registering_cancelling_and_checking_in_are_announced(club: Club) -> None:
    from tests.occurrences import last_id, recorded

    event_id = club.make_event(
        capacity=1, points=3, program_id=club.team.program.id, event_type="trivia"
    ).json["id"]
    before = last_id(club.session)
    seat = club.register(event_id, "member").json
    club.person("next")
    club.register(event_id, "next")
    club.client.delete(f"/api/v1/registrations/{seat['id']}", headers=club.headers("member"))
    club.person("third")
    third = club.register(event_id, "third").json
    assert third["status"] == "waitlisted"
    types = [kind for kind, _, _ in recorded(club.session, before)]
    assert types == [
        "event.registered",
        "event.registered",
        "event.registration_cancelled",
        "event.registered",  # the next in line, promoted
        "event.registered",
    ]
    promoted = recorded(club.session, before)[3][2]
    assert promoted["promoted"] is True
    before = last_id(club.session)
    next_ticket = club.client.get("/api/v1/registrations", headers=club.headers("next")).json[
        "items"
    ][0]["ticket_code"]
    assert club.check_in(event_id, next_ticket).status_code == 200
    checked = [(kind, payload) for kind, _, payload in recorded(club.session, before)]
    assert [kind for kind, _ in checked] == ["event.checked_in"]
    assert checked[0][1]["event_type"] == "trivia"
    assert checked[0][1]["points"] == 0  # "next" is not a member of the program
