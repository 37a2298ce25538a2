"""The consultations' API shapes (``/shops/{id}/hosts``, ``/hosts/{id}``, its ``slots`` and
``bookings``, ``/bookings/{id}`` and its actions, ``/users/me/bookings``). Field names follow
seed 002 (``professional_name``, ``specializations``, ``years_experience``,
``verification_status``, ``session_notes``, ``user_feedback_rating``, ``payment_status``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stampbook.consultations.models import (
    ConsultationPayment,
    ConsultationStatus,
    ConsultationType,
    HostVerification,
)
from stampbook.core.money import CurrencyCode
from stampbook.core.schemas import NOT_BLANK, Id, Moment, Strip, TimeZone

Label = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=NOT_BLANK), Strip]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Strip]
Bio = Annotated[str, StringConstraints(max_length=5000)]
Reason = Annotated[str, StringConstraints(max_length=200), Strip]
# A decimal amount as a string, like loyalty's ("59.90"); checked by the service for its
# currency (rate_invalid).
Amount = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,10}(\.[0-9]{1,3})?$")]
HourMinute = Annotated[str, StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
Day = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class HostWeeklyHours(BaseModel):
    """Open hours on one day of the week (0 Monday ... 6 Sunday), local times of the host's
    zone; "24:00" ends at midnight."""

    model_config = ConfigDict(extra="forbid")

    day: int = Field(ge=0, le=6, strict=True)
    start: HourMinute = Field(examples=["09:00"])
    end: HourMinute = Field(examples=["12:30"])


class HostFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bio: Bio | None = None
    credentials: list[Label] = Field(default_factory=list, max_length=20)
    specializations: list[Label] = Field(default_factory=list, max_length=20)
    languages: list[Label] = Field(default_factory=list, max_length=20)
    years_experience: int | None = Field(default=None, ge=0, le=80, strict=True)
    # A session's price as a decimal string of ``currency``; null: free of charge.
    consultation_rate: Amount | None = Field(default=None, examples=["45.00"])
    currency: CurrencyCode = "USD"
    time_zone: TimeZone = "UTC"
    weekly_hours: list[HostWeeklyHours] = Field(default_factory=list, max_length=28)
    days_off: list[Day] = Field(default_factory=list, max_length=366)
    slot_minutes: int = Field(default=30, ge=5, le=480, strict=True)
    buffer_minutes: int = Field(default=0, ge=0, le=240, strict=True)
    cancel_hours: int = Field(default=24, ge=0, le=720, strict=True)
    is_available: bool = True


class HostIn(HostFields):
    """A host: a user of the shop's team (``user_id``) or a listed professional."""

    professional_name: Name
    user_id: Id | None = None


class HostPatch(BaseModel):
    """Any of a host's fields; ``verification_status`` too (the shop's managers)."""

    model_config = ConfigDict(extra="forbid")

    professional_name: Name | None = None
    user_id: Id | None = None
    bio: Bio | None = None
    credentials: list[Label] | None = Field(default=None, max_length=20)
    specializations: list[Label] | None = Field(default=None, max_length=20)
    languages: list[Label] | None = Field(default=None, max_length=20)
    years_experience: int | None = Field(default=None, ge=0, le=80, strict=True)
    consultation_rate: Amount | None = None
    currency: CurrencyCode | None = None
    time_zone: TimeZone | None = None
    weekly_hours: list[HostWeeklyHours] | None = Field(default=None, max_length=28)
    days_off: list[Day] | None = Field(default=None, max_length=366)
    slot_minutes: int | None = Field(default=None, ge=5, le=480, strict=True)
    buffer_minutes: int | None = Field(default=None, ge=0, le=240, strict=True)
    cancel_hours: int | None = Field(default=None, ge=0, le=720, strict=True)
    is_available: bool | None = None
    verification_status: HostVerification | None = None


class HostOut(BaseModel):
    id: int
    shop_id: int
    user_id: int | None
    professional_name: str
    bio: str | None
    credentials: list[str]
    specializations: list[str]
    languages: list[str]
    years_experience: int | None
    consultation_rate: str | None
    currency: str
    verification_status: HostVerification
    time_zone: str
    weekly_hours: list[HostWeeklyHours]
    days_off: list[str]
    slot_minutes: int
    buffer_minutes: int
    cancel_hours: int
    is_available: bool
    rating_average: str | None  # of the completed sessions rated, "4.50"
    total_consultations: int  # completed


class HostList(BaseModel):
    items: list[HostOut]


class HostSlotQuery(BaseModel):
    """A window of at most 62 days (409 slot_range_invalid for one that ends before it
    starts or is longer); without ``from``, from now; without ``to``, 14 days."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    since: Moment | None = Field(default=None, alias="from")
    until: Moment | None = Field(default=None, alias="to")


class HostSlotOut(BaseModel):
    starts_at: datetime
    ends_at: datetime


class HostSlotList(BaseModel):
    host_id: int
    time_zone: str
    items: list[HostSlotOut]


class ConsultationBookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: Moment  # one of the host's free slots
    session_type: ConsultationType = ConsultationType.VIDEO
    topic: Annotated[str, StringConstraints(max_length=500), Strip] | None = None


class ConsultationBookingOut(BaseModel):
    id: int
    host_id: int
    shop_id: int
    user_id: int
    professional_name: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    session_type: ConsultationType
    status: ConsultationStatus
    topic: str | None
    # The host's notes: shown to the host and the member only (null for the team's others).
    session_notes: str | None
    user_feedback_rating: int | None
    user_feedback_text: str | None
    session_cost: str | None
    currency: str
    payment_status: ConsultationPayment
    cancelled_at: datetime | None
    cancel_reason: str | None
    created_at: datetime


class ConsultationBookingList(BaseModel):
    items: list[ConsultationBookingOut]


class ConsultationBookingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: ConsultationStatus | None = None
    since: Moment | None = Field(default=None, alias="from")
    until: Moment | None = Field(default=None, alias="to")


class ConsultationCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class ConsultationNotesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_notes: Annotated[str, StringConstraints(max_length=10_000)]


class ConsultationRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_feedback_rating: int = Field(ge=1, le=5, strict=True)
    user_feedback_text: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ConsultationPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_status: ConsultationPayment
