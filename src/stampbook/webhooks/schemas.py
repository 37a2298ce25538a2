"""API input and output of outgoing webhooks: endpoints, messages, attempts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from stampbook.core.occurrences import OccurrenceType
from stampbook.core.pagination import Page
from stampbook.core.schemas import CallableUrl, Input, Keep, Output
from stampbook.webhooks.models import WebhookMessage


def _once_each(types: list[OccurrenceType]) -> list[OccurrenceType]:
    if len(set(types)) != len(types):
        raise ValueError("lists each type once")
    return types


EndpointUrl = Annotated[
    CallableUrl,
    Field(
        description=(
            "Where messages are POSTed: http or https, a host and no credentials. Its host must "
            "resolve to public addresses only (409 `url_not_allowed` otherwise)."
        ),
        examples=["https://example.com/webhooks/stampbook"],
    ),
]
EventTypes = Annotated[
    list[OccurrenceType],
    AfterValidator(_once_each),
    Field(
        max_length=len(OccurrenceType),
        description="The occurrence types sent to it; empty means all of them.",
        examples=[["points.earned", "redemption.created"]],
        json_schema_extra={"uniqueItems": True},
    ),
]
EndpointDescription = Annotated[str, StringConstraints(max_length=280)]


class WebhookEndpointIn(Input):
    url: EndpointUrl
    event_types: EventTypes = Field(default_factory=list)
    description: EndpointDescription | None = None


class WebhookEndpointPatch(Input):
    """Only the fields sent change; enabling a disabled endpoint clears why it stopped."""

    url: Keep[EndpointUrl] = None
    event_types: Keep[EventTypes] = None
    description: EndpointDescription | None = None
    enabled: Keep[bool] = None


class WebhookEndpointOut(Output):
    id: int
    shop_id: int
    url: str
    description: str | None
    event_types: list[str]
    secret: str = Field(description="`whsec_` and base64: verify signatures with it.")
    previous_secret_until: datetime | None = Field(
        description="After a rotation, until when the previous secret also signs."
    )
    enabled: bool
    disabled_reason: str | None = Field(description="`manual`, `gone` (410) or `failing`.")
    failing_since: datetime | None
    created_at: datetime


class WebhookEndpointPage(Page):
    items: list[WebhookEndpointOut]


class WebhookMessageOut(Output):
    id: int
    msg_id: str = Field(description="The `webhook-id` header of every attempt.")
    endpoint_id: int
    type: str
    status: str = Field(description="`pending`, `delivered` or `failed`.")
    attempts: int = Field(description="Attempts in the current series (a replay starts one).")
    next_attempt_at: datetime | None
    created_at: datetime
    payload: dict[str, Any] = Field(description='The body sent: `{"type", "timestamp", "data"}`.')

    @classmethod
    def of(cls, message: WebhookMessage) -> WebhookMessageOut:
        return cls(
            id=message.id,
            msg_id=message.msg_id,
            endpoint_id=message.endpoint_id,
            type=message.type,
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            created_at=message.created_at,
            payload=json.loads(message.body),
        )


class WebhookMessagePage(Page):
    items: list[WebhookMessageOut]


class WebhookAttemptOut(Output):
    id: int
    message_id: int
    msg_id: str
    endpoint_id: int
    attempted_at: datetime
    status_code: int | None
    response: str | None = Field(description="The start of the reply's body.")
    error: str | None = Field(description="`timeout`, `connection` or `url_not_allowed`.")
    duration_ms: int
    next_attempt_at: datetime | None = Field(description="The retry this attempt planned.")


class WebhookAttemptPage(Page):
    items: list[WebhookAttemptOut]
