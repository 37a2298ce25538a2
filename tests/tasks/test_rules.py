"""The pure rules of stamping: every option and bonus at its boundaries, without a database."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stampbook.schedules.periods import local_midnight, period_index
from stampbook.tasks.rules import (
    AwardKind,
    Evaluation,
    OverrideSettings,
    PastStamp,
    TaskSettings,
    check_settings,
    effective_settings,
    evaluate_stamp,
    lost_awards,
    streak_in_progress,
    within_grace_period,
)

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")


def task(**fields: Any) -> TaskSettings:
    fields.setdefault("point_value", 10)
    return TaskSettings.model_validate(fields)


def local(text: str, tz: ZoneInfo = UTC_ZONE) -> datetime:
    """An aware instant from a local wall time in ``tz``."""
    return datetime.fromisoformat(text).replace(tzinfo=tz)


class Book:
    """An in-memory model of the service: it keeps what was allowed and what was paid."""

    def __init__(self, settings: TaskSettings) -> None:
        self.settings = settings
        self.stamps: list[PastStamp] = []
        self.awarded: defaultdict[int, set[str]] = defaultdict(set)
        self.group_awarded: set[str] = set()

    def stamp(
        self,
        when: datetime,
        tz: ZoneInfo = UTC_ZONE,
        *,
        member: int = 1,
        quantity: int = 1,
        partial: bool = False,
    ) -> Evaluation:
        evaluation = evaluate_stamp(
            self.settings,
            membership_id=member,
            quantity=quantity,
            partial=partial,
            history=[s for s in self.stamps if s.membership_id == member],
            group_history=self.stamps,
            awarded=self.awarded[member],
            group_awarded=self.group_awarded,
            now=when.astimezone(UTC),
            tz=tz,
        )
        if evaluation.allowed:
            self.stamps.append(
                PastStamp(member, when.astimezone(UTC), evaluation.local_date, quantity)
            )
            for award in evaluation.awards[1:]:
                assert award.key is not None
                for payee in award.payees:
                    assert award.key not in self.awarded[payee], "paid twice"
                    self.awarded[payee].add(award.key)
                if award.is_group:
                    self.group_awarded.add(award.key)
        return evaluation


def bonuses(evaluation: Evaluation) -> list[tuple[str, int]]:
    assert evaluation.allowed, evaluation.refusal
    return [(a.kind.value, a.points) for a in evaluation.awards[1:]]


def code(evaluation: Evaluation) -> str | None:
    return evaluation.refusal.code if evaluation.refusal else None


# --- Base value, partial, multiple, target ----------------------------------------------------


def test_base_value_is_point_value_times_quantity() -> None:
    book = Book(task(point_value=10, allows_multiple=True, max_multiple=3))
    evaluation = book.stamp(local("2024-01-01T10:00"), quantity=3)
    assert evaluation.awards[0].kind is AwardKind.BASE
    assert evaluation.points_for(1) == 30


def test_partial_stamp_earns_the_partial_value() -> None:
    book = Book(task(point_value=10, allows_partial=True, point_value_partial=4))
    evaluation = book.stamp(local("2024-01-01T10:00"), partial=True)
    assert evaluation.points_for(1) == 4
    assert evaluation.awards[0].name == "partial credit"


def test_partial_stamp_refused_when_the_task_gives_no_partial_credit() -> None:
    assert code(Book(task()).stamp(local("2024-01-01T10:00"), partial=True)) == (
        "partial_not_allowed"
    )


@pytest.mark.parametrize(("quantity", "expected"), [(5, None), (6, "max_reached")])
def test_quantity_exactly_at_max_multiple_is_allowed(quantity: int, expected: str | None) -> None:
    book = Book(task(allows_multiple=True, max_multiple=5))
    assert code(book.stamp(local("2024-01-01T10:00"), quantity=quantity)) == expected


def test_quantity_above_one_needs_allows_multiple() -> None:
    evaluation = Book(task()).stamp(local("2024-01-01T10:00"), quantity=2)
    assert code(evaluation) == "max_reached"
    assert evaluation.refusal is not None and evaluation.refusal.details["max_multiple"] == 1


def test_target_allows_exactly_the_target_then_refuses() -> None:
    book = Book(task(target=3))
    results = [code(book.stamp(local(f"2024-01-0{day}T10:00"))) for day in range(1, 6)]
    assert results == [None, None, None, "max_reached", "max_reached"]


def test_a_quantity_overshooting_the_target_is_refused_with_what_remains() -> None:
    book = Book(task(target=5, allows_multiple=True))
    book.stamp(local("2024-01-01T10:00"), quantity=3)
    refused = book.stamp(local("2024-01-02T10:00"), quantity=3)
    assert code(refused) == "max_reached"
    assert refused.refusal is not None and refused.refusal.details["remaining"] == 2
    assert code(book.stamp(local("2024-01-02T10:00"), quantity=2)) is None


# --- Deadline and availability ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-06-30T23:59:59+00:00", None),
        ("2024-07-01T00:00:00+00:00", "deadline_passed"),
        ("2024-07-01T00:00:01+00:00", "deadline_passed"),
    ],
)
def test_deadline_allows_the_last_second_before_it(now: str, expected: str | None) -> None:
    book = Book(task(deadline="2024-07-01T00:00:00Z"))
    assert code(book.stamp(datetime.fromisoformat(now))) == expected


WEEKDAY_HOURS = {
    "must_stamp_during": True,
    "schedules": [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["09:00", "17:00"]]}],
}


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ("2024-01-01T09:00:00", None),  # Monday, opening second
        ("2024-01-01T16:59:59", None),  # the last second
        ("2024-01-01T17:00:00", "task_unavailable"),
        ("2024-01-01T08:59:59", "task_unavailable"),
        ("2024-01-06T12:00:00", "task_unavailable"),  # Saturday
    ],
)
def test_must_stamp_during_its_schedule(wall: str, expected: str | None) -> None:
    book = Book(task(availability_settings=WEEKDAY_HOURS))
    assert code(book.stamp(local(wall, MADRID), MADRID)) == expected


def test_schedule_is_read_in_the_members_time_zone() -> None:
    book = Book(task(availability_settings=WEEKDAY_HOURS))
    # 10:00 in New York is 16:00 in Madrid and 15:00 UTC: open for the New York member...
    assert code(book.stamp(local("2024-01-02T10:00", NEW_YORK), NEW_YORK)) is None
    # ...while 16:30 in New York (22:30 in Madrid) is closed for them.
    assert code(book.stamp(local("2024-01-02T16:30", NEW_YORK), NEW_YORK)) is None
    assert code(book.stamp(local("2024-01-02T17:00", NEW_YORK), NEW_YORK)) == "task_unavailable"


def test_schedule_without_must_stamp_during_only_informs() -> None:
    settings = {**WEEKDAY_HOURS, "must_stamp_during": False}
    book = Book(task(availability_settings=settings))
    assert code(book.stamp(local("2024-01-06T12:00", MADRID), MADRID)) is None


# --- Frequency --------------------------------------------------------------------------------

TWICE_EVERY_THREE_DAYS = {"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"}


def test_twice_every_three_days_is_a_rolling_window_of_days() -> None:
    book = Book(task(frequency_settings=TWICE_EVERY_THREE_DAYS))
    assert code(book.stamp(local("2024-01-01T08:00"))) is None  # Monday
    assert code(book.stamp(local("2024-01-01T20:00"))) is None
    refused = book.stamp(local("2024-01-01T21:00"))
    assert code(refused) == "frequency_exceeded"
    assert refused.refusal is not None
    assert refused.refusal.details["resets_at"] == "2024-01-04T00:00:00+00:00"
    assert code(book.stamp(local("2024-01-02T12:00"))) == "frequency_exceeded"
    assert code(book.stamp(local("2024-01-03T23:59:59"))) == "frequency_exceeded"
    assert code(book.stamp(local("2024-01-04T00:00"))) is None  # Thursday


def test_rolling_window_counts_every_window_that_contains_today() -> None:
    book = Book(task(frequency_settings=TWICE_EVERY_THREE_DAYS))
    assert code(book.stamp(local("2024-01-01T08:00"))) is None  # Monday
    assert code(book.stamp(local("2024-01-03T08:00"))) is None  # Wednesday: Mon+Wed = 2
    assert code(book.stamp(local("2024-01-04T08:00"))) is None  # Tue..Thu holds Wed+Thu
    assert code(book.stamp(local("2024-01-05T08:00"))) == "frequency_exceeded"  # Wed..Fri
    assert code(book.stamp(local("2024-01-06T08:00"))) is None  # Thu..Sat: Thu+Sat


def test_weekly_frequency_resets_on_monday_in_local_time() -> None:
    book = Book(task(frequency_settings={"quantity": 1, "time_unit": "week"}))
    assert code(book.stamp(local("2024-01-01T10:00", MADRID), MADRID)) is None
    refused = book.stamp(local("2024-01-07T23:59", MADRID), MADRID)  # Sunday
    assert code(refused) == "frequency_exceeded"
    assert refused.refusal is not None
    assert refused.refusal.details["resets_at"] == "2024-01-07T23:00:00+00:00"  # Mon 00:00 CET
    assert code(book.stamp(local("2024-01-08T00:00", MADRID), MADRID)) is None


@pytest.mark.parametrize(
    ("unit", "first", "refused", "allowed"),
    [
        ("month", "2024-01-31T23:00", "2024-01-31T23:59", "2024-02-01T00:00"),
        ("year", "2024-12-31T10:00", "2024-12-31T23:59", "2025-01-01T00:00"),
    ],
)
def test_monthly_and_yearly_frequency(unit: str, first: str, refused: str, allowed: str) -> None:
    book = Book(task(frequency_settings={"quantity": 1, "time_unit": unit}))
    assert code(book.stamp(local(first))) is None
    assert code(book.stamp(local(refused))) == "frequency_exceeded"
    assert code(book.stamp(local(allowed))) is None


def test_frequency_counts_quantities() -> None:
    book = Book(task(allows_multiple=True, frequency_settings={"quantity": 3, "time_unit": "day"}))
    assert code(book.stamp(local("2024-01-01T10:00"), quantity=2)) is None
    assert code(book.stamp(local("2024-01-01T11:00"), quantity=2)) == "frequency_exceeded"
    assert code(book.stamp(local("2024-01-01T11:00"), quantity=1)) is None


@pytest.mark.parametrize(
    ("tz", "night"),
    [
        (MADRID, "2024-10-27"),  # clocks go back: a 25-hour day
        (MADRID, "2024-03-31"),  # clocks go forward: a 23-hour day
        (NEW_YORK, "2024-11-03"),
        (NEW_YORK, "2024-03-10"),
    ],
)
def test_daily_frequency_follows_local_days_over_dst_nights(tz: ZoneInfo, night: str) -> None:
    day = date.fromisoformat(night)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    book = Book(task(frequency_settings={"quantity": 1, "time_unit": "day"}))
    assert code(book.stamp(local(f"{before}T23:30", tz), tz)) is None
    assert code(book.stamp(local(f"{day}T00:10", tz), tz)) is None  # a new local day
    refused = book.stamp(local(f"{day}T23:50", tz), tz)  # same local day, however long
    assert code(refused) == "frequency_exceeded"
    assert refused.refusal is not None
    assert refused.refusal.details["resets_at"] == local_midnight(after, tz).isoformat()
    assert code(book.stamp(local(f"{after}T00:00", tz), tz)) is None


# --- Streaks ----------------------------------------------------------------------------------


def days(book: Book, *stamps: str, tz: ZoneInfo = UTC_ZONE) -> list[list[tuple[str, int]]]:
    return [bonuses(book.stamp(local(wall, tz), tz)) for wall in stamps]


def test_streak_pays_once_on_its_third_consecutive_day() -> None:
    book = Book(task(point_value=1, bonus_values={"streaks": [{"length": 3, "points": 5}]}))
    paid = days(
        book,
        "2024-01-01T09:00",
        "2024-01-02T09:00",
        "2024-01-03T09:00",
        "2024-01-04T09:00",
        "2024-01-06T09:00",
        "2024-01-07T09:00",
        "2024-01-08T09:00",
    )
    assert paid == [[], [], [("streak", 5)], [], [], [], []]


def test_repeatable_streak_pays_every_length_days_of_one_run() -> None:
    book = Book(task(bonus_values={"streaks": [{"length": 2, "points": 3, "is_repeatable": True}]}))
    paid = days(book, *(f"2024-01-0{d}T09:00" for d in range(1, 6)))
    assert paid == [[], [("streak", 3)], [], [("streak", 3)], []]


def test_the_first_day_after_a_gap_starts_a_new_streak() -> None:
    book = Book(task(bonus_values={"streaks": [{"length": 3, "points": 5, "is_repeatable": True}]}))
    paid = days(
        book,
        "2024-01-01T09:00",
        "2024-01-02T09:00",
        "2024-01-04T09:00",  # Wednesday missed: the run starts again here
        "2024-01-05T09:00",
        "2024-01-06T09:00",
    )
    assert paid == [[], [], [], [], [("streak", 5)]]


def test_a_second_stamp_on_the_same_day_does_not_extend_a_streak() -> None:
    book = Book(task(bonus_values={"streaks": [{"length": 2, "points": 5}]}))
    paid = days(book, "2024-01-01T09:00", "2024-01-01T21:00", "2024-01-02T08:00")
    assert paid == [[], [], [("streak", 5)]]


@pytest.mark.parametrize(
    ("tz", "night"),
    [
        (MADRID, "2024-10-27"),
        (MADRID, "2024-03-31"),
        (NEW_YORK, "2024-11-03"),
        (NEW_YORK, "2024-03-10"),
    ],
)
def test_a_dst_night_neither_breaks_nor_doubles_a_streak(tz: ZoneInfo, night: str) -> None:
    day = date.fromisoformat(night)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    book = Book(task(bonus_values={"streaks": [{"length": 3, "points": 5}]}))
    paid = days(
        book,
        f"{before}T23:59",
        f"{day}T00:01",  # two minutes later, but the next local day
        f"{day}T23:59",  # same local day: no double
        f"{after}T23:59",  # 23, 24 or 25 hours after the day began: the third day
        tz=tz,
    )
    assert paid == [[], [], [], [("streak", 5)]]


def test_travel_westwards_neither_breaks_nor_doubles_a_streak() -> None:
    book = Book(task(bonus_values={"streaks": [{"length": 3, "points": 5}]}))
    assert bonuses(book.stamp(local("2024-01-01T23:30", MADRID), MADRID)) == []  # Monday
    # Flies to New York; Monday 19:00 there is later than the stamp in Madrid: still Monday.
    assert bonuses(book.stamp(local("2024-01-01T19:00", NEW_YORK), NEW_YORK)) == []
    assert bonuses(book.stamp(local("2024-01-02T20:00", NEW_YORK), NEW_YORK)) == []  # Tuesday
    assert bonuses(book.stamp(local("2024-01-03T08:00", NEW_YORK), NEW_YORK)) == [("streak", 5)]


def test_travel_eastwards_keeps_the_days_the_member_lived() -> None:
    book = Book(task(bonus_values={"streaks": [{"length": 3, "points": 5}]}))
    # Monday 20:00 in New York is already Tuesday 02:00 in Madrid; it stays Monday.
    assert bonuses(book.stamp(local("2024-01-01T20:00", NEW_YORK), NEW_YORK)) == []
    assert bonuses(book.stamp(local("2024-01-02T22:00", MADRID), MADRID)) == []  # Tuesday
    assert bonuses(book.stamp(local("2024-01-03T07:00", MADRID), MADRID)) == [("streak", 5)]


def test_weekly_and_monthly_streaks() -> None:
    book = Book(
        task(
            bonus_values={
                "streaks": [
                    {"length": 2, "points": 7, "period": "week"},
                    {"length": 2, "points": 9, "period": "month"},
                ]
            }
        )
    )
    assert bonuses(book.stamp(local("2024-01-28T10:00"))) == []  # Sunday of ISO week 4
    assert bonuses(book.stamp(local("2024-01-29T10:00"))) == [("streak", 7)]  # Monday, week 5
    assert bonuses(book.stamp(local("2024-02-01T10:00"))) == [("streak", 9)]  # February


# --- Milestones, completion, first time -------------------------------------------------------


def test_milestones_pay_once_when_the_count_reaches_them() -> None:
    book = Book(
        task(
            allows_multiple=True,
            bonus_values={
                "milestones": [{"points": 5, "quantity": 3}, {"points": 50, "quantity": 10}]
            },
        )
    )
    assert bonuses(book.stamp(local("2024-01-01T10:00"), quantity=2)) == []
    assert bonuses(book.stamp(local("2024-01-01T11:00"))) == [("milestone", 5)]  # exactly 3
    assert bonuses(book.stamp(local("2024-01-01T12:00"), quantity=9)) == [("milestone", 50)]
    assert bonuses(book.stamp(local("2024-01-01T13:00"))) == []


def test_completion_bonus_when_the_total_reaches_the_target() -> None:
    book = Book(task(allows_multiple=True, target=4, bonus_values={"reach_total": 20}))
    assert bonuses(book.stamp(local("2024-01-01T10:00"), quantity=3)) == []
    assert bonuses(book.stamp(local("2024-01-01T11:00"))) == [("completion", 20)]
    assert code(book.stamp(local("2024-01-01T12:00"))) == "max_reached"


def test_first_time_bonus_only_with_the_first_stamp() -> None:
    book = Book(task(bonus_values={"first_time_only": 7}))
    assert bonuses(book.stamp(local("2024-01-01T10:00"))) == [("first_time", 7)]
    assert bonuses(book.stamp(local("2024-01-02T10:00"))) == []
    assert bonuses(book.stamp(local("2024-01-02T10:00"), member=2)) == [("first_time", 7)]


def test_a_bonus_already_awarded_is_not_paid_again() -> None:
    evaluation = evaluate_stamp(
        task(bonus_values={"first_time_only": 7}),
        membership_id=1,
        quantity=1,
        partial=False,
        history=[],
        awarded={"first_time"},
        now=local("2024-01-01T10:00"),
        tz=UTC_ZONE,
    )
    assert bonuses(evaluation) == []


def test_breakdown_lists_each_bonus_with_its_name() -> None:
    book = Book(
        task(
            point_value=10,
            target=1,
            bonus_values={
                "reach_total": 3,
                "first_time_only": 2,
                "milestones": [{"name": "One!", "points": 1, "quantity": 1}],
                "streaks": [{"length": 1, "points": 4}],
            },
        )
    )
    evaluation = book.stamp(local("2024-01-01T10:00"))
    assert [(a.kind.value, a.name, a.points) for a in evaluation.awards] == [
        ("base", None, 10),
        ("first_time", "first time", 2),
        ("completion", "target reached", 3),
        ("milestone", "One!", 1),
        ("streak", "1-day streak", 4),
    ]
    assert evaluation.points_for(1) == 20


# --- Group bonuses ----------------------------------------------------------------------------


def test_group_success_pays_every_contributor_once() -> None:
    book = Book(
        task(
            allows_multiple=True,
            group_target=5,
            bonus_values={"group_success": {"points": 30, "group_min_members": 2}},
        )
    )
    assert bonuses(book.stamp(local("2024-01-01T10:00"), member=1, quantity=4)) == []
    evaluation = book.stamp(local("2024-01-01T11:00"), member=2)
    assert bonuses(evaluation) == [("group_success", 30)]
    assert evaluation.group_payees == {1, 2}
    assert bonuses(book.stamp(local("2024-01-01T12:00"), member=3)) == []


def test_group_success_waits_for_its_minimum_of_members() -> None:
    book = Book(
        task(
            allows_multiple=True,
            group_target=3,
            bonus_values={"group_success": {"points": 30, "group_min_members": 3}},
        )
    )
    assert bonuses(book.stamp(local("2024-01-01T10:00"), member=1, quantity=3)) == []
    assert bonuses(book.stamp(local("2024-01-01T11:00"), member=2)) == []
    evaluation = book.stamp(local("2024-01-01T12:00"), member=3)
    assert bonuses(evaluation) == [("group_success", 30)]
    assert evaluation.group_payees == {1, 2, 3}


def test_group_milestones_with_minimum_members() -> None:
    book = Book(
        task(
            bonus_values={
                "group_milestones": [
                    {"points": 2, "quantity": 2, "group_min_members": 1},
                    {"points": 4, "quantity": 3, "group_min_members": 3},
                ]
            }
        )
    )
    assert bonuses(book.stamp(local("2024-01-01T10:00"), member=1)) == []
    assert bonuses(book.stamp(local("2024-01-02T10:00"), member=1)) == [("group_milestone", 2)]
    assert bonuses(book.stamp(local("2024-01-03T10:00"), member=2)) == []  # 2 members only
    evaluation = book.stamp(local("2024-01-04T10:00"), member=3)
    assert bonuses(evaluation) == [("group_milestone", 4)]
    assert evaluation.group_payees == {1, 2, 3}


def test_group_streak_counts_days_on_which_anyone_stamped() -> None:
    book = Book(
        task(bonus_values={"group_streaks": [{"length": 3, "points": 6, "group_min_members": 2}]})
    )
    assert bonuses(book.stamp(local("2024-01-01T10:00"), member=1)) == []
    assert bonuses(book.stamp(local("2024-01-02T10:00"), member=2)) == []
    assert bonuses(book.stamp(local("2024-01-02T11:00"), member=1)) == []  # same day
    evaluation = book.stamp(local("2024-01-03T10:00"), member=1)
    assert bonuses(evaluation) == [("group_streak", 6)]
    assert evaluation.group_payees == {1, 2}


def test_group_streak_needs_its_minimum_of_members() -> None:
    book = Book(
        task(bonus_values={"group_streaks": [{"length": 2, "points": 6, "group_min_members": 2}]})
    )
    assert bonuses(book.stamp(local("2024-01-01T10:00"), member=1)) == []
    assert bonuses(book.stamp(local("2024-01-02T10:00"), member=1)) == []


# --- Revocation -------------------------------------------------------------------------------


def stamps_of(member: int, *quantities: int) -> list[PastStamp]:
    at = local("2024-01-01T10:00")
    return [PastStamp(member, at, at.date(), q) for q in quantities]


def test_lost_awards_rechecks_thresholds() -> None:
    settings = task(
        allows_multiple=True,
        target=5,
        group_target=6,
        bonus_values={
            "reach_total": 10,
            "first_time_only": 1,
            "milestones": [{"points": 2, "quantity": 3}, {"points": 2, "quantity": 1}],
            "group_success": {"points": 5},
            "group_milestones": [{"points": 1, "quantity": 2, "group_min_members": 2}],
        },
    )
    remaining = stamps_of(1, 2)
    lost, group_lost = lost_awards(
        settings,
        history=remaining,
        group_history=remaining + stamps_of(2, 1),
        awarded={"first_time", "completion", "milestone:3", "milestone:1", "streak:day:2"},
        group_awarded={"group:success", "group_milestone:2"},
    )
    assert lost == {"completion", "milestone:3"}
    assert group_lost == {"group:success"}
    lost, _ = lost_awards(settings, history=[], awarded={"first_time"})
    assert lost == {"first_time"}


@pytest.mark.parametrize(("minutes", "allowed"), [(0, True), (15, True), (15.02, False)])
def test_grace_period(minutes: float, allowed: bool) -> None:
    stamped = local("2024-01-01T10:00")
    assert within_grace_period(stamped, stamped + timedelta(minutes=minutes)) is allowed


# --- Settings validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"point_value": -1},
        {"point_value": 1.5},
        {"point_value": 10**13},
        {"point_value": "10"},
        {"point_value": True},
        {"max_multiple": 0},
        {"target": 0},
        {"frequency_settings": {"quantity": 0, "time_unit": "day"}},
        {"frequency_settings": {"quantity": 1, "time_unit": "fortnight"}},
        {"frequency_settings": {"quantity": 1, "time_unit_quantity": 0, "time_unit": "day"}},
        {"frequency_settings": {"quantity": 1}},
        {"availability_settings": {"schedules": [{"days_of_week": [9]}]}},
        {"availability_settings": {"schedules": [{"time_ranges": [["10:00", "10:00"]]}]}},
        {"availability_settings": {"schedules": [{"rrule": "FREQ=HOURLY"}]}},
        {"bonus_values": {"streaks": [{"length": 3, "points": 0}]}},
        {"bonus_values": {"milestones": [{"points": 1, "quantity": -2}]}},
        {"bonus_values": {"unknown": 1}},
        {"deadline": "2024-07-01T00:00:00"},  # naive
    ],
)
def test_bad_settings_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        task(**fields)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"allows_partial": True}, "point_value_partial"),
        ({"point_value": 2, "point_value_partial": 3}, "point_value_partial"),
        ({"max_multiple": 3}, "max_multiple"),
        ({"availability_settings": {"must_stamp_during": True}}, "availability_settings.schedules"),
        ({"bonus_values": {"reach_total": 5}}, "bonus_values.reach_total"),
        ({"bonus_values": {"group_success": {"points": 5}}}, "bonus_values.group_success"),
        (
            {"bonus_values": {"streaks": [{"length": 2, "points": 1}, {"length": 2, "points": 3}]}},
            "bonus_values.streaks",
        ),
    ],
)
def test_check_settings_names_the_field(fields: dict[str, Any], field: str) -> None:
    assert [name for name, _ in check_settings(task(**fields))] == [field]


def test_an_override_replaces_only_what_it_sets() -> None:
    base = task(target=10, deadline="2024-07-01T00:00:00Z")
    merged = effective_settings(base, OverrideSettings(target=3))
    assert merged.target == 3
    assert merged.deadline == base.deadline
    assert effective_settings(base, None) is base


# --- Properties ------------------------------------------------------------------------------


@given(
    limit=st.integers(1, 3),
    span=st.integers(1, 4),
    unit=st.sampled_from(["day", "week"]),
    gaps=st.lists(st.integers(0, 60 * 60 * 30), min_size=1, max_size=25),
    zone=st.sampled_from([UTC_ZONE, MADRID, NEW_YORK]),
)
@settings(max_examples=60, deadline=None)
def test_frequency_never_exceeded_in_any_window(
    limit: int, span: int, unit: str, gaps: list[int], zone: ZoneInfo
) -> None:
    book = Book(
        task(
            target=12,
            frequency_settings={"quantity": limit, "time_unit_quantity": span, "time_unit": unit},
            bonus_values={
                "first_time_only": 1,
                "streaks": [
                    {"length": 2, "points": 1},
                    {"length": 3, "points": 1, "is_repeatable": True},
                ],
            },
        )
    )
    when = local("2024-03-25T00:00", zone)
    for gap in gaps:
        when += timedelta(seconds=gap)
        evaluation = book.stamp(when, zone)  # Book asserts no bonus is paid twice
        if not evaluation.allowed:
            assert code(evaluation) in {"frequency_exceeded", "max_reached"}
    assert sum(s.quantity for s in book.stamps) <= 12
    per_period: defaultdict[int, int] = defaultdict(int)
    for stamp in book.stamps:
        per_period[period_index(stamp.local_date, unit)] += stamp.quantity
    for start in per_period:
        for first in range(start - span + 1, start + 1):
            assert sum(per_period.get(i, 0) for i in range(first, first + span)) <= limit


def test_a_streak_in_progress_is_counted_as_stamps_count_it() -> None:
    """The rule behind "My streaks" (``tasks.rules.streak_in_progress``)."""
    monday = date(2026, 3, 2)
    days = [monday - timedelta(days=n) for n in range(1, 4)]  # Sunday, Saturday, Friday
    assert streak_in_progress(days, "day", monday) == (3, False)
    assert streak_in_progress([monday, *days], "day", monday) == (4, True)
    assert streak_in_progress(days[1:], "day", monday) == (0, False)  # Sunday missed
    # Weeks are ISO weeks: Friday to Sunday is one week, the one before this Monday's.
    assert streak_in_progress(days, "week", monday) == (1, False)
    assert streak_in_progress([date(2026, 1, 31), date(2026, 2, 1)], "month", monday) == (2, False)
