"""API input and output of a shop's API keys: the secret is in the reply to its creation
alone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from stampbook.apikeys.models import ApiKeyScope
from stampbook.core.pagination import Page
from stampbook.core.schemas import Input, Name, Output


def _once_each(scopes: list[ApiKeyScope]) -> list[ApiKeyScope]:
    if len(set(scopes)) != len(scopes):
        raise ValueError("lists each scope once")
    return scopes


Scopes = Annotated[
    list[ApiKeyScope],
    AfterValidator(_once_each),
    Field(
        min_length=1,
        max_length=len(ApiKeyScope),
        description=(
            "What the key may do: `read`, or `write` (which implies `read`) to change things "
            "too (customers, points)."
        ),
        examples=[["read"], ["write"]],
        json_schema_extra={"uniqueItems": True},
    ),
]


class ApiKeyIn(Input):
    name: Name = Field(
        description="What the key is for, to tell it from the shop's others.",
        examples=["Online store"],
    )
    scopes: Scopes


class ApiKeyOut(Output):
    id: int
    shop_id: int
    name: str
    scopes: list[str] = Field(
        description="Its scopes with what they imply: a write key lists `read` and `write`.",
        examples=[["read", "write"]],
    )
    prefix: str = Field(
        description="The key's first 10 characters, to tell keys apart.",
        examples=["sk_Xq3vN0a"],
    )
    created_by: int = Field(description="Whose rights it acts with, in this shop only.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    revoked_at: datetime | None = Field(description="Once revoked, it is refused at once.")


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(
        description=(
            "The secret, shown this once (only its digest is kept): send it as "
            "`Authorization: Bearer <key>`."
        ),
        examples=["sk_Xq3vN0a-8MvT2cQe5bYw1LdR7hKp4sZu9nJf6gHtAiE"],
    )


class ApiKeyPage(Page):
    items: list[ApiKeyOut]
