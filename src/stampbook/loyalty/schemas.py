"""API input and output of merchant loyalty: earning rules, activities, orders and refunds.

Money travels as decimal strings (``"59.90"``) in the program's currency; a value with more
decimals than the currency's minor unit is cut to it (never rounded up), as a till would."""

from __future__ import annotations

from datetime import datetime
from ipaddress import ip_address
from typing import Annotated

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from stampbook.core.pagination import HistoryQuery, Page
from stampbook.core.schemas import (
    Email,
    Id,
    Input,
    Keep,
    Moment,
    Output,
    PositivePoints,
    exactly_one,
    only_if,
    sent,
)
from stampbook.loyalty.models import CampaignKind, OrderStatus, Period, RefundStatus, RuleKind
from stampbook.programs.schemas import ExternalId

Amount = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,13}(\.[0-9]{1,6})?$"),
    Field(description="A decimal string in the program's currency.", examples=["59.90"]),
]
PositiveAmount = Annotated[
    str,
    StringConstraints(pattern=r"^(0*[1-9][0-9]{0,12}(\.[0-9]{1,6})?|0*\.?0*[1-9][0-9]{0,5})$"),
    Field(description="A decimal string above zero.", examples=["1.00"]),
]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217; it must be the program's.", examples=["USD"]),
]
Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$"),
    Field(description="The caller's id for this call: a retry with it credits once."),
]
StoreId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$"),
    Field(examples=["5678"]),
]
ActivityName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$"),
    Field(examples=["survey_completed"]),
]
LimitCount = Annotated[int, Field(ge=1, le=10**6, strict=True)]


def _address(text: str) -> str:
    """An IPv4 or IPv6 address written the one standard way, so two spellings count once (what
    the pattern lets through and is no address counts as itself: it only ever names a group)."""
    try:
        return str(ip_address(text))
    except ValueError:
        return text.lower()


# The characters of IPv4 and IPv6 addresses: the document states it, the validator writes it.
NetworkAddress = Annotated[
    str,
    StringConstraints(min_length=2, max_length=45, pattern=r"^[0-9A-Fa-f.:]+$"),
    AfterValidator(_address),
    Field(examples=["203.0.113.7"]),
]


class RuleFields(Input):
    points: PositivePoints = Field(examples=[1])
    starts_at: Moment | None = Field(None, description="Earns from then (always if null).")
    ends_at: Moment | None = Field(None, description="Earns until then (always if null).")
    limit_count: LimitCount | None = Field(
        None, description="At most this many credits per member in each limit_period."
    )
    limit_period: Period | None = Field(None, examples=["day"])

    @model_validator(mode="after")
    def _limit(self) -> RuleFields:
        if (self.limit_count is None) != (self.limit_period is None):
            raise ValueError("limit_count and limit_period go together")
        return self


class EarningRuleIn(RuleFields):
    """``purchase``: ``points`` per ``per_amount`` of an order's subtotal after discounts
    (shipping and taxes only if switched on), rounded down, from ``minimum_amount``; one
    purchase rule per program. ``activity``: a named custom activity (``activity``), credited
    with ``POST /api/v1/programs/{id}/activities``. ``signup``, ``birthday``, ``review`` and
    ``referral`` take ``points`` alone."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                only_if(sent("limit_count"), sent("limit_period")),
                only_if(sent("limit_period"), sent("limit_count")),
                only_if(sent("kind", {"const": "purchase"}), sent("per_amount")),
                only_if(sent("kind", {"const": "activity"}), sent("activity")),
                only_if(sent("per_amount"), sent("kind", {"const": "purchase"})),
                only_if(sent("minimum_amount"), sent("kind", {"const": "purchase"})),
                only_if(sent("activity"), sent("kind", {"const": "activity"})),
            ]
        }
    )

    kind: RuleKind = Field(examples=["purchase"])
    activity: ActivityName | None = None
    per_amount: PositiveAmount | None = Field(None, examples=["1.00"])
    minimum_amount: Amount | None = None
    include_shipping: StrictBool = False
    include_taxes: StrictBool = False

    @model_validator(mode="after")
    def _fields_of_kind(self) -> EarningRuleIn:
        purchase = self.kind == RuleKind.PURCHASE
        if purchase != (self.per_amount is not None):
            raise ValueError("per_amount is the purchase rule's, and it needs one")
        if not purchase and (self.minimum_amount is not None):
            raise ValueError("minimum_amount is the purchase rule's")
        if (self.kind == RuleKind.ACTIVITY) != (self.activity is not None):
            raise ValueError("activity names an activity rule, and it needs one")
        return self


class EarningRulePatch(Input):
    """Only the fields sent change; null clears the window's ends and the limit."""

    points: Keep[PositivePoints] = None
    per_amount: Keep[PositiveAmount] = None
    minimum_amount: Amount | None = None
    include_shipping: Keep[StrictBool] = None
    include_taxes: Keep[StrictBool] = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    limit_count: LimitCount | None = None
    limit_period: Period | None = None


