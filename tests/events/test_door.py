"""Self check-in with the door screen's rotating signed code (events/door.py): the codes
themselves with a pinned clock (pure), and ``POST /api/v1/events/{id}/self-check-ins`` with
each refusal, a replay, the points once and another event's code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from stampbook.core import clock
from stampbook.events import door
from stampbook.events.models import Registration
from stampbook.ledger.models import LedgerEntry
from stampbook.programs.models import Membership
from tests.events.conftest import Club

KEY = door.derive_key("a test secret")
# 12:00:05 UTC: the middle of a 10-second step.
T0 = datetime(2030, 6, 1, 12, 0, 5, tzinfo=UTC)


# --- The codes (pure) ----------------------------------------------------------------------------


def test_a_code_is_its_step_and_an_80_bit_mac_in_base32() -> None:
    step = door.step_at(T0)
    assert step == int(T0.timestamp()) // 10
    code = door.code_for(KEY, 7, step)
    shown, _, signature = code.partition(".")
    assert shown == str(step)
    assert len(signature) == door.MAC_CHARS == 16  # 16 base32 characters: 80 bits
    assert door.code_for(KEY, 7, step) == code  # the same for every door screen at once
    assert door.code_for(KEY, 8, step) != code
    assert door.code_for(KEY, 7, step + 1) != code
    assert door.code_for(door.derive_key("another secret"), 7, step) != code
    assert door.typed(code) == "-".join(signature[i : i + 4] for i in range(0, 16, 4))


def test_the_current_and_the_previous_step_are_accepted_and_older_ones_not() -> None:
    step = door.step_at(T0)
    for shown_at, accepted in [
        (step, True),
        (step - 1, True),  # shown just before the screen changed
        (step - 2, False),  # a photo sent home: 20 seconds or more
        (step - 360, False),
        (step + 1, False),  # a code from the future is not one the screen showed
    ]:
        code = door.code_for(KEY, 7, shown_at)
        assert door.verify(KEY, 7, code, T0) is accepted, shown_at


def test_the_typed_code_is_tried_against_the_current_and_previous_steps() -> None:
    step = door.step_at(T0)
    for shown_at, accepted in [(step, True), (step - 1, True), (step - 2, False)]:
        typed = door.typed(door.code_for(KEY, 7, shown_at))
        assert door.verify(KEY, 7, typed, T0) is accepted
        # As people type it: lower case, spaces instead of dashes.
        assert door.verify(KEY, 7, typed.lower().replace("-", " "), T0) is accepted


def test_forged_and_malformed_codes_are_refused() -> None:
    step = door.step_at(T0)
    real = door.code_for(KEY, 7, step)
    signature = real.partition(".")[2]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    refused = [
        f"{step}.{flipped}",
        f"{step}.{signature[:-1]}",
        f"{step}.",
        str(step),  # a keyless rolling code: the step alone
        f"{step - 1}.{signature}",  # the right MAC with another step
        door.code_for(door.derive_key("a guessed secret"), 7, step),
        door.code_for(KEY, 8, step),  # another event's
        "",
        "not a code at all",
        "9" * 40,
    ]
    for text in refused:
        assert door.verify(KEY, 7, text, T0) is False, text


@given(step_offset=st.integers(min_value=-3, max_value=3), event_id=st.integers(1, 10**9))
def test_only_this_events_codes_of_the_two_last_steps_pass(step_offset: int, event_id: int) -> None:
    now = T0 + timedelta(seconds=step_offset * 3)
    code = door.code_for(KEY, event_id, door.step_at(T0))
    current = door.step_at(now)
    assert door.verify(KEY, event_id, code, now) is (door.step_at(T0) in (current, current - 1))
    assert door.verify(KEY, event_id + 1, code, now) is False


def test_the_door_screen_knows_when_its_code_changes() -> None:
    shown = door.current(KEY, 7, T0)
    assert shown.seconds_left == pytest.approx(5.0)
    assert shown.code == door.code_for(KEY, 7, shown.step)
    assert door.current(KEY, 7, T0 + timedelta(seconds=5)).step == shown.step + 1


# --- The API ------------------------------------------------------------------------------


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The clock, as a list to move it on: registrations stay open (the event is at SOON)."""
    now = [datetime.now(UTC).replace(microsecond=0)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now


def code_of(club: Club, event_id: int, at: datetime) -> str:
    key = door.derive_key(club.client.application.config["SECRET_KEY"])
    return door.current(key, event_id, at).code


def self_check_in(club: Club, event_id: int, code: str, who: str = "member", **extra: Any) -> Any:
    return club.client.post(
        f"/api/v1/events/{event_id}/self-check-ins",
        json={"door_code": code, **extra},
        headers=club.headers(who),
    )


def test_a_member_checks_in_with_the_door_code_and_earns_the_points_once(
    club: Club, pinned: list[datetime]
) -> None:
    program_id = club.team.program.id
    made = club.make_event(points=5, program_id=program_id, self_check_in=True).json
    assert made["self_check_in"] is True
    event_id = made["id"]
    assert club.register(event_id, "member").status_code == 201
    code = code_of(club, event_id, pinned[0])

    first = self_check_in(club, event_id, code, nonce="phone-1")
    assert first.status_code == 200, first.json
    assert (first.json["status"], first.json["points_awarded"]) == ("attended", 5)
    assert first.json["replayed"] is False
    # The same request sent again (its answer lost), even once the code aged: the same answer.
    pinned[0] += timedelta(minutes=5)
    replay = self_check_in(club, event_id, code, nonce="phone-1")
    assert (replay.status_code, replay.json["replayed"]) == (200, True)
    # A second scan with a fresh code: already checked in, nothing more.
    again = self_check_in(club, event_id, code_of(club, event_id, pinned[0]), nonce="phone-2")
    assert (again.status_code, again.json["code"]) == (409, "already_checked_in")

    registration = club.session.scalars(
        select(Registration).where(Registration.event_id == event_id)
    ).one()
    assert registration.checked_in_by == club.team.member.id
    membership_id = club.session.scalar(
        select(Membership.id).where(
            Membership.user_id == club.team.member.id, Membership.program_id == program_id
        )
    )
    amounts = club.session.scalars(
        select(LedgerEntry.amount).where(
            LedgerEntry.membership_id == membership_id, LedgerEntry.kind == "attendance"
        )
    ).all()
    assert amounts == [5]


def test_the_idempotency_key_replays_the_first_answer(club: Club, pinned: list[datetime]) -> None:
    event_id = club.make_event(self_check_in=True).json["id"]
    club.register(event_id, "member")
    code = code_of(club, event_id, pinned[0])
    headers = {**club.headers("member"), "Idempotency-Key": "door-scan-1"}
    url = f"/api/v1/events/{event_id}/self-check-ins"
    first = club.client.post(url, json={"door_code": code}, headers=headers)
    second = club.client.post(url, json={"door_code": code}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json


def test_an_expired_forged_or_other_events_code_is_refused(
    club: Club, pinned: list[datetime]
) -> None:
    event_id = club.make_event(self_check_in=True).json["id"]
    other_id = club.make_event(title="Other", self_check_in=True).json["id"]
    club.register(event_id, "member")
    shown_at = pinned[0]
    code = code_of(club, event_id, shown_at)
    step = code.partition(".")[0]

    forged = f"{step}.{'A' * 16}"
    keyless = step
    for bad in (forged, keyless, code_of(club, other_id, shown_at), "x"):
        refused = self_check_in(club, event_id, bad)
        assert (refused.status_code, refused.json["code"]) == (403, "door_code_invalid"), bad

    pinned[0] = shown_at + timedelta(seconds=25)  # two steps on at least: a photo sent home
    stale = self_check_in(club, event_id, code)
    assert (stale.status_code, stale.json["code"]) == (403, "door_code_invalid")
    stale_typed = self_check_in(club, event_id, door.typed(code))
    assert stale_typed.json["code"] == "door_code_invalid"

    pinned[0] = shown_at + timedelta(seconds=10)  # the next step: the previous code still works
    assert self_check_in(club, event_id, code).status_code == 200


def test_the_typed_code_checks_in_too(club: Club, pinned: list[datetime]) -> None:
    event_id = club.make_event(self_check_in=True).json["id"]
    club.register(event_id, "member")
    typed = door.typed(code_of(club, event_id, pinned[0])).lower()
    assert self_check_in(club, event_id, typed).status_code == 200


def test_each_refusal_has_its_code(club: Club, pinned: list[datetime]) -> None:
    off_id = club.make_event(title="No self check-in").json["id"]
    assert club.client.get(f"/api/v1/events/{off_id}").json["self_check_in"] is False
    club.register(off_id, "member")
    refused = self_check_in(club, off_id, code_of(club, off_id, pinned[0]))
    assert (refused.status_code, refused.json["code"]) == (409, "self_check_in_off")

    event_id = club.make_event(capacity=1, self_check_in=True).json["id"]
    code = code_of(club, event_id, pinned[0])
    not_registered = self_check_in(club, event_id, code, who="outsider")
    assert (not_registered.status_code, not_registered.json["code"]) == (409, "not_registered")

    club.register(event_id, "outsider")  # the one seat
    club.register(event_id, "member")
    waitlisted = self_check_in(club, event_id, code)
    assert (waitlisted.status_code, waitlisted.json["code"]) == (409, "waitlisted")

    seat = club.client.get("/api/v1/registrations", headers=club.headers("outsider")).json
    club.client.delete(
        f"/api/v1/registrations/{seat['items'][0]['id']}", headers=club.headers("outsider")
    )
    cancelled = self_check_in(club, event_id, code, who="outsider")
    assert (cancelled.status_code, cancelled.json["code"]) == (409, "cancelled")

    paid_id = club.make_event(title="Dinner", price="5.00", self_check_in=True).json["id"]
    club.register(paid_id, "member")
    unpaid = self_check_in(club, paid_id, code_of(club, paid_id, pinned[0]))
    assert (unpaid.status_code, unpaid.json["code"]) == (409, "unpaid")

    gone_id = club.make_event(title="Called off", self_check_in=True).json["id"]
    club.register(gone_id, "member")
    club.client.patch(
        f"/api/v1/events/{gone_id}", json={"cancelled": True}, headers=club.headers("manager")
    )
    called_off = self_check_in(club, gone_id, code_of(club, gone_id, pinned[0]))
    assert (called_off.status_code, called_off.json["code"]) == (409, "event_cancelled")


def test_the_team_switches_it_on_and_off_and_only_members_check_themselves_in(
    club: Club, pinned: list[datetime]
) -> None:
    event_id = club.make_event().json["id"]
    club.register(event_id, "member")
    assistant = club.client.patch(
        f"/api/v1/events/{event_id}",
        json={"self_check_in": True},
        headers=club.headers("assistant"),
    )
    assert assistant.status_code == 403  # managers set the event up
    on = club.client.patch(
        f"/api/v1/events/{event_id}", json={"self_check_in": True}, headers=club.headers("manager")
    )
    assert on.json["self_check_in"] is True
    anonymous = club.client.post(
        f"/api/v1/events/{event_id}/self-check-ins",
        json={"door_code": code_of(club, event_id, pinned[0])},
    )
    assert anonymous.status_code == 401
    off = club.client.patch(
        f"/api/v1/events/{event_id}", json={"self_check_in": False}, headers=club.headers("manager")
    )
    assert off.json["self_check_in"] is False
    refused = self_check_in(club, event_id, code_of(club, event_id, pinned[0]))
    assert refused.json["code"] == "self_check_in_off"


def test_a_series_keeps_self_check_in_on_its_occurrences(club: Club) -> None:
    first = club.make_event(recurrence="FREQ=WEEKLY;COUNT=3", self_check_in=True).json
    items = club.client.get(
        f"/api/v1/shops/{club.team.shop.id}/events", headers=club.headers("manager")
    ).json["items"]
    ours = [item for item in items if item["series_id"] == first["series_id"]]
    assert len(ours) == 3
    assert all(item["self_check_in"] for item in ours)
