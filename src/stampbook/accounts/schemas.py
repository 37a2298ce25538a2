"""API input and output of accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from stampbook.accounts.models import Privacy, Section
from stampbook.schemas import Color, Description, Icon, Input, Name, Output, Summary, TimeZone

Password = Annotated[str, StringConstraints(min_length=10, max_length=1024)]


class RegisterIn(Input):
    email: EmailStr = Field(examples=["ada@example.com"])
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


class UserOut(Output):
    """What others may see of a user (sections follow the user's privacy settings)."""

    id: int
    name: str
    summary: str | None = None
    description: str | None = None
    color: str | None = None
    icon: str | None = None
    created_at: datetime


class MeOut(UserOut):
    email: str
    time_zone: str
    privacy_settings: dict[Section, Privacy]
    is_admin: bool


class UserPatch(Input):
    name: Name | None = None
    summary: Summary | None = None
    description: Description | None = None
    color: Color | None = None
    icon: Icon | None = None
    time_zone: TimeZone | None = None
    privacy_settings: dict[Section, Privacy] | None = Field(
        None, examples=[{"memberships": "friends", "redemptions": "private"}]
    )


class PasswordChangeIn(Input):
    old_password: Annotated[str, StringConstraints(max_length=1024)] = Field(
        examples=["correct horse"]
    )
    new_password: Password = Field(examples=["battery staple 42"])
