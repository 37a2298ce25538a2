"""What a stamp may do and what it earns: pure functions, no database, no clock.

A task's options are validated Pydantic models (:class:`TaskSettings` and its parts); the
database keeps scalars as columns and structures as JSON of these models.

Time. Every stamp keeps the **local calendar date** on which it was made, in the member's
time zone at that moment (``PastStamp.local_date``). Days, weeks (ISO, Monday first),
months and years are counted on those dates, never by adding hours to instants, so a DST
night (a 23- or 25-hour day) or a member who travels never breaks or doubles a streak or a
frequency window: each stamp belongs to the day its member lived it.

Frequency (``quantity`` every ``time_unit_quantity`` ``time_unit``): **rolling windows of
whole local calendar units**. A stamp is allowed when, in every run of
``time_unit_quantity`` consecutive units (days, ISO weeks, months, years) that contains
today, the quantities stamped plus this one stay within ``quantity``. "Twice every three
days" thus allows two on Monday, none on Tuesday and Wednesday, two again on Thursday; a
refusal says when (local midnight of the first unit that fits, as UTC) it resets.

Streaks: a streak is the run of consecutive periods (day, week or month) with at least one
stamp, ending with the period of the new stamp. Only the first stamp of a period can
extend it. A non-repeatable streak bonus pays once when the run first reaches its length;
a repeatable one pays every ``length`` periods of one run (3, 6, 9...).

Stamps and limits: ``allows_multiple`` lets one stamp carry a quantity up to
``max_multiple``; ``target`` caps a member's total quantity (and its completion bonus
``reach_total`` pays when the total reaches it). Partial stamps earn
``point_value_partial`` per unit and otherwise count like full ones.

Every bonus paid is recorded under a stable key (``completion``, ``milestone:5``,
``streak:day:3``, a repeatable instance ``streak:day:3@738000``...), which the database
keeps unique per member (and per task for group bonuses), so no bonus is paid twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stampbook.core.schemas import NOT_BLANK, Moment, Strip, only_if, sent
from stampbook.schedules.periods import (
    TimeUnit,
    local_date,
    local_midnight,
    period_index,
    period_start,
)
from stampbook.schedules.rules import Schedule, is_open

# Bounds that keep every product far below the ledger's limits (10**12 per entry).
MAX_TASK_POINTS = 10**9
MAX_MULTIPLE = 1000
MAX_COUNT = 10**6
MAX_GROUP_COUNT = 10**9
MAX_SPAN = 366
MAX_BONUSES = 20
MAX_SCHEDULES = 20
# Whoever made a stamp may take it back for this long; managers may at any time.
REVOKE_GRACE_PERIOD = timedelta(minutes=15)

TaskPoints = Annotated[int, Field(ge=0, le=MAX_TASK_POINTS, strict=True)]
BonusPoints = Annotated[int, Field(ge=1, le=MAX_TASK_POINTS, strict=True)]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT, strict=True)]
GroupCount = Annotated[int, Field(ge=1, le=MAX_GROUP_COUNT, strict=True)]
Span = Annotated[int, Field(ge=1, le=MAX_SPAN, strict=True)]
Multiple = Annotated[int, Field(ge=1, le=MAX_MULTIPLE, strict=True)]
BonusName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Strip
]


class StreakPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FrequencySettings(_Settings):
    """At most ``quantity`` in any ``time_unit_quantity`` consecutive ``time_unit``s."""

    quantity: Count = Field(examples=[2])
    time_unit_quantity: Span = Field(1, examples=[3])
    time_unit: TimeUnit = Field(examples=["day"])


class AvailabilitySettings(_Settings):
    """When the task is open, in the member's time zone (the shop's for unclaimed members)."""

    model_config = ConfigDict(
        json_schema_extra=only_if(
            sent("must_stamp_during", {"const": True}),
            sent("schedules", {"type": "array", "minItems": 1}),
        )
    )

    must_stamp_during: bool = Field(
        False, description="Refuse stamps outside the schedules (otherwise they only inform)."
    )
    schedules: list[Schedule] = Field(
        default_factory=list,
        max_length=MAX_SCHEDULES,
        examples=[[{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["08:00", "10:00"]]}]],
    )


class StreakBonus(_Settings):
    name: BonusName | None = Field(None, examples=["3-day streak"])
    length: Count = Field(examples=[3])
    points: BonusPoints = Field(examples=[5])
    period: StreakPeriod = StreakPeriod.DAY
    is_repeatable: bool = False

    @property
    def key(self) -> str:
        return f"streak:{self.period}:{self.length}"

    @property
    def label(self) -> str:
        return self.name or f"{self.length}-{self.period} streak"


class MilestoneBonus(_Settings):
    name: BonusName | None = Field(None, examples=["Ten coffees"])
    points: BonusPoints = Field(examples=[20])
    quantity: Count = Field(examples=[10])

    @property
    def key(self) -> str:
        return f"milestone:{self.quantity}"

    @property
    def label(self) -> str:
        return self.name or f"{self.quantity} completions"


class GroupSuccessBonus(_Settings):
    """Paid to every contributing member when all stamps together reach ``group_target``."""

    points: BonusPoints = Field(examples=[30])
    group_min_members: Count = Field(1, examples=[3])


class GroupStreakBonus(StreakBonus):
    group_min_members: Count = Field(1, examples=[2])

    @property
    def key(self) -> str:
        return f"group_streak:{self.period}:{self.length}"

    @property
    def label(self) -> str:
        return self.name or f"group {self.length}-{self.period} streak"


class GroupMilestoneBonus(_Settings):
    name: BonusName | None = Field(None, examples=["Hundred together"])
    points: BonusPoints = Field(examples=[10])
    quantity: GroupCount = Field(examples=[100])
    group_min_members: Count = Field(1, examples=[3])

    @property
    def key(self) -> str:
        return f"group_milestone:{self.quantity}"

    @property
    def label(self) -> str:
        return self.name or f"group {self.quantity} completions"


class BonusValues(_Settings):
    reach_total: TaskPoints = Field(
        0, description="Completion bonus: paid once when a member's total reaches `target`."
    )
    first_time_only: TaskPoints = Field(
        0, description="Paid with a member's first stamp of the task."
    )
    streaks: list[StreakBonus] = Field(default_factory=list, max_length=MAX_BONUSES)
    milestones: list[MilestoneBonus] = Field(default_factory=list, max_length=MAX_BONUSES)
    group_success: GroupSuccessBonus | None = None
    group_streaks: list[GroupStreakBonus] = Field(default_factory=list, max_length=MAX_BONUSES)
    group_milestones: list[GroupMilestoneBonus] = Field(
        default_factory=list, max_length=MAX_BONUSES
    )

    @property
    def has_group_bonuses(self) -> bool:
        return bool(self.group_success or self.group_streaks or self.group_milestones)


class TaskSettings(_Settings):
    """Every option of a task that decides what a stamp may do and earns."""

    point_value: TaskPoints = Field(0, examples=[10])
    allows_partial: bool = False
    point_value_partial: TaskPoints | None = Field(None, examples=[4])
    allows_multiple: bool = False
    max_multiple: Multiple | None = Field(None, description="Most quantity one stamp carries.")
    target: Count | None = Field(None, description="Most total quantity per member.")
    group_target: GroupCount | None = Field(None, description="Total of all members together.")
    deadline: Moment | None = Field(None, description="No stamps at or after this time.")
    availability_settings: AvailabilitySettings = Field(default_factory=AvailabilitySettings)
    frequency_settings: FrequencySettings | None = None
    bonus_values: BonusValues = Field(default_factory=BonusValues)


class OverrideSettings(_Settings):
    """A member's own target, deadline, availability and frequency; None keeps the task's."""

    target: Count | None = None
    deadline: Moment | None = None
    availability_settings: AvailabilitySettings | None = None
    frequency_settings: FrequencySettings | None = None


def effective_settings(settings: TaskSettings, override: OverrideSettings | None) -> TaskSettings:
    if override is None:
        return settings
    changes = {
        name: value
        for name in OverrideSettings.model_fields
        if (value := getattr(override, name)) is not None
    }
    return settings.model_copy(update=changes)


def check_settings(settings: TaskSettings) -> list[tuple[str, str]]:
    """Rules between fields that one field's type cannot say: ``[(field, message)]``."""
    problems: list[tuple[str, str]] = []
    bonuses = settings.bonus_values
    if settings.allows_partial and settings.point_value_partial is None:
        problems.append(("point_value_partial", "Required when allows_partial is true."))
    if (
        settings.point_value_partial is not None
        and settings.point_value_partial > settings.point_value
    ):
        problems.append(("point_value_partial", "Must not exceed point_value."))
    if settings.max_multiple is not None and not settings.allows_multiple:
        problems.append(("max_multiple", "Needs allows_multiple."))
    if settings.availability_settings.must_stamp_during and not (
        settings.availability_settings.schedules
    ):
        problems.append(
            ("availability_settings.schedules", "Required when must_stamp_during is true.")
        )
    if bonuses.reach_total and settings.target is None:
        problems.append(("bonus_values.reach_total", "A completion bonus needs a target."))
    if bonuses.group_success is not None and settings.group_target is None:
        problems.append(
            ("bonus_values.group_success", "A group success bonus needs a group_target.")
        )
    for name, items in (
        ("streaks", bonuses.streaks),
        ("milestones", bonuses.milestones),
        ("group_streaks", bonuses.group_streaks),
        ("group_milestones", bonuses.group_milestones),
    ):
        keys = [item.key for item in items]
        if len(keys) != len(set(keys)):
            problems.append((f"bonus_values.{name}", "Two bonuses have the same threshold."))
    return problems


