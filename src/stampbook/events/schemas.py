"""The events' API shapes (DESIGN 9: ``/shops/{id}/events``, ``/events/{id}``,
``/events/{id}/registrations``, ``/registrations/{id}``, ``/events/{id}/check-ins``).

Instants are UTC ISO 8601 (RFC 3339) in and out; prices are decimal strings with their
currency; an event with ``recurrence`` (an RFC 5545 RRULE over dates, e.g.
``FREQ=WEEKLY;BYDAY=TH``) makes a series whose occurrences are events of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stampbook.core.money import CurrencyCode
from stampbook.core.pagination import Page, PageQuery
from stampbook.core.schemas import NOT_BLANK, Description, Id, Moment, Strip
from stampbook.events.rules import EventWhen, PaymentChannel, PaymentStatus, RegistrationStatus

Title = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), Strip]
EventType = Annotated[str, StringConstraints(max_length=50), Strip]
Location = Annotated[str, StringConstraints(max_length=255), Strip]
Price = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,10}(\.[0-9]{1,6})?$"),
    Field(description="A decimal string in the event's currency; 0 is free.", examples=["12.50"]),
]
Capacity = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
EventPoints = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
HoldHours = Annotated[int, Field(ge=1, le=720, strict=True)]
Rrule = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500),
    Field(
        description="An RFC 5545 RRULE choosing dates (DAILY to YEARLY, no TZID); each "
        "occurrence starts at starts_at's local time in the shop's zone.",
        examples=["FREQ=WEEKLY;BYDAY=TH"],
    ),
]
TicketCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Nonce = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""
    event_type: EventType = ""
    location: Location = ""
    starts_at: Moment
    ends_at: Moment
    capacity: Capacity | None = Field(None, description="Seats; null is unlimited.")
    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    cancellation_deadline: Moment | None = Field(
        None, description="Members cancel until then (until the start without one)."
    )
    price: Price = "0"
    currency: CurrencyCode = "USD"
    hold_hours: HoldHours = Field(48, description="How long an unpaid seat is held.")
    points: EventPoints = Field(0, description="Attendance points, credited at check-in.")
    program_id: Id | None = Field(None, description="The shop's program the points go to.")
    is_active: bool = True
    self_check_in: bool = Field(
        False,
        description="Members may check themselves in by scanning the door screen's rotating "
        "signed code (GET /events/{id}/door, the team's page).",
    )
    recurrence: Rrule | None = None


class EventPatch(BaseModel):
    """Changes one event (one occurrence of a series)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    event_type: EventType | None = None
    location: Location | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    capacity: Capacity | None = None
    unlimited: bool | None = Field(None, description="true: no capacity (seats unlimited).")
    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    cancellation_deadline: Moment | None = None
    price: Price | None = None
    currency: CurrencyCode | None = None
    hold_hours: HoldHours | None = None
    points: EventPoints | None = None
    program_id: Id | None = None
    is_active: bool | None = None
    self_check_in: bool | None = Field(None, description="true lets members check themselves in.")
    cancelled: bool | None = Field(None, description="true cancels this occurrence.")


class EventOut(BaseModel):
    id: int
    shop_id: int
    series_id: int | None
    recurrence: str | None
    title: str
    description: str
    event_type: str
    location: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    capacity: int | None
    registered: int
    waitlisted: int
    seats_left: int | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    cancellation_deadline: datetime | None
    price: str
    currency: str
    hold_hours: int
    points: int
    program_id: int | None
    is_active: bool
    self_check_in: bool
    cancelled: bool
    ical: str


class EventPage(Page):
    items: list[EventOut]


class EventQuery(PageQuery):
    event_type: EventType | None = Field(None, description="Only events of this type.")
    when: EventWhen = EventWhen.UPCOMING
    starts_from: Moment | None = Field(None, description="Starting at or after.")
    starts_before: Moment | None = Field(None, description="Starting before.")


class RegistrationOut(BaseModel):
    id: int
    event_id: int
    user_id: int
    name: str
    status: RegistrationStatus
    ticket_code: str
    joined_at: datetime
    payment_status: PaymentStatus
    hold_expires_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    points_awarded: int


class RegistrationPage(Page):
    items: list[RegistrationOut]


class RegistrationQuery(PageQuery):
    status: RegistrationStatus | None = None
    q: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="A name or email, or the start of a ticket code."
    )


class MyRegistrationQuery(PageQuery):
    when: EventWhen = EventWhen.UPCOMING


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_code: TicketCode
    nonce: Nonce | None = Field(
        None, description="The scanning client's; the same scan sent again answers the same."
    )


DoorCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(
        description="The door screen's code: the ?c= of its QR code's link "
        "(`<step>.<mac>`), or the typed code shown under it.",
        examples=["178512345.ABCDEFGHIJKLMNOP"],
    ),
]


class SelfCheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    door_code: DoorCode
    nonce: Nonce | None = Field(
        None, description="The client's; the same request sent again answers the same."
    )


class CheckInOut(RegistrationOut):
    replayed: bool = Field(description="true: this nonce's scan was answered before.")


class EventPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Price
    channel: PaymentChannel
    paid_at: Moment | None = None


class EventPaymentOut(BaseModel):
    id: int
    registration_id: int
    amount: str
    currency: str
    channel: str
    status: str
    paid_at: datetime
    recorded_by: int | None


class PaymentDeliveryOut(BaseModel):
    """What the payments webhook answers the provider (which reads only the status)."""

    delivery_id: str = Field(description="The provider's event id (`evt_...`).")
    outcome: str = Field(
        description="What it did: confirmed, partly_paid, not_paid (a delayed method: its "
        "async_payment_succeeded confirms it), payment_failed, already_recorded, "
        "late_refunding (the seat had passed on, or the booking was cancelled or paid "
        "otherwise: refunded), refunded_first, refund_recorded, seat_refunded, "
        "booking_refunded, released, hold_kept, session_expired (a booking's), "
        "no_registration, no_booking, unreadable or ignored; for a duplicate, what the first "
        "delivery did."
    )
    duplicate: bool = Field(description="This event id came before: nothing is done again.")
