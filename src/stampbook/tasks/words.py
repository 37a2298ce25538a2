"""A task's rules and a stamp's earnings in plain words, for people rather than programs.

Every sentence is marked for translation: whole sentences with placeholders (never words
glued together), and ``ngettext`` wherever a number decides the form of a word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from stampbook.ledger.words import bonus_name
from stampbook.programs.words import PointsNamed, points
from stampbook.tasks.rules import (
    AvailabilitySettings,
    BonusValues,
    FrequencySettings,
    StreakBonus,
)
from stampbook.ui.helpers import local_time
from stampbook.ui.schedule_words import describe
from stampbook.ui.words import _, ngettext

# Small spans said in words: "every three days".
COUNTS = {
    2: _l("two"),
    3: _l("three"),
    4: _l("four"),
    5: _l("five"),
    6: _l("six"),
    7: _l("seven"),
}


def times(n: int) -> str:
    """``once``, ``twice``, ``5 times``."""
    if n == 1:
        return _("once")
    if n == 2:
        return _("twice")
    return ngettext("%(num)d time", "%(num)d times", n)


def span_of(unit: str, n: int) -> str:
    """``3 days``, ``1 week``: a length in periods (day, week, month or year)."""
    if unit == "week":
        return ngettext("%(num)d week", "%(num)d weeks", n)
    if unit == "month":
        return ngettext("%(num)d month", "%(num)d months", n)
    if unit == "year":
        return ngettext("%(num)d year", "%(num)d years", n)
    return ngettext("%(num)d day", "%(num)d days", n)


def _every(unit: str, span: int) -> str:
    """``a day``, ``every three days``, ``every 12 weeks``."""
    if span == 1:
        return {
            "week": _("a week"),
            "month": _("a month"),
            "year": _("a year"),
        }.get(unit, _("a day"))
    count = str(COUNTS.get(span, span))
    if unit == "week":
        return ngettext("every %(count)s week", "every %(count)s weeks", span, count=count)
    if unit == "month":
        return ngettext("every %(count)s month", "every %(count)s months", span, count=count)
    if unit == "year":
        return ngettext("every %(count)s year", "every %(count)s years", span, count=count)
    return ngettext("every %(count)s day", "every %(count)s days", span, count=count)


def frequency(settings: FrequencySettings) -> str:
    """``twice every three days``, ``once a week``, ``5 times every 2 months``."""
    return _(
        "%(times)s %(every)s",
        times=times(settings.quantity),
        every=_every(str(settings.time_unit), settings.time_unit_quantity),
    )


def availability(settings: AvailabilitySettings) -> str | None:
    """``available weekdays 09:00 to 17:00 (only then)``."""
    if not settings.schedules:
        return None
    when = "; ".join(describe(s) for s in settings.schedules)
    if settings.must_stamp_during:
        return _("available %(when)s (stamps only then)", when=when)
    return _("best %(when)s (stamps at other times count too)", when=when)


def _stamps(n: int) -> str:
    return ngettext("%(num)d stamp", "%(num)d stamps", n)


def _members(n: int) -> str:
    return ngettext("%(num)d member", "%(num)d members", n)


def _named(rule: str, name: str | None) -> str:
    return _("%(rule)s (“%(name)s”)", rule=rule, name=name) if name else rule


def _with_members(rule: str, least: int) -> str:
    if least <= 1:
        return rule
    return _("%(rule)s, if at least %(members)s took part", rule=rule, members=_members(least))


def streak_bonus(
    streak: StreakBonus, *, group: bool = False, named: PointsNamed | None = None
) -> str:
    """``5 points extra for a streak of 3 days``, ``... for every 7 days of a streak``
    (``named``: the program, whose names for its points are said)."""
    length = span_of(str(streak.period), streak.length)
    extra = points(streak.points, named)
    if group and streak.is_repeatable:
        rule = _(
            "%(points)s extra each for every %(length)s of a group streak",
            points=extra,
            length=length,
        )
    elif group:
        rule = _(
            "%(points)s extra each for a group streak of %(length)s", points=extra, length=length
        )
    elif streak.is_repeatable:
        rule = _("%(points)s extra for every %(length)s of a streak", points=extra, length=length)
    else:
        rule = _("%(points)s extra for a streak of %(length)s", points=extra, length=length)
    return _named(rule, streak.name)


def bonuses(values: BonusValues, named: PointsNamed | None = None) -> list[str]:
    said = []
    if values.first_time_only:
        said.append(
            _(
                "%(points)s extra with your first stamp",
                points=points(values.first_time_only, named),
            )
        )
    if values.reach_total:
        said.append(
            _("%(points)s extra on reaching the target", points=points(values.reach_total, named))
        )
    said.extend(streak_bonus(streak, named=named) for streak in values.streaks)
    for milestone in values.milestones:
        rule = _(
            "%(points)s extra on reaching %(count)s",
            points=points(milestone.points, named),
            count=_stamps(milestone.quantity),
        )
        said.append(_named(rule, milestone.name))
    if values.group_success:
        success = values.group_success
        rule = _(
            "%(points)s extra each when the group reaches its target",
            points=points(success.points, named),
        )
        said.append(_with_members(rule, success.group_min_members))
    for gstreak in values.group_streaks:
        said.append(
            _with_members(streak_bonus(gstreak, group=True, named=named), gstreak.group_min_members)
        )
    for gmilestone in values.group_milestones:
        rule = _(
            "%(points)s extra each when the group reaches %(count)s",
            points=points(gmilestone.points, named),
            count=_stamps(gmilestone.quantity),
        )
        said.append(_with_members(_named(rule, gmilestone.name), gmilestone.group_min_members))
    return said


def task_rules(task: Any, named: PointsNamed | None = None) -> list[str]:
    """Every rule of a task (a model or its API output) as a short sentence; ``named``, the
    task's program, says its points in its own words (``{{ t | task_rules(program) }}``)."""
    said = [_("%(points)s per stamp", points=points(task.point_value, named))]
    if task.allows_partial and task.point_value_partial is not None:
        said.append(
            _("%(points)s for a partial stamp", points=points(task.point_value_partial, named))
        )
    if task.allows_multiple:
        most = task.max_multiple or 1000
        said.append(_("up to %(num)s at a time", num=most))
    if task.frequency_settings:
        said.append(frequency(FrequencySettings.model_validate(task.frequency_settings)))
    open_when = availability(AvailabilitySettings.model_validate(task.availability_settings or {}))
    if open_when:
        said.append(open_when)
    if task.deadline:
        said.append(_("until %(when)s", when=local_time(task.deadline)))
    if task.target:
        said.append(ngettext("target: %(num)s stamp", "target: %(num)s stamps", task.target))
    if task.group_target:
        said.append(
            ngettext(
                "group target: %(num)s stamp", "group target: %(num)s stamps", task.group_target
            )
        )
    said.extend(bonuses(BonusValues.model_validate(task.bonus_values or {}), named))
    return said


