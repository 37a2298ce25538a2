"""API input and output of rewards, receipts and contributions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from stampbook.core.money import CurrencyCode
from stampbook.core.pagination import HistoryQuery, Page
from stampbook.core.schemas import (
    NOT_BLANK,
    Color,
    Description,
    Icon,
    Input,
    Keep,
    Moment,
    Name,
    Output,
    Points,
    PositivePoints,
    Strip,
    Summary,
    only_if,
    sent,
)
from stampbook.core.schemas import UserRef as UserRef  # re-exported: the queries use it
from stampbook.loyalty.schemas import PositiveAmount
from stampbook.rewards.discount_rules import MAX_PERCENT, is_discount
from stampbook.rewards.models import (
    DISCOUNT_KINDS,
    ContributionStatus,
    DiscountStatus,
    RedemptionStatus,
    RewardKind,
)
from stampbook.rewards.rules import RewardStatus, ScheduleSettings, SortOrder

Id = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
QueryId = Annotated[int, Field(ge=1, le=2**63 - 1)]
# How many units of a reward one redemption may take.
Quantity = Annotated[int, Field(strict=True, ge=1, le=1000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NOT_BLANK), Strip]
Percent = Annotated[int, Field(strict=True, ge=1, le=MAX_PERCENT)]

_AMOUNT, _PERCENT = RewardKind.DISCOUNT_AMOUNT.value, RewardKind.DISCOUNT_PERCENT.value
# A discount's value goes with its kind (JSON Schema of what ``_discount_fields`` checks).
DISCOUNT_RULES: list[Any] = [
    only_if(sent("kind", {"const": _AMOUNT}), sent("discount_amount")),
    only_if(sent("kind", {"const": _PERCENT}), sent("discount_percent")),
    only_if(sent("discount_amount"), sent("kind", {"const": _AMOUNT})),
    only_if(sent("discount_currency"), sent("kind", {"const": _AMOUNT})),
    only_if(sent("discount_percent"), sent("kind", {"const": _PERCENT})),
    only_if(
        sent("kind", {"enum": sorted(kind.value for kind in DISCOUNT_KINDS)}),
        {"not": sent("is_group_reward", {"const": True})},
    ),
]
KIND_DESCRIPTION = (
    "What it gives: `custom` (the team hands it over), or a discount in the shop's online "
    "store, issued as a single-use code on the receipt: `discount_amount` (an amount off, "
    "`discount_amount` in `discount_currency`), `discount_percent` (`discount_percent` off) "
    "or `free_shipping`. A discount reward is not a group reward."
)

SETTINGS_EXAMPLE = {
    "limit_reset": [{"schedule": {"days_of_week": [0]}, "limit_type": "user"}],
    "quantity_renewal": [{"schedule": {"times": ["08:00"]}, "renewal_quantity": 5, "cap": 20}],
    "availability": [{"time_ranges": [["08:00", "20:00"]]}],
}


class RewardIn(Input):
    model_config = ConfigDict(json_schema_extra={"allOf": DISCOUNT_RULES})

    name: Name = Field(examples=["Free coffee"])
    summary: Summary | None = Field(None, examples=["Any size"])
    description: Description | None = None
    color: Color | None = Field(None, examples=["#6f4e37"])
    icon: Icon | None = Field(None, examples=["cup"])
    cost: PositivePoints = Field(
        description="Points per unit; for a group reward, the pot to fill.", examples=[50]
    )
    quantity: Points | None = Field(None, description="Stock; null: unlimited.", examples=[10])
    group_limit: PositivePoints | None = Field(
        None,
        description="Redemptions (completions, for a group reward) allowed across everyone "
        "per reset period (all time without a `limit_reset`); null: no limit.",
        examples=[100],
    )
    user_limit: PositivePoints | None = Field(
        None,
        description="Redemptions one member may make (for themselves or as gifts) per reset "
        "period; null: no limit.",
        examples=[1],
    )
    expiry_date: Moment | None = Field(
        None, description="From this moment on it cannot be redeemed."
    )
    is_group_reward: StrictBool = Field(
        False, description="Members pool points toward it; filling the pot redeems it."
    )
    can_contribute: StrictBool = Field(
        True, description="Whether a group reward's pot takes contributions now."
    )
    is_giftable: StrictBool = Field(
        False, description="Whether it may be redeemed for someone else."
    )
    schedule_settings: ScheduleSettings = Field(
        default_factory=ScheduleSettings,
        description="Limit resets, stock renewals and availability windows, read in the "
        "shop's time zone.",
        examples=[SETTINGS_EXAMPLE],
    )
    kind: RewardKind = Field(RewardKind.CUSTOM, description=KIND_DESCRIPTION)
    discount_amount: PositiveAmount | None = Field(
        None,
        description="A `discount_amount` reward's amount off, a decimal string; decimals "
        "beyond the currency's minor unit are cut.",
        examples=["5.00"],
    )
    discount_currency: CurrencyCode | None = Field(
        None,
        description="The amount's currency; by default the currency of the program the "
        "shop's connected store earns in, else of the shop's first program.",
    )
    discount_percent: Percent | None = Field(
        None, description="A `discount_percent` reward's percentage off.", examples=[15]
    )

    @model_validator(mode="after")
    def _discount_fields(self) -> RewardIn:
        if self.kind == RewardKind.DISCOUNT_AMOUNT and self.discount_amount is None:
            raise ValueError("a discount_amount reward needs discount_amount")
        if self.kind == RewardKind.DISCOUNT_PERCENT and self.discount_percent is None:
            raise ValueError("a discount_percent reward needs discount_percent")
        if self.kind != RewardKind.DISCOUNT_AMOUNT and (
            self.discount_amount is not None or self.discount_currency is not None
        ):
            raise ValueError("discount_amount and discount_currency are a discount_amount's")
        if self.kind != RewardKind.DISCOUNT_PERCENT and self.discount_percent is not None:
            raise ValueError("discount_percent is a discount_percent reward's")
        if is_discount(self.kind) and self.is_group_reward:
            raise ValueError("a discount reward is not a group reward")
        return self


class RewardPatch(Input):
    """The fields of ``RewardIn``; only those sent change, and each change is recorded.

    Null clears the optional fields (no stock limit, no expiry...); the others refuse it.
    A change of ``kind`` sends the discount fields the new kind needs (and null for those
    it does not take): the reward as it then stands must hold exactly its kind's fields.
    """

    name: Keep[Name] = None
    summary: Summary | None = None
    description: Description | None = None
    color: Color | None = None
    icon: Icon | None = None
    cost: Keep[PositivePoints] = None
    quantity: Points | None = None
    group_limit: PositivePoints | None = None
    user_limit: PositivePoints | None = None
    expiry_date: Moment | None = None
    is_group_reward: Keep[StrictBool] = None
    can_contribute: Keep[StrictBool] = None
    is_giftable: Keep[StrictBool] = None
    schedule_settings: Keep[ScheduleSettings] = None
    kind: Keep[RewardKind] = None
    discount_amount: PositiveAmount | None = None
    discount_currency: CurrencyCode | None = None
    discount_percent: Percent | None = None


class RewardContent(Output):
    """The reward as it was when redeemed."""

    id: int
    name: str
    summary: str | None = None
    description: str | None = None
    color: str | None = None
    icon: str | None = None
    cost: int
    kind: RewardKind = RewardKind.CUSTOM
    discount_amount: str | None = None
    discount_currency: str | None = None
    discount_percent: int | None = None


class RewardOut(Output):
    id: int
    shop_id: int
    created_by: int | None = None
    name: str
    summary: str | None = None
    description: str | None = None
    color: str | None = None
    icon: str | None = None
    cost: int
    quantity: int | None = Field(None, description="Stock left now; null: unlimited.")
    group_limit: int | None = None
    user_limit: int | None = None
    expiry_date: datetime | None = None
    is_group_reward: bool
    can_contribute: bool
    is_giftable: bool
    schedule_settings: ScheduleSettings
    group_progress: int = Field(0, description="Points in a group reward's pot now.")
    kind: RewardKind = Field(RewardKind.CUSTOM, description=KIND_DESCRIPTION)
    discount_amount: str | None = Field(None, examples=["5.00"])
    discount_currency: str | None = Field(None, examples=["USD"])
    discount_percent: int | None = None
    created_at: datetime
    edited_at: datetime | None = None


class RewardSlimItem(Output):
    id: int
    name: str
    cost: int
    status: RewardStatus


class RewardListItem(RewardOut):
    status: RewardStatus
    is_favorite: bool


class RewardList(BaseModel):
    """A shop's whole reward list (at most 500), sorted as asked; not paged."""

    items: list[RewardListItem | RewardSlimItem]


