"""The events' pure rules: a weekly series across a change of clocks keeps its local start
time, ticket codes, and what a scan decides."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from stampbook.events import rules

MADRID = ZoneInfo("Europe/Madrid")


def test_a_weekly_event_across_a_dst_change_keeps_its_local_start() -> None:
    # Clocks go back in Madrid on 2026-10-25: 19:30 local is 17:30 UTC before, 18:30 after.
    found = rules.occurrences(
        rrule="FREQ=WEEKLY;BYDAY=TH",
        first_day=date(2026, 10, 15),
        local_start=time(19, 30),
        duration=timedelta(hours=2),
        zone=MADRID,
        after=date(2026, 10, 14),
        until=date(2026, 11, 6),
    )
    assert [o.day for o in found] == [
        date(2026, 10, 15),
        date(2026, 10, 22),
        date(2026, 10, 29),
        date(2026, 11, 5),
    ]
    assert {o.starts_at.astimezone(MADRID).time() for o in found} == {time(19, 30)}
    assert [o.starts_at.hour for o in found] == [17, 17, 18, 18]
    assert all(o.ends_at - o.starts_at == timedelta(hours=2) for o in found)


def test_ticket_codes_are_32_symbols_of_31() -> None:
    assert len(rules.TICKET_ALPHABET) == len(set(rules.TICKET_ALPHABET)) == 31
    codes = {rules.new_ticket_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 32 and set(c) <= set(rules.TICKET_ALPHABET) for c in codes)
    assert rules.normal_code(" abcd-efgh ") == "ABCDEFGH"


def test_what_a_scan_decides() -> None:
    def refusal(status: str, payment: str = "free", same: bool = True) -> str | None:
        return rules.check_in_refusal(status=status, payment_status=payment, same_event=same)

    assert refusal("registered") is None
    assert refusal("registered", "paid") is None
    assert refusal("registered", "unpaid") == "unpaid"
    assert refusal("waitlisted") == "waitlisted"
    assert refusal("cancelled") == "cancelled"
    assert refusal("attended") == "already_checked_in"
    assert refusal("registered", same=False) == "other_event"