def override_rules(override: Any) -> list[str]:
    """A member's own settings (an override row or its API output) as short sentences."""
    said = []
    if override.target:
        said.append(ngettext("target: %(num)s stamp", "target: %(num)s stamps", override.target))
    if override.deadline:
        said.append(_("until %(when)s", when=local_time(override.deadline)))
    if override.frequency_settings:
        said.append(frequency(FrequencySettings.model_validate(override.frequency_settings)))
    if override.availability_settings is not None:
        settings = AvailabilitySettings.model_validate(override.availability_settings)
        said.append(availability(settings) or _("available at any time"))
    return said


AWARD_WORDS = {
    "base": _l("the stamp"),
    "first_time": _l("first stamp bonus"),
    "completion": _l("target reached"),
    "milestone": _l("milestone"),
    "streak": _l("streak"),
    "group_success": _l("group success"),
    "group_milestone": _l("group milestone"),
    "group_streak": _l("group streak"),
}


# Awards whose name only repeats their kind.
UNNAMED = frozenset({"base", "first_time", "completion", "group_success"})


def earned(
    amount: int,
    breakdown: Sequence[Mapping[str, Any]],
    task: str | None = None,
    named: PointsNamed | None = None,
) -> str:
    """``Stamped “Run”: +12 points (the stamp 10, streak “3-day streak” 2).``"""
    parts = []
    for award in breakdown:
        kind = str(award["kind"])
        label = str(AWARD_WORDS.get(kind, kind))
        if award.get("name") and kind not in UNNAMED:
            # A name the system gave (``3-day streak``) said in words; one a person chose, quoted.
            label = bonus_name(str(award["name"])) or _(
                "%(award)s “%(name)s”", award=label, name=award["name"]
            )
        parts.append(_("%(award)s %(points)s", award=label, points=award["points"]))
    detail = f" ({', '.join(parts)})" if parts else ""
    total = points(amount, named)
    if task:
        return _(
            "Stamped “%(task)s”: +%(points)s%(detail)s.", task=task, points=total, detail=detail
        )
    return _("Stamped: +%(points)s%(detail)s.", points=total, detail=detail)


def streak_now(length: int, period: str, *, current: bool) -> str:
    """``a streak of 3 days, today included`` / ``... stamp today to keep it``."""
    span = span_of(period, length)
    if current:
        return _("a streak of %(span)s, this one included", span=span)
    if period == "week":
        return _("a streak of %(span)s: stamp this week to keep it", span=span)
    if period == "month":
        return _("a streak of %(span)s: stamp this month to keep it", span=span)
    return _("a streak of %(span)s: stamp today to keep it", span=span)


def next_streak_bonus(
    streak: StreakBonus, length: int, named: PointsNamed | None = None
) -> str | None:
    """How far the next payment of ``streak`` is, for a run of ``length`` periods so far
    (``None`` once a one-time streak bonus is behind)."""
    if streak.is_repeatable:
        goal = (length // streak.length + 1) * streak.length
    elif length >= streak.length:
        return None
    else:
        goal = streak.length
    return ngettext(
        "%(bonus)s: just %(span)s to go",
        "%(bonus)s: %(span)s to go",
        goal - length,
        bonus=streak_bonus(streak, named=named),
        span=span_of(str(streak.period), goal - length),
    )
