"""Reward rules: pure functions of a reward's settings, the clock and the caller's numbers.

No database here. The services gather the numbers (under locks, when redeeming) and these
functions decide:

* which period a limit counts in (:func:`limit_period`): since the latest reset instant of
  the schedules that apply to it, in the shop's time zone, up to the next one;
* how much stock renewals have added since the last renewal (:func:`renewed_stock`);
* when a closed reward opens again (:func:`next_opening`);
* whether a redemption is refused and why, checked in a fixed order (:func:`refusal`);
* a reward's status in a list and how the list is sorted (:func:`status_of`,
  :func:`sort_entries`, :func:`filter_entries`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stampbook.core.schemas import Points, PositivePoints, sent
from stampbook.schedules.periods import Period, reset_period
from stampbook.schedules.rules import (
    MAX_COUNT,
    Schedule,
    count_instants,
    is_open,
    next_instant,
)

# A reward's stock never grows past this, however many renewals pile up.
MAX_STOCK = 10**12
MAX_SCHEDULES = 20
# How many candidate openings next_opening tries per schedule before giving up.
OPENING_TRIES = 16


_RECURRENCE_PARTS = (
    "months_of_year",
    "days_of_week",
    "dates",
    "times",
    "date_ranges",
    "time_ranges",
)


class Recurrence(Schedule):
    """A schedule read as a recurrence: something in it recurs (an exclusion alone excludes
    from nothing)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                *(sent(part, {"type": "array", "minItems": 1}) for part in _RECURRENCE_PARTS),
                sent("rrule", {"type": "string"}),
            ]
        }
    )

    @model_validator(mode="after")
    def _check_recurs(self) -> Recurrence:
        if not (any(getattr(self, part) for part in _RECURRENCE_PARTS) or self.rrule):
            raise ValueError("the schedule is empty: give it days, dates, times or an rrule")
        return self


class LimitType(StrEnum):
    GROUP = "group"
    USER = "user"
    BOTH = "both"


class LimitReset(BaseModel):
    """The group and/or user limit starts counting afresh at each instant of ``schedule``."""

    model_config = ConfigDict(extra="forbid")

    schedule: Recurrence = Field(examples=[{"days_of_week": [0], "times": ["00:00"]}])
    limit_type: LimitType = Field(LimitType.BOTH, examples=["user"])


class QuantityRenewal(BaseModel):
    """At each instant of ``schedule`` the stock grows by ``renewal_quantity``, up to ``cap``."""

    model_config = ConfigDict(extra="forbid")

    schedule: Recurrence = Field(examples=[{"times": ["08:00"]}])
    renewal_quantity: PositivePoints = Field(examples=[10])
    cap: Points | None = Field(None, description="Renewals stop here; none: no cap.")


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit_reset: list[LimitReset] = Field(default_factory=list, max_length=MAX_SCHEDULES)
    quantity_renewal: list[QuantityRenewal] = Field(default_factory=list, max_length=MAX_SCHEDULES)
    availability: list[Schedule] = Field(
        default_factory=list,
        max_length=MAX_SCHEDULES,
        description="When the reward may be redeemed (any schedule matching); none: always.",
    )


def load_settings(raw: dict[str, Any] | None) -> ScheduleSettings:
    return ScheduleSettings.model_validate(raw or {})


# --- Time ---------------------------------------------------------------------------------


def limit_period(
    settings: ScheduleSettings, kind: Literal["group", "user"], now: datetime, tz: ZoneInfo
) -> Period:
    """Where a limit of ``kind`` counts at ``now``: between the reset instants around it."""
    schedules = [
        reset.schedule
        for reset in settings.limit_reset
        if reset.limit_type in (kind, LimitType.BOTH)
    ]
    return reset_period(schedules, now, tz)


def renewed_stock(
    quantity: int | None,
    last_renewed_at: datetime | None,
    renewals: Sequence[QuantityRenewal],
    now: datetime,
    tz: ZoneInfo,
) -> tuple[int | None, datetime | None]:
    """The stock after the renewals due in ``(last_renewed_at, now]``, and the new mark.

    Each renewal adds ``renewal_quantity`` per instant, but never lifts the stock above its
    ``cap`` (a stock already above the cap is left as it is).
    """
    if quantity is None or not renewals:
        return quantity, last_renewed_at
    if last_renewed_at is None:
        return quantity, now
    if now <= last_renewed_at:
        return quantity, last_renewed_at
    stock = quantity
    for renewal in renewals:
        try:
            instants = count_instants(renewal.schedule, last_renewed_at, now, tz)
        except ValueError:
            instants = MAX_COUNT  # more instants than anyone can count: saturate
        if instants == 0:
            continue
        grown = stock + instants * renewal.renewal_quantity
        stock = grown if renewal.cap is None else max(stock, min(renewal.cap, grown))
    return min(stock, MAX_STOCK), now


def _opening_schedule(window: Schedule) -> Schedule:
    """A recurrence whose instants are the moments ``window`` opens on its days."""
    return Schedule(
        months_of_year=window.months_of_year,
        days_of_week=window.days_of_week,
        dates=window.dates,
        date_ranges=window.date_ranges,
        rrule=window.rrule,
        times=sorted({start for start, _ in window.time_ranges}),
    )


