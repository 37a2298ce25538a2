"""Pure rules of the people domain: pairs, orderings, what a review may earn."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from stampbook.people.models import PostAudience

# Audiences a review may have to earn points: the shop pays for reviews others can read.
PAYING_AUDIENCES = frozenset({PostAudience.PUBLIC, PostAudience.PROGRAM})


def ordered_pair(a: int, b: int) -> tuple[int, int]:
    """The pair as a friendship stores it: the smaller id first."""
    if a == b:
        raise ValueError("a pair needs two people")
    return (a, b) if a < b else (b, a)


def other_of(pair: tuple[int, int], me: int) -> int:
    first, second = pair
    if me not in pair:
        raise ValueError(f"{me} is not in {pair}")
    return second if first == me else first


def positions(ids: Iterable[int]) -> dict[int, int]:
    """Each id's place in a user's chosen order (the first place of a repeated id counts)."""
    found: dict[int, int] = {}
    for index, item in enumerate(ids):
        found.setdefault(item, index)
    return found


def task_positions(program_task_ids: Mapping[str, Sequence[int]]) -> dict[int, int]:
    """Task id -> place within its program, from ``order_settings["program_task_ids"]``."""
    found: dict[int, int] = {}
    for task_ids in program_task_ids.values():
        found.update(positions(task_ids))
    return found


def review_points(shop_points: int | None, audience: str, already_paid: bool) -> int:
    """What a new review earns its author: the shop's rate, once per item, when others can
    read the review."""
    if not shop_points or shop_points <= 0 or already_paid:
        return 0
    return shop_points if audience in PAYING_AUDIENCES else 0
