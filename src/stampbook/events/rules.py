"""The events' arithmetic without a database: a series' occurrences in local time, ticket
codes, what a scan at the door decides, whether a member may still cancel, and holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from stampbook.core import codes
from stampbook.schedules.rules import local_to_utc, parse_date_rule

# Tickets are codes of ``core.codes`` (31 symbols without look-alikes, 158 bits).
TICKET_ALPHABET = codes.ALPHABET
TICKET_LENGTH = codes.LENGTH
# How far ahead a series' occurrences are made, and at most how many at once.
WINDOW_DAYS = 120
MAX_GENERATED = 60
DEFAULT_HOLD_HOURS = 48


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class EventPaymentStatus(StrEnum):
    FREE = "free"
    UNPAID = "unpaid"
    PAID = "paid"
    REFUNDED = "refunded"  # an online payment refunded below the price: the seat cancelled


class EventPaymentChannel(StrEnum):
    CASH = "cash"
    CARD = "card"
    OTHER = "other"


class EventWhen(StrEnum):
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


# Statuses that hold a seat (``events.registered`` counts them).
SEATED = frozenset({RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED})


new_ticket_code = codes.new_code
normal_code = codes.normal_code


def check_rrule(text: str) -> str:
    """The rule, or ValueError: one RRULE selecting dates (DAILY to YEARLY), no zone."""
    parse_date_rule(text)
    return text


@dataclass(frozen=True)
class Occurrence:
    day: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def occurrences(
    *,
    rrule: str,
    first_day: date,
    local_start: time,
    duration: timedelta,
    zone: ZoneInfo,
    after: date,
    until: date,
    limit: int = MAX_GENERATED,
) -> list[Occurrence]:
    """The series' occurrences on local dates in (``after``, ``until``], each starting at
    ``local_start`` on its local date in ``zone`` (so across a change of clocks the wall
    time stays and the UTC instant moves), at most ``limit``."""
    rule = du.rrulestr(rrule, dtstart=datetime.combine(first_day, time()), ignoretz=True)
    found: list[Occurrence] = []
    for moment in rule.xafter(datetime.combine(after, time()), inc=False):
        day = moment.date()
        if day > until or len(found) >= limit:
            break
        if day <= after:
            continue
        starts = local_to_utc(datetime.combine(day, local_start), zone)
        found.append(Occurrence(day, starts, starts + duration))
    return found


def local_start_of(starts_at: datetime, zone: ZoneInfo) -> tuple[date, time]:
    local = starts_at.astimezone(zone)
    return local.date(), local.time().replace(second=0, microsecond=0, tzinfo=None)


def check_in_refusal(*, status: str, payment_status: str, same_event: bool) -> str | None:
    """The problem code a scan of this registration's ticket answers, or None to admit."""
    if not same_event:
        return "other_event"
    if status == RegistrationStatus.ATTENDED:
        return "already_checked_in"
    if status == RegistrationStatus.CANCELLED:
        return "cancelled"
    if status == RegistrationStatus.WAITLISTED:
        return "waitlisted"
    if status == RegistrationStatus.NO_SHOW:
        return "cancelled"
    if payment_status == PaymentStatus.UNPAID:
        return "unpaid"
    return None


def member_may_cancel(*, now: datetime, deadline: datetime | None, starts_at: datetime) -> bool:
    """A member cancels until the event's deadline (or its start, without one)."""
    return now < (deadline or starts_at)


def hold_until(now: datetime, hold_hours: int, starts_at: datetime) -> datetime:
    """An unpaid seat is held ``hold_hours``, never past the event's start."""
    return min(now + timedelta(hours=hold_hours), max(starts_at, now))


def registration_open(
    *, now: datetime, opens: datetime | None, closes: datetime | None, ends_at: datetime
) -> bool:
    if opens is not None and now < opens:
        return False
    return now < (closes or ends_at)


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# Short names within the domain.
PaymentChannel = EventPaymentChannel
PaymentStatus = EventPaymentStatus