def next_opening(availability: Sequence[Schedule], now: datetime, tz: ZoneInfo) -> datetime | None:
    """The next moment after ``now`` when the availability window is open, when knowable.

    Windows open at a time range's start, or at midnight of a matching day. An opening that
    an exclusion swallows is skipped; a window that only reopens when an exclusion ends is
    not knowable this way, and gives None.
    """
    best: datetime | None = None
    for window in availability:
        opening = _opening_schedule(window)
        if opening == Schedule():
            continue
        candidate = next_instant(opening, now, tz)
        for _ in range(OPENING_TRIES):
            if candidate is None or (best is not None and candidate >= best):
                break
            if is_open(availability, candidate, tz):
                best = candidate
                break
            candidate = next_instant(opening, candidate, tz)
    return best


# --- Deciding a redemption ------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Everything that decides whether one caller may redeem one reward right now."""

    available: bool
    expired: bool
    price: int  # points needed now: cost x quantity (a group reward: at least one point)
    balance: int
    stock: int | None  # after renewals; None: unlimited
    quantity: int = 1
    available_again_at: datetime | None = None
    group_used: int = 0
    group_limit: int | None = None
    group_resets_at: datetime | None = None
    user_used: int = 0
    user_limit: int | None = None
    user_resets_at: datetime | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a redemption is refused: ``extra`` for the caller, and the parameters of the
    code's words (core.wording)."""

    code: str
    extra: dict[str, Any] = field(default_factory=dict)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def refusal(standing: Standing) -> Refusal | None:
    """The first reason to refuse, in the documented order; None when nothing refuses."""
    s = standing
    if not s.available:
        return Refusal("reward_unavailable", {"available_again_at": _iso(s.available_again_at)})
    if s.expired:
        return Refusal("reward_expired")
    if s.balance < s.price:
        return Refusal("insufficient_points", {"balance": s.balance, "needed": s.price})
    if s.stock is not None and s.stock < s.quantity:
        return Refusal("out_of_stock", {"stock": s.stock})
    if s.group_limit is not None and s.group_used + s.quantity > s.group_limit:
        return Refusal("limit_reached", {"limit": "group", "resets_at": _iso(s.group_resets_at)})
    if s.user_limit is not None and s.user_used + s.quantity > s.user_limit:
        return Refusal("limit_reached", {"limit": "user", "resets_at": _iso(s.user_resets_at)})
    return None


# --- Lists ----------------------------------------------------------------------------------


class RewardStatus(StrEnum):
    REDEEMABLE = "redeemable"
    TOO_EXPENSIVE = "too_expensive"
    UNAVAILABLE = "unavailable"  # closed by its schedule, or the caller's limit is used up
    EXPIRED = "expired"
    OUT_OF_STOCK = "out_of_stock"  # no stock left, or the group limit is used up


def status_of(standing: Standing) -> RewardStatus:
    s = standing
    if s.expired:
        return RewardStatus.EXPIRED
    if (s.stock is not None and s.stock < s.quantity) or (
        s.group_limit is not None and s.group_used + s.quantity > s.group_limit
    ):
        return RewardStatus.OUT_OF_STOCK
    if not s.available or (s.user_limit is not None and s.user_used + s.quantity > s.user_limit):
        return RewardStatus.UNAVAILABLE
    if s.balance < s.price:
        return RewardStatus.TOO_EXPENSIVE
    return RewardStatus.REDEEMABLE


class SortOrder(StrEnum):
    DEFAULT = "default"  # favourites, then redeemable, too expensive, unavailable, the rest
    COST = "cost"
    COST_DESC = "-cost"
    NAME = "name"
    NEWEST = "newest"


# The default order's groups; expired and out-of-stock rewards share the last one.
STATUS_RANK = {
    RewardStatus.REDEEMABLE: 0,
    RewardStatus.TOO_EXPENSIVE: 1,
    RewardStatus.UNAVAILABLE: 2,
    RewardStatus.EXPIRED: 3,
    RewardStatus.OUT_OF_STOCK: 3,
}


@dataclass(frozen=True)
class ListEntry:
    id: int
    name: str
    cost: int
    created_at: datetime
    status: RewardStatus
    is_favorite: bool


def sort_entries(
    entries: Sequence[ListEntry], order: SortOrder, shop_order: Sequence[int] = ()
) -> list[ListEntry]:
    """Sort a shop's reward list. Ties fall back to the shop's own order, then to age."""
    position = {reward_id: index for index, reward_id in enumerate(shop_order)}
    unplaced = len(position)

    def placed(entry: ListEntry) -> tuple[int, int]:
        return position.get(entry.id, unplaced), entry.id

    keys: dict[SortOrder, Any] = {
        SortOrder.DEFAULT: lambda e: (not e.is_favorite, STATUS_RANK[e.status], *placed(e)),
        SortOrder.COST: lambda e: (e.cost, *placed(e)),
        SortOrder.COST_DESC: lambda e: (-e.cost, *placed(e)),
        SortOrder.NAME: lambda e: (e.name.casefold(), *placed(e)),
        SortOrder.NEWEST: lambda e: (-e.created_at.timestamp(), -e.id),
    }
    return sorted(entries, key=keys[order])


HIDDEN_WHEN_UNAVAILABLE = frozenset({RewardStatus.UNAVAILABLE, RewardStatus.OUT_OF_STOCK})


def filter_entries(
    entries: Sequence[ListEntry], *, hide_expired: bool, hide_unavailable: bool
) -> list[ListEntry]:
    """``hide_unavailable`` hides what nobody can get now whatever their points."""
    return [
        entry
        for entry in entries
        if not (hide_expired and entry.status is RewardStatus.EXPIRED)
        and not (hide_unavailable and entry.status in HIDDEN_WHEN_UNAVAILABLE)
    ]
