"""API input and output of store connections (Shopify) and of their webhook: the secret goes
in, and never comes out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from stampbook.core.pagination import Page
from stampbook.core.schemas import Id, Input, Output
from stampbook.loyalty.models import DeliveryOutcome
from stampbook.loyalty.shopify import SUBSCRIBED


def _lower(value: str) -> str:
    return value.lower()


ShopDomain = Annotated[
    str,
    StringConstraints(
        min_length=len("x.myshopify.com"),
        max_length=255,
        # ``shopify.DOMAIN``, in either case (JSON Schema's patterns take no flags).
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}"
        r"\.[Mm][Yy][Ss][Hh][Oo][Pp][Ii][Ff][Yy]\.[Cc][Oo][Mm]$",
    ),
    AfterValidator(_lower),
    Field(
        description="The store's own domain, as its admin shows it: `name.myshopify.com` "
        "(kept in lower case).",
        examples=["corner-cafe.myshopify.com"],
    ),
]
Secret = Annotated[
    str,
    StringConstraints(min_length=16, max_length=255, pattern=r"^[\x21-\x7e]+$"),
    Field(
        description="The app's API secret key (Shopify signs its webhooks with it). Stored to "
        "check them; no answer ever shows it again.",
        examples=["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"],
    ),
]


AccessToken = Annotated[
    str,
    StringConstraints(min_length=16, max_length=255, pattern=r"^[\x21-\x7e]+$"),
    Field(
        description="Optional: the store's Admin API access token (an app installed on the "
        "store with the `write_discounts` and `read_discounts` scopes), with which redeeming a "
        "discount reward makes its code in the store. Stored to call the store; no answer "
        "ever shows it again. Without one, discount codes are issued here only.",
        examples=["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"],
    ),
]


class IntegrationIn(Input):
    kind: Literal["shopify"] = Field(examples=["shopify"])
    shop_domain: ShopDomain
    secret: Secret
    program_id: Id = Field(description="The store's points program: a live program of the shop.")
    access_token: AccessToken | None = None


class IntegrationPatch(Input):
    """What changes on a connection: its access token (null removes it)."""

    access_token: AccessToken | None = Field(
        description="The store's Admin API access token, or null to remove it."
    )


class IntegrationOut(Output):
    id: int
    shop_id: int
    kind: str = Field(examples=["shopify"])
    shop_domain: str = Field(examples=["corner-cafe.myshopify.com"])
    program_id: int
    created_by: int
    created_at: datetime
    disabled_at: datetime | None = Field(
        description="When it was disconnected (the app uninstalled, or deleted here); its "
        "webhooks are refused from then on."
    )
    webhook_url: str = Field(
        description="Where the store sends its webhooks (one address for every store).",
        examples=["https://stampbook.example/api/v1/integrations/shopify/webhooks"],
    )
    topics: list[str] = Field(
        description="The webhook topics to subscribe that address to.",
        examples=[[str(topic) for topic in SUBSCRIBED]],
    )
    has_access_token: bool = Field(
        description="Whether it holds an Admin API access token (never shown): discount "
        "codes are then made in the store."
    )


class IntegrationPage(Page):
    items: list[IntegrationOut]


class DeliveryReceived(Output):
    """What the webhook answers Shopify (which reads only the status)."""

    delivery_id: int = Field(description="The delivery's row in the connection's log.")
    outcome: DeliveryOutcome = Field(
        description="pending: its work is queued; ignored: a topic with nothing to do; or, for "
        "a duplicate, what became of the first delivery."
    )
    duplicate: bool = Field(
        description="The same topic and body id came before: nothing is done again."
    )
