"""A task's rules and a stamp's earnings in plain words, for people rather than programs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stampbook.schedules.rules import describe
from stampbook.tasks.rules import AvailabilitySettings, BonusValues, FrequencySettings

TIMES = {1: "once", 2: "twice"}
COUNTS = {1: "", 2: "two ", 3: "three ", 4: "four ", 5: "five ", 6: "six ", 7: "seven "}


def times(n: int) -> str:
    return TIMES.get(n, f"{n} times")


def plural(n: int, unit: str) -> str:
    return unit if n == 1 else f"{n} {unit}s"


def frequency(settings: FrequencySettings) -> str:
    """``twice every three days``, ``once a week``, ``5 times every 2 months``."""
    span = settings.time_unit_quantity
    unit = str(settings.time_unit)
    if span == 1:
        return f"{times(settings.quantity)} a {unit}"
    count = COUNTS.get(span, f"{span} ")
    return f"{times(settings.quantity)} every {count}{unit}s"


def availability(settings: AvailabilitySettings) -> str | None:
    if not settings.schedules:
        return None
    when = "; ".join(describe(s) for s in settings.schedules)
    verb = "only" if settings.must_stamp_during else "best"
    return f"available {when} ({verb} then)"


def bonuses(values: BonusValues) -> list[str]:
    said = []
    if values.first_time_only:
        said.append(f"{values.first_time_only} bonus points with your first stamp")
    if values.reach_total:
        said.append(f"{values.reach_total} bonus points on reaching the target")
    for streak in values.streaks:
        again = ", again every time" if streak.is_repeatable else ""
        said.append(
            f"{streak.points} bonus points for a {plural(streak.length, str(streak.period))} "
            f"streak{again}"
        )
    for milestone in values.milestones:
        said.append(f"{milestone.points} bonus points at {milestone.quantity} stamps")
    if values.group_success:
        said.append(f"{values.group_success.points} bonus points each when the group succeeds")
    for gstreak in values.group_streaks:
        said.append(
            f"{gstreak.points} bonus points for a group {gstreak.length}-{gstreak.period} streak"
        )
    for gmilestone in values.group_milestones:
        said.append(
            f"{gmilestone.points} bonus points each when the group reaches {gmilestone.quantity}"
        )
    return said


def task_rules(task: Any) -> list[str]:
    """Every rule of a task (a model or its API output) as a short sentence."""
    said = [f"{task.point_value} points per stamp"]
    if task.allows_partial and task.point_value_partial is not None:
        said.append(f"{task.point_value_partial} points for a partial stamp")
    if task.allows_multiple and task.max_multiple:
        said.append(f"up to {task.max_multiple} at a time")
    if task.frequency_settings:
        said.append(frequency(FrequencySettings.model_validate(task.frequency_settings)))
    open_when = availability(AvailabilitySettings.model_validate(task.availability_settings or {}))
    if open_when:
        said.append(open_when)
    if task.target:
        said.append(f"target {task.target}")
    if task.group_target:
        said.append(f"group target {task.group_target}")
    said.extend(bonuses(BonusValues.model_validate(task.bonus_values or {})))
    return said


AWARD_WORDS = {
    "base": "the stamp",
    "first_time": "first stamp bonus",
    "completion": "target reached",
    "milestone": "milestone",
    "streak": "streak",
    "group_success": "group success",
    "group_milestone": "group milestone",
    "group_streak": "group streak",
}


# Awards whose name only repeats their kind.
UNNAMED = frozenset({"base", "first_time", "completion", "group_success"})


def earned(points: int, breakdown: Sequence[Mapping[str, Any]], task: str | None = None) -> str:
    """``Stamped “Run”: +12 points (the stamp 10, streak “3-day streak” 2).``"""
    parts = []
    for award in breakdown:
        label = AWARD_WORDS.get(str(award["kind"]), str(award["kind"]))
        if award.get("name") and str(award["kind"]) not in UNNAMED:
            label = f"{label} “{award['name']}”"
        parts.append(f"{label} {award['points']}")
    detail = f" ({', '.join(parts)})" if parts else ""
    what = f"Stamped “{task}”" if task else "Stamped"
    return f"{what}: +{points} points{detail}."