class EarningRuleOut(Output):
    id: int
    program_id: int
    kind: RuleKind
    activity: str | None = None
    points: int
    per_amount: str | None = Field(None, description="The purchase rule's, in the currency.")
    minimum_amount: str | None = None
    include_shipping: bool
    include_taxes: bool
    currency: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    limit_count: int | None = None
    limit_period: Period | None = None
    active: bool = Field(description="Live and inside its window now.")
    created_at: datetime


class EarningRulePage(Page):
    items: list[EarningRuleOut]


class CustomerRef(Input):
    """Who: a membership of the program, or a customer found by the store's id or email
    (created as an unclaimed customer if there is none)."""

    model_config = ConfigDict(
        json_schema_extra={"allOf": [exactly_one("membership_id", "external_id", "email")]}
    )

    membership_id: Id | None = None
    external_id: ExternalId | None = Field(None, examples=["shopify-customer-1234"])
    email: Email | None = Field(None, examples=["customer@example.com"])

    @model_validator(mode="after")
    def _one(self) -> CustomerRef:
        named = [v for v in (self.membership_id, self.external_id, self.email) if v is not None]
        if len(named) != 1:
            raise ValueError("name the customer once: membership_id, external_id or email")
        return self


class ActivityIn(CustomerRef):
    activity: ActivityName
    reference: Reference | None = None


class CreditOut(Output):
    id: int
    rule_id: int
    membership_id: int
    points: int
    reference: str | None = None
    entry_id: int | None = None
    credited_at: datetime


class OrderIn(Input):
    """A store's order. It earns once, when its ``financial_status`` is ``paid`` (sending it
    again, paid or changed, earns nothing more); a test order earns nothing; ``cancelled``
    takes back what it still holds."""

    model_config = ConfigDict(
        json_schema_extra={"allOf": [exactly_one("membership_id", "external_id", "email")]}
    )

    order_id: StoreId
    membership_id: Id | None = None
    external_id: ExternalId | None = Field(None, examples=["shopify-customer-1234"])
    email: Email | None = Field(None, examples=["customer@example.com"])
    currency: Currency
    subtotal: Amount = Field(description="After discounts, without shipping and taxes.")
    shipping: Amount = "0"
    taxes: Amount = "0"
    total: Amount
    financial_status: str = Field(
        "paid",
        pattern=r"^(pending|authorized|paid|partially_paid|partially_refunded|refunded|voided)$",
        description="The store's; only paid (or partly refunded) orders earn.",
    )
    test: StrictBool = False
    cancelled: StrictBool = False
    referral_code: str | None = Field(
        None,
        max_length=32,
        description="A member's referral code the order carried (the friend's first order).",
    )
    browser_ip: NetworkAddress | None = Field(
        None,
        description="The network address the customer ordered from (Shopify's browser_ip): "
        "ten referrals from one address in a week are held for the team's review.",
    )

    @model_validator(mode="after")
    def _one(self) -> OrderIn:
        named = [v for v in (self.membership_id, self.external_id, self.email) if v is not None]
        if len(named) != 1:
            raise ValueError("name the customer once: membership_id, external_id or email")
        return self