# --- Streaks --------------------------------------------------------------------------------


def _run_length(periods: Set[int], current: int) -> int:
    """How many consecutive periods end at ``current`` (which counts even if absent)."""
    run = 1
    while current - run in periods:
        run += 1
    return run


def streak_in_progress(dates: Iterable[date], period: str, today: date) -> tuple[int, bool]:
    """The streak a member has going on ``today``, counted as stamps count it.

    ``(length, current)``: how many consecutive periods (days, weeks, months) hold a stamp,
    ending with the current period (``current`` True) or, while the current one has no stamp
    yet, with the one before (the streak is still alive). ``(0, False)`` when it is broken.
    """
    periods = {period_index(d, period) for d in dates}
    now = period_index(today, period)
    if now in periods:
        return _run_length(periods, now), True
    if now - 1 in periods:
        return _run_length(periods, now - 1), False
    return 0, False


# --- Evaluating a stamp ---------------------------------------------------------------------


@dataclass(frozen=True)
class PastStamp:
    """An earlier, not revoked, stamp of the task."""

    membership_id: int
    at: datetime
    local_date: date
    quantity: int


@dataclass(frozen=True)
class Refusal:
    """Why a stamp is refused: ``details`` for the caller, ``wording`` for the words besides
    them (core.wording says the code, filled in with :attr:`params`)."""

    code: str  # stable: deadline_passed, task_unavailable, max_reached, frequency_exceeded...
    details: dict[str, Any] = field(default_factory=dict)
    wording: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        return {**self.details, **self.wording}


