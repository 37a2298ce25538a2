"""Pure rules of shops: opening hours and the ordering of a shop's rewards and programs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from stampbook.core.zones import zone
from stampbook.schedules.rules import Schedule, is_open


def schedules_of(stored: Iterable[dict[str, Any]]) -> list[Schedule]:
    return [Schedule.model_validate(item) for item in stored]


def is_open_at(stored: Iterable[dict[str, Any]], time_zone: str, at: datetime) -> bool:
    """Whether a shop with this availability schedule is open at ``at`` (its local time)."""
    return is_open(schedules_of(stored), at, zone(time_zone))


def foreign_ids(wanted: Iterable[int], own: Iterable[int]) -> list[int]:
    """The ids of ``wanted`` that are not among ``own``, in their order."""
    owned = set(own)
    return [item for item in wanted if item not in owned]


def ordered(existing: list[int], wanted: Iterable[int]) -> list[int]:
    """``existing`` followed by the ids of ``wanted`` it does not hold yet, in their order."""
    seen = set(existing)
    result = list(existing)
    for item in wanted:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def arranged(ids: Iterable[int], order: Iterable[int]) -> list[int]:
    """``ids`` in a shop's display ``order``: those it lists first, in its order, then the
    others in the order they came."""
    wanted = list(dict.fromkeys(ids))
    present = set(wanted)
    first = [item for item in dict.fromkeys(order) if item in present]
    placed = set(first)
    return [*first, *(item for item in wanted if item not in placed)]