class OrderOut(Output):
    id: int
    program_id: int
    membership_id: int | None = Field(None, description="null for an ignored test order.")
    order_id: str
    currency: str
    subtotal: str
    total: str
    status: OrderStatus
    eligible_amount: str
    points_earned: int = Field(
        description="What the order earned (base, campaign and the member's tier)."
    )
    points_tier: int = Field(
        default=0, description="Of those, the extra points of the member's tier's multiplier."
    )
    points_clawed_back: int = Field(description="What refunds and a cancellation took back.")
    shortfall: int = Field(
        description="Points a refund could not take back (already spent): a debt on record, "
        "never a negative balance."
    )
    refunded_amount: str
    paid_at: datetime | None = None
    pending_until: datetime | None = Field(
        None,
        description="When its points stop being pending (the program's return window); until "
        "then a refund cancels them rather than taking them from the balance.",
    )
    cancelled_at: datetime | None = None
    created_at: datetime


class OrderPage(Page):
    items: list[OrderOut]


class OrderQuery(HistoryQuery):
    membership_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Only this customer's orders."
    )


class RefundIn(Input):
    refund_id: StoreId
    order_id: StoreId
    currency: Currency
    amount: Amount = Field(description="The refunded subtotal (without shipping and taxes).")


class RefundOut(Output):
    id: int
    program_id: int
    refund_id: str
    order_id: str
    currency: str
    amount: str
    status: RefundStatus = Field(
        description="parked: its order has not arrived yet; applied when it does."
    )
    points_clawed_back: int
    shortfall: int
    created_at: datetime
    applied_at: datetime | None = None


Multiplier = Annotated[
    str,
    StringConstraints(pattern=r"^([1-9]|[1-9][0-9])(\.[0-9]{1,2})?$"),
    Field(description='Points times this ("2": double points).', examples=["2"]),
]
RuleKinds = Annotated[
    list[RuleKind],
    Field(
        max_length=len(RuleKind),
        json_schema_extra={"uniqueItems": True},
        description="The rule kinds it boosts; empty: all of them.",
        examples=[["purchase"]],
    ),
]


class CampaignIn(Input):
    """A multiplier (``multiplier``) or bonus points (``bonus_points``) on chosen rule kinds
    between ``starts_at`` and ``ends_at``. Multipliers do not stack: when several run, the
    highest applies; every running bonus adds its points to each credit."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                only_if(sent("kind", {"const": "multiplier"}), sent("multiplier")),
                only_if(sent("kind", {"const": "bonus"}), sent("bonus_points")),
                only_if(sent("multiplier"), sent("kind", {"const": "multiplier"})),
                only_if(sent("bonus_points"), sent("kind", {"const": "bonus"})),
            ]
        }
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")] = Field(
        examples=["Double points weekend"]
    )
    kind: CampaignKind = Field(examples=["multiplier"])
    multiplier: Multiplier | None = None
    bonus_points: PositivePoints | None = None
    rule_kinds: RuleKinds = Field(default_factory=list)
    starts_at: Moment
    ends_at: Moment

    @model_validator(mode="after")
    def _fields_of_kind(self) -> CampaignIn:
        if (self.kind == CampaignKind.MULTIPLIER) != (self.multiplier is not None):
            raise ValueError("multiplier is the multiplier campaign's, and it needs one")
        if (self.kind == CampaignKind.BONUS) != (self.bonus_points is not None):
            raise ValueError("bonus_points is the bonus campaign's, and it needs them")
        if len(set(self.rule_kinds)) != len(self.rule_kinds):
            raise ValueError("name each rule kind once")
        return self


class CampaignPatch(Input):
    """Only the fields sent change."""

    name: Keep[Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]] = (
        None
    )
    multiplier: Keep[Multiplier] = None
    bonus_points: Keep[PositivePoints] = None
    rule_kinds: Keep[RuleKinds] = None
    starts_at: Keep[Moment] = None
    ends_at: Keep[Moment] = None


class CampaignOut(Output):
    id: int
    program_id: int
    name: str
    kind: CampaignKind
    multiplier: str | None = None
    bonus_points: int | None = None
    rule_kinds: list[RuleKind]
    starts_at: datetime
    ends_at: datetime
    points_given: int = Field(description="What it has cost: the points of its entries.")
    credits: int = Field(description="How many credits it boosted.")
    created_at: datetime


class CampaignPage(Page):
    items: list[CampaignOut]