class RewardDetailOut(RewardListItem):
    available_again_at: datetime | None = Field(
        None, description="When a reward closed by its schedule opens again, if known."
    )
    last_redeemed_at: datetime | None = None
    last_redeemed_by: UserRef | None = Field(
        None, description="Shown only when that person's privacy settings allow it."
    )


class RewardListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sort: SortOrder = Field(SortOrder.DEFAULT, description="default | cost | -cost | name | newest")
    hide_expired: bool = False
    hide_unavailable: bool = Field(False, description="Hide unavailable and out-of-stock ones.")
    view: Literal["full", "slim"] = Field("full", description="slim: id, name, cost, status.")
    program_id: QueryId | None = Field(
        None, description="Whose balance decides 'redeemable': my membership in this program."
    )


class ChangeOut(Output):
    id: int
    reward_id: int
    changed_by: int | None = None
    changed_at: datetime
    field: str
    old_value: Any = None
    new_value: Any = None


class ChangePage(Page):
    items: list[ChangeOut]


class RedeemIn(Input):
    membership_id: Id = Field(description="Your membership that pays.", examples=[7])
    quantity: Quantity = Field(1, examples=[1])
    gift_to_user_id: Id | None = Field(
        None, description="Redeem as a gift: the receipt is theirs, the points yours."
    )