class AwardKind(StrEnum):
    BASE = "base"
    FIRST_TIME = "first_time"
    COMPLETION = "completion"
    MILESTONE = "milestone"
    STREAK = "streak"
    GROUP_SUCCESS = "group_success"
    GROUP_MILESTONE = "group_milestone"
    GROUP_STREAK = "group_streak"


GROUP_KINDS = frozenset(
    {AwardKind.GROUP_SUCCESS, AwardKind.GROUP_MILESTONE, AwardKind.GROUP_STREAK}
)
FIRST_TIME_KEY = "first_time"
COMPLETION_KEY = "completion"
GROUP_SUCCESS_KEY = "group:success"


@dataclass(frozen=True)
class Award:
    """Points a stamp pays to each of ``payees``; ``key`` is recorded (None for the base)."""

    kind: AwardKind
    points: int
    payees: frozenset[int]
    name: str | None = None
    key: str | None = None

    @property
    def is_group(self) -> bool:
        return self.kind in GROUP_KINDS


@dataclass(frozen=True)
class Evaluation:
    local_date: date
    refusal: Refusal | None = None
    awards: tuple[Award, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    def points_for(self, membership_id: int) -> int:
        return sum(a.points for a in self.awards if membership_id in a.payees)

    @property
    def group_payees(self) -> frozenset[int]:
        return frozenset().union(*(a.payees for a in self.awards if a.is_group))


def max_per_stamp(settings: TaskSettings) -> int:
    if not settings.allows_multiple:
        return 1
    return settings.max_multiple or MAX_MULTIPLE


def evaluate_stamp(
    settings: TaskSettings,
    *,
    membership_id: int,
    quantity: int,
    partial: bool,
    history: Sequence[PastStamp],
    group_history: Sequence[PastStamp] = (),
    awarded: Set[str] = frozenset(),
    group_awarded: Set[str] = frozenset(),
    now: datetime,
    tz: ZoneInfo,
) -> Evaluation:
    """Whether a stamp of ``quantity`` for ``membership_id`` is allowed ``now``, and its awards.

    ``history``: the member's earlier stamps of the task; ``group_history``: every member's
    (needed only for group bonuses); ``awarded`` / ``group_awarded``: bonus keys already paid
    to the member / to the group.
    """
    if quantity < 1:
        raise ValueError("a stamp carries a quantity of at least 1")
    today = local_date(now, tz)
    refusal = _refusal(settings, quantity, partial, history, today, now, tz)
    if refusal is not None:
        return Evaluation(today, refusal)
    me = frozenset({membership_id})
    unit_value = (settings.point_value_partial or 0) if partial else settings.point_value
    awards = [
        Award(AwardKind.BASE, unit_value * quantity, me, "partial credit" if partial else None)
    ]
    awards += _member_bonuses(settings, me, quantity, history, awarded, today)
    if settings.bonus_values.has_group_bonuses:
        awards += _group_bonuses(
            settings, membership_id, quantity, group_history, group_awarded, today
        )
    return Evaluation(today, None, tuple(awards))


def _refusal(
    settings: TaskSettings,
    quantity: int,
    partial: bool,
    history: Sequence[PastStamp],
    today: date,
    now: datetime,
    tz: ZoneInfo,
) -> Refusal | None:
    if settings.deadline is not None and now >= settings.deadline:
        return Refusal("deadline_passed", {"deadline": settings.deadline.isoformat()})
    availability = settings.availability_settings
    if availability.must_stamp_during and not is_open(availability.schedules, now, tz):
        return Refusal("task_unavailable")
    if partial and not settings.allows_partial:
        return Refusal("partial_not_allowed")
    limit = max_per_stamp(settings)
    if quantity > limit:
        return Refusal("max_reached", {"max_multiple": limit}, {"reached": "stamp"})
    if settings.target is not None:
        remaining = max(settings.target - sum(s.quantity for s in history), 0)
        if quantity > remaining:
            return Refusal(
                "max_reached",
                {"target": settings.target, "remaining": remaining},
                {"reached": "target" if remaining == 0 else "remaining"},
            )
    if settings.frequency_settings is not None:
        return _frequency_refusal(settings.frequency_settings, history, today, quantity, tz)
    return None


def _frequency_refusal(
    frequency: FrequencySettings,
    history: Sequence[PastStamp],
    today: date,
    quantity: int,
    tz: ZoneInfo,
) -> Refusal | None:
    unit, span, limit = frequency.time_unit, frequency.time_unit_quantity, frequency.quantity
    current = period_index(today, unit)
    # Quantities per period over every window that may matter now or before the reset.
    first, last = current - span, current + 3 * span
    counts: Counter[int] = Counter()
    for stamp in history:
        index = period_index(stamp.local_date, unit)
        if first <= index <= last:
            counts[index] += stamp.quantity
    prefix = [0]
    for index in range(first, last + 1):
        prefix.append(prefix[-1] + counts[index])

    def fits(at: int) -> bool:
        # Every window of `span` periods that contains `at` must leave room.
        return all(
            prefix[start + span - first] - prefix[start - first] + quantity <= limit
            for start in range(at - span + 1, at + 1)
        )

    if fits(current):
        return None
    details: dict[str, Any] = {"limit": limit, "every": span, "time_unit": unit.value}
    if quantity <= limit:
        resets = next((i for i in range(current + 1, current + 2 * span + 1) if fits(i)), None)
        if resets is not None:
            details["resets_at"] = local_midnight(period_start(resets, unit), tz).isoformat()
    return Refusal("frequency_exceeded", details)


def _member_bonuses(
    settings: TaskSettings,
    me: frozenset[int],
    quantity: int,
    history: Sequence[PastStamp],
    awarded: Set[str],
    today: date,
) -> list[Award]:
    bonuses = settings.bonus_values
    total = sum(s.quantity for s in history) + quantity
    awards: list[Award] = []
    if bonuses.first_time_only and not history and FIRST_TIME_KEY not in awarded:
        awards.append(
            Award(AwardKind.FIRST_TIME, bonuses.first_time_only, me, "first time", FIRST_TIME_KEY)
        )
    if (
        bonuses.reach_total
        and settings.target is not None
        and total >= settings.target
        and COMPLETION_KEY not in awarded
    ):
        awards.append(
            Award(AwardKind.COMPLETION, bonuses.reach_total, me, "target reached", COMPLETION_KEY)
        )
    for milestone in sorted(bonuses.milestones, key=lambda m: m.quantity):
        if total >= milestone.quantity and milestone.key not in awarded:
            awards.append(
                Award(AwardKind.MILESTONE, milestone.points, me, milestone.label, milestone.key)
            )
    dates = [s.local_date for s in history]
    for streak in bonuses.streaks:
        key = _streak_key(streak, dates, today)
        if key is not None and key not in awarded:
            awards.append(Award(AwardKind.STREAK, streak.points, me, streak.label, key))
    return awards


def _streak_key(streak: StreakBonus, dates: Iterable[date], today: date) -> str | None:
    """The key of the streak bonus a stamp made ``today`` earns, if any."""
    periods = {period_index(d, streak.period) for d in dates}
    current = period_index(today, streak.period)
    if current in periods:
        return None  # only the first stamp of a period extends a streak
    run = _run_length(periods, current)
    if streak.is_repeatable:
        return f"{streak.key}@{current}" if run % streak.length == 0 else None
    return streak.key if run >= streak.length else None


def _group_bonuses(
    settings: TaskSettings,
    membership_id: int,
    quantity: int,
    group_history: Sequence[PastStamp],
    group_awarded: Set[str],
    today: date,
) -> list[Award]:
    bonuses = settings.bonus_values
    total = sum(s.quantity for s in group_history) + quantity
    contributors = frozenset({s.membership_id for s in group_history} | {membership_id})
    awards: list[Award] = []
    success = bonuses.group_success
    if (
        success is not None
        and settings.group_target is not None
        and total >= settings.group_target
        and len(contributors) >= success.group_min_members
        and GROUP_SUCCESS_KEY not in group_awarded
    ):
        awards.append(
            Award(
                AwardKind.GROUP_SUCCESS,
                success.points,
                contributors,
                "group success",
                GROUP_SUCCESS_KEY,
            )
        )
    for milestone in sorted(bonuses.group_milestones, key=lambda m: m.quantity):
        if (
            total >= milestone.quantity
            and len(contributors) >= milestone.group_min_members
            and milestone.key not in group_awarded
        ):
            awards.append(
                Award(
                    AwardKind.GROUP_MILESTONE,
                    milestone.points,
                    contributors,
                    milestone.label,
                    milestone.key,
                )
            )
    for streak in bonuses.group_streaks:
        award = _group_streak_award(streak, membership_id, group_history, group_awarded, today)
        if award is not None:
            awards.append(award)
    return awards


def _group_streak_award(
    streak: GroupStreakBonus,
    membership_id: int,
    group_history: Sequence[PastStamp],
    group_awarded: Set[str],
    today: date,
) -> Award | None:
    """A group streak: consecutive periods in which someone stamped; paid to those who did."""
    members_by_period: defaultdict[int, set[int]] = defaultdict(set)
    for stamp in group_history:
        members_by_period[period_index(stamp.local_date, streak.period)].add(stamp.membership_id)
    current = period_index(today, streak.period)
    if current in members_by_period:
        return None
    run = _run_length(members_by_period.keys(), current)
    if streak.is_repeatable:
        key = f"{streak.key}@{current}" if run % streak.length == 0 else None
    else:
        key = streak.key if run >= streak.length else None
    if key is None or key in group_awarded:
        return None
    members = {membership_id}.union(
        *(members_by_period[p] for p in range(current - run + 1, current))
    )
    if len(members) < streak.group_min_members:
        return None
    return Award(AwardKind.GROUP_STREAK, streak.points, frozenset(members), streak.label, key)


# --- Revoking a stamp -----------------------------------------------------------------------


def lost_awards(
    settings: TaskSettings,
    *,
    history: Sequence[PastStamp],
    group_history: Sequence[PastStamp] = (),
    awarded: Set[str],
    group_awarded: Set[str] = frozenset(),
) -> tuple[frozenset[str], frozenset[str]]:
    """The one-time threshold bonuses, already paid, that the remaining stamps no longer earn.

    Returns ``(member keys, group keys)``. Thresholds are re-checked (first time, completion,
    milestones, group success and group milestones); streaks are not: a streak once lived
    stays paid unless the very stamp that completed it is revoked.
    """
    bonuses = settings.bonus_values
    total = sum(s.quantity for s in history)
    lost: set[str] = set()
    if FIRST_TIME_KEY in awarded and not history:
        lost.add(FIRST_TIME_KEY)
    if COMPLETION_KEY in awarded and settings.target is not None and total < settings.target:
        lost.add(COMPLETION_KEY)
    lost.update(m.key for m in bonuses.milestones if m.key in awarded and total < m.quantity)
    group_total = sum(s.quantity for s in group_history)
    contributors = len({s.membership_id for s in group_history})
    group_lost: set[str] = set()
    success = bonuses.group_success
    if (
        GROUP_SUCCESS_KEY in group_awarded
        and success is not None
        and settings.group_target is not None
        and (group_total < settings.group_target or contributors < success.group_min_members)
    ):
        group_lost.add(GROUP_SUCCESS_KEY)
    group_lost.update(
        m.key
        for m in bonuses.group_milestones
        if m.key in group_awarded
        and (group_total < m.quantity or contributors < m.group_min_members)
    )
    return frozenset(lost), frozenset(group_lost)


def within_grace_period(stamped_at: datetime, now: datetime) -> bool:
    """Whether whoever made a stamp at ``stamped_at`` may still take it back ``now``."""
    return now - stamped_at <= REVOKE_GRACE_PERIOD
