"""API input and output of accounts."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from stampbook.accounts.models import Privacy, Section
from stampbook.accounts.phones import E164
from stampbook.core.schemas import (
    MAX_ORDERED,
    Color,
    Description,
    Email,
    Icon,
    Input,
    Keep,
    Name,
    OrderedIds,
    Output,
    Summary,
    TimeZone,
    refuse_duplicates,
)

Password = Annotated[str, StringConstraints(min_length=10, max_length=1024)]


def _check_phone(value: str) -> str:
    if re.fullmatch(E164, value) is None:
        raise ValueError(
            "not a phone number in international form (E.164): + and 8 to 15 digits with "
            "the country code, no spaces, e.g. +34600123456"
        )
    return value


# Checked in code for a message that says what is wanted; the document states the pattern.
Phone = Annotated[
    str,
    AfterValidator(_check_phone),
    Field(json_schema_extra={"pattern": E164}, examples=["+34600123456"]),
]
KEY = r"^[1-9][0-9]{0,17}$"
ProgramKey = Annotated[int, Field(ge=1, le=10**18 - 1)]


class RegisterIn(Input):
    email: Email = Field(examples=["ada@example.com"])
    name: Name = Field(examples=["Ada"])
    password: Password = Field(description="At least 10 characters.", examples=["correct horse"])
    time_zone: TimeZone = Field("UTC", examples=["Europe/Madrid"])


class TokenIn(Input):
    email: Annotated[str, StringConstraints(max_length=254)] = Field(examples=["ada@example.com"])
    password: Annotated[str, StringConstraints(max_length=1024)] = Field(examples=["correct horse"])


class TokenOut(Output):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'. Shown once.")
    token_type: str = "Bearer"
    expires_at: datetime


def _days_of_the_year() -> list[str]:
    leap = date(2024, 1, 1)  # a leap year: 29 February is someone's birthday too
    return [(leap + timedelta(days=n)).strftime("%m-%d") for n in range(366)]


DAYS_OF_THE_YEAR = _days_of_the_year()


def _known_day(day: str) -> str:
    if day not in DAYS_OF_THE_YEAR:
        raise ValueError("not a day of the year as MM-DD")
    return day


Birthday = Annotated[
    str,
    AfterValidator(_known_day),
    Field(
        json_schema_extra={"enum": DAYS_OF_THE_YEAR},
        description="Month and day, MM-DD (no year).",
        examples=["07-14"],
    ),
]


class UserOut(Output):
    """What others may see of a user (sections follow the user's privacy settings)."""

    id: int
    name: str
    summary: str | None = None
    description: str | None = None
    color: str | None = None
    icon: str | None = None
    created_at: datetime


class OrderSettings(Input):
    """How the user's own pages order their shops, and the tasks within each program."""

    shop_ids: OrderedIds = Field(
        default_factory=list, description="Shops in display order.", examples=[[3, 1]]
    )
    program_task_ids: Annotated[
        dict[ProgramKey, OrderedIds],
        Field(max_length=MAX_ORDERED, json_schema_extra={"propertyNames": {"pattern": KEY}}),
    ] = Field(
        default_factory=dict,
        description="Program id -> its tasks in display order.",
        examples=[{"2": [8, 5, 6]}],
    )

    _unique = field_validator("shop_ids")(refuse_duplicates)

    @field_validator("program_task_ids")
    @classmethod
    def _unique_tasks(cls, value: dict[int, list[int]]) -> dict[int, list[int]]:
        for task_ids in value.values():
            refuse_duplicates(task_ids)
        return value


class MeOut(UserOut):
    email: str
    email_verified: bool = Field(
        description="Whether I followed the link sent to my email to confirm it is mine. An "
        "unconfirmed address gets no marketing email and claims no points a shop kept under "
        "it; a new address starts unconfirmed."
    )
    time_zone: str
    privacy_settings: dict[Section, Privacy]
    is_admin: bool
    order_settings: OrderSettings = Field(default_factory=OrderSettings)
    starred_shop_id: int | None = Field(None, description="The shop I starred.")
    phone: str | None = Field(None, description="My phone for text messages (E.164).")
    birthday: str | None = Field(
        None, description="MM-DD: loyalty programs with a birthday rule give points on it."
    )
    sms_opted_out_at: datetime | None = Field(
        None,
        description="When my phone answered STOP to our texts: none are sent to it until I "
        "set a new number.",
    )


class UserPatch(Input):
    """Only the fields sent change; null clears the optional ones (summary, colour...)."""

    name: Keep[Name] = Field(None, examples=["Ada Lovelace"])
    summary: Summary | None = Field(None, examples=["Coffee first, then code."])
    description: Description | None = None
    color: Color | None = Field(None, examples=["#3366cc"])
    icon: Icon | None = Field(None, examples=["cup"])
    time_zone: Keep[TimeZone] = Field(None, examples=["Europe/London"])
    privacy_settings: Keep[dict[Section, Privacy]] = Field(
        None, examples=[{"memberships": "friends", "redemptions": "private"}]
    )
    order_settings: Keep[OrderSettings] = Field(
        None, description="Replaces the whole ordering.", examples=[{"shop_ids": [3, 1]}]
    )
    phone: Phone | None = Field(
        None, description="For text messages, in E.164; a new number lifts an opt-out."
    )
    birthday: Birthday | None = Field(
        None,
        description="MM-DD. Loyalty programs with a birthday rule credit it once a year, in my "
        "time zone; a birthday set less than 30 days before it comes earns from next year.",
    )


class EmailChangeIn(Input):
    email: Email = Field(examples=["ada.lovelace@example.com"])
    password: Annotated[str, StringConstraints(max_length=1024)] = Field(
        description="The current password, to confirm.", examples=["correct horse"]
    )


class StarredShopIn(Input):
    shop_id: Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)] = Field(examples=[1])


class PasswordChangeIn(Input):
    old_password: Annotated[str, StringConstraints(max_length=1024)] = Field(
        examples=["correct horse"]
    )
    new_password: Password = Field(examples=["battery staple 42"])


class PasswordResetRequestIn(Input):
    email: Email


class PasswordResetIn(Input):
    token: Annotated[str, StringConstraints(max_length=100)] = Field(
        description="The secret of the emailed link (the last part of its path)."
    )
    new_password: Password = Field(examples=["battery staple 42"])


class EmailConfirmationIn(Input):
    token: Annotated[str, StringConstraints(max_length=100)] = Field(
        description="The secret of the emailed confirmation link (the last part of its path)."
    )