class RedemptionOut(Output):
    id: int
    status: RedemptionStatus
    user_id: int = Field(description="Who owns the receipt (a gift's recipient).")
    paid_by_membership_id: int
    gifted_by_user_id: int | None = None
    reward_id: int
    shop_id: int
    quantity: int
    points_paid: int
    reward_content: RewardContent
    group_round: int | None = Field(None, description="Completion of a group reward.")
    created_at: datetime
    fulfilled_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    discount_status: DiscountStatus | None = Field(
        None,
        description="A discount reward's code: `pending` (being made, in the shop's online "
        "store if one is connected), `issued` (`discount_code` works, once), `refused` (no "
        "code: the store refused it and the points came back, or the receipt was cancelled "
        "first); null for other rewards.",
    )
    discount_code: str | None = Field(
        None,
        description="The single-use discount code, once issued (null before).",
        examples=["KX7MPA4TQWC9"],
    )

    @model_validator(mode="after")
    def _code_once_issued(self) -> RedemptionOut:
        if self.discount_status != DiscountStatus.ISSUED:
            self.discount_code = None
        return self


class RedemptionPage(Page):
    items: list[RedemptionOut]


class MyRedemptionQuery(HistoryQuery):
    shop_id: QueryId | None = Field(None, description="Only receipts from this shop.")


class ShopRedemptionQuery(HistoryQuery):
    reward_id: QueryId | None = Field(None, description="Only receipts of this reward.")
    status: RedemptionStatus | None = None


class CancelIn(Input):
    reason: Reason = Field(examples=["Out of oat milk"])


class ContributeIn(Input):
    membership_id: Id = Field(description="Your membership that pays.", examples=[7])
    points: PositivePoints = Field(
        description="At most this many; only what the pot still misses is taken.", examples=[20]
    )


class ContributionOut(Output):
    id: int
    reward_id: int
    membership_id: int
    points: int = Field(description="Points taken (capped at what the pot missed).")
    status: ContributionStatus
    group_round: int
    created_at: datetime


class ContributionResultOut(Output):
    contribution: ContributionOut
    completed: bool = Field(description="Whether this contribution filled the pot.")
    group_progress: int = Field(description="Points in the pot now (0 after a completion).")
    cost: int
    redemption: RedemptionOut | None = Field(
        None, description="Your receipt, when this contribution completed the reward."
    )


class FavoriteOut(Output):
    reward_id: int
    is_favorite: bool
