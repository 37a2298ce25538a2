"""Notifications API models: the centre, preferences, shops' templates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from stampbook.core.i18n import LANGUAGES
from stampbook.core.pagination import Page, PageQuery
from stampbook.core.schemas import Id, Input, Output
from stampbook.notifications.kinds import KINDS, Channel

# The kinds by name, as the API's enum (a new kind is a new value).
KindName = StrEnum("KindName", {name.upper(): name for name in KINDS})  # type: ignore[misc]
Language = StrEnum("Language", {code.upper(): code for code in LANGUAGES})  # type: ignore[misc]

Subject = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=5000)]


# --- The centre -------------------------------------------------------------------------------


class NotificationQuery(PageQuery):
    unread: bool | None = Field(None, description="Only unread (true) or read (false) ones.")


class NotificationOut(Output):
    id: int = Field(examples=[12])
    kind: str = Field(examples=["points_earned"])
    shop_id: int | None = None
    title: str = Field(examples=["You earned 10 points in Café Luna"])
    body: str
    link: str | None = Field(None, description="The page it is about, a path of this site.")
    created_at: datetime
    read_at: datetime | None = None


class NotificationPage(Page):
    items: list[NotificationOut]
    unread_count: int = Field(description="All my unread notifications, not only this page's.")


class MarkedOut(Output):
    marked: int = Field(description="How many were marked read.", examples=[3])


# --- Preferences ------------------------------------------------------------------------------


class PreferenceItem(Input):
    kind: KindName
    channel: Channel
    enabled: bool


class ConsentItem(Input):
    shop_id: Id
    consent: bool = Field(description="Accept the shop's marketing messages (news).")


class PreferencesIn(Input):
    preferences: list[PreferenceItem] = Field(default_factory=list, max_length=200)
    consents: list[ConsentItem] = Field(default_factory=list, max_length=200)
    language: Language | None = Field(
        None, description="The language my emails and notifications are written in."
    )


class PreferenceOut(Output):
    kind: str
    channel: str
    enabled: bool
    marketing: bool = Field(description="A marketing kind: it also needs the shop's consent.")


class ConsentOut(Output):
    shop_id: int
    shop_name: str
    consent: bool


class PreferencesOut(Output):
    language: str
    preferences: list[PreferenceOut]
    consents: list[ConsentOut] = Field(
        description="The shops whose programs I am in, and whether I accept their news."
    )


# --- Shops' templates -------------------------------------------------------------------------


class TemplateIn(Input):
    subject: Subject = Field(examples=["Hello {{ user_name }}"])
    body: Body = Field(examples=["Thank you, {{ user_name }}!"])


class PreviewIn(TemplateIn):
    kind: KindName
    channel: Channel
    language: Language


class PreviewOut(Output):
    subject: str
    text: str
    html: str | None = None


class TemplateOut(Output):
    kind: str
    channel: str
    language: str
    subject: str
    body: str
    overridden: bool = Field(description="The shop's own words; else the default's.")
    names: list[str] = Field(description="The names the template may use.")


class TemplateList(Output):
    items: list[TemplateOut]
