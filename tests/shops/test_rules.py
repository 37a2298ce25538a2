"""Pure rules of shops: opening hours in the shop's time zone, and orderings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stampbook.shops.rules import foreign_ids, is_open_at, ordered

WEEKDAY_HOURS = [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["09:00", "17:00"]]}]


@pytest.mark.parametrize(
    ("at", "zone", "open_"),
    [
        # 16:30 UTC in July is 18:30 in Madrid (closed) and 12:30 in New York (open).
        (datetime(2025, 7, 2, 16, 30, tzinfo=UTC), "Europe/Madrid", False),
        (datetime(2025, 7, 2, 16, 30, tzinfo=UTC), "America/New_York", True),
        (datetime(2025, 7, 2, 16, 30, tzinfo=UTC), "UTC", True),
        # Friday 23:30 UTC is already Saturday in Tokyo: closed.
        (datetime(2025, 7, 4, 23, 30, tzinfo=UTC), "Asia/Tokyo", False),
        # The morning after the spring-forward night in Madrid: 07:30 UTC is 09:30 local.
        (datetime(2025, 3, 31, 7, 30, tzinfo=UTC), "Europe/Madrid", True),
        (datetime(2025, 3, 31, 6, 30, tzinfo=UTC), "Europe/Madrid", False),
    ],
)
def test_opening_hours_are_read_in_the_shops_zone(at: datetime, zone: str, open_: bool) -> None:
    assert is_open_at(WEEKDAY_HOURS, zone, at) is open_


def test_no_schedule_means_always_open() -> None:
    assert is_open_at([], "Pacific/Apia", datetime(2025, 1, 1, tzinfo=UTC))


def test_any_schedule_of_several_opens() -> None:
    schedules = [{"days_of_week": [5]}, {"dates": ["2025-07-02"]}]
    assert is_open_at(schedules, "UTC", datetime(2025, 7, 2, 12, tzinfo=UTC))
    assert not is_open_at(schedules, "UTC", datetime(2025, 7, 3, 12, tzinfo=UTC))


def test_foreign_ids_keep_their_order() -> None:
    assert foreign_ids([5, 1, 9, 2], [1, 2, 3]) == [5, 9]
    assert foreign_ids([], [1]) == []


@settings(max_examples=60)
@given(
    st.lists(st.integers(1, 30), unique=True),
    st.lists(st.integers(1, 30)),
)
def test_ordered_appends_new_ids_once(existing: list[int], wanted: list[int]) -> None:
    result = ordered(existing, wanted)
    assert result[: len(existing)] == existing
    assert len(result) == len(set(result))
    assert set(result) == set(existing) | set(wanted)
    new = [i for i in result if i not in existing]
    assert new == sorted(new, key=wanted.index)
