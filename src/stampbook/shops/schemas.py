"""API input and output of shops, their team roles and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from stampbook.core.pagination import Page, PageQuery
from stampbook.core.schemas import (
    NOT_BLANK,
    CallableUrl,
    Color,
    Description,
    Email,
    Icon,
    Id,
    ImageUrl,
    Input,
    Keep,
    Name,
    OrderedIds,
    Output,
    PositivePoints,
    Strip,
    Summary,
    TimeZone,
    at_most_one,
    exactly_one,
    refuse_duplicates,
    sent,
)
from stampbook.programs.models import MembershipRole
from stampbook.schedules.rules import Schedule
from stampbook.shops.models import InvitationStatus, ShopPrivacy, ShopRoleType
from stampbook.shops.policy import ShopPermission

MAX_SCHEDULES = 50


MAX_ADDRESS = 300

Schedules = Annotated[list[Schedule], Field(max_length=MAX_SCHEDULES)]
# A postal address as people write it, one or several lines (newlines kept); not blank, at
# most 300 characters as sent, stored stripped.
Address = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ADDRESS, pattern=NOT_BLANK),
    Strip,
    Field(
        description="The shop's postal address as people write it, one or several lines "
        "(newlines kept); shown on its page and on the back of its wallet passes.",
        examples=["Calle Mayor 1\n28013 Madrid"],
    ),
]
ChatWebhookUrl = Annotated[
    CallableUrl,
    Field(
        description="The incoming-webhook URL of the shop's community chat (Slack, Discord, "
        "Mattermost, Rocket.Chat...), where announcements are posted: http or https, a host "
        "and no credentials. Its host must resolve to public addresses only (409 "
        "`url_not_allowed` otherwise).",
        examples=["https://hooks.slack.com/services/T000/B000/XXXX"],
    ),
]


class ShopIn(Input):
    name: Name = Field(examples=["Corner Café"])
    summary: Summary | None = Field(None, examples=["Coffee, cake and a stamp card."])
    description: Description | None = None
    address: Address | None = None
    color: Color | None = Field(None, examples=["#6f4e37"])
    icon: Icon | None = Field(None, examples=["cup"])
    image_url: ImageUrl | None = Field(None, examples=["https://example.com/cafe.jpg"])
    time_zone: TimeZone = Field("UTC", description="IANA time zone.", examples=["Europe/Madrid"])
    privacy_mode: ShopPrivacy = Field(ShopPrivacy.PUBLIC, examples=["public"])
    availability_schedule: Schedules = Field(
        default_factory=list,
        description="When the shop is open; empty means always.",
        examples=[[{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["08:00", "18:00"]]}]],
    )
    review_points: PositivePoints | None = Field(
        None,
        description="Points a member earns per reviewed item (once each), through a program "
        "without a live `review` earning rule (a program's rule pays in its place).",
        examples=[5],
    )
    chat_webhook_url: ChatWebhookUrl | None = None


class ShopPatch(Input):
    """Only the fields sent change; null clears the optional ones (summary, image...)."""

    name: Keep[Name] = None
    summary: Summary | None = None
    description: Description | None = None
    address: Address | None = Field(None, description="null: no address.")
    color: Color | None = None
    icon: Icon | None = None
    image_url: ImageUrl | None = None
    time_zone: Keep[TimeZone] = Field(None, examples=["Europe/Madrid"])
    privacy_mode: Keep[ShopPrivacy] = None
    availability_schedule: Keep[Schedules] = None
    order_reward_ids: Keep[OrderedIds] = Field(
        None, description="The shop's rewards in display order.", examples=[[3, 1, 2]]
    )
    order_program_ids: Keep[OrderedIds] = Field(
        None, description="The shop's programs in display order.", examples=[[2, 1]]
    )
    review_points: PositivePoints | None = Field(
        None, description="null: reviews earn nothing.", examples=[5]
    )
    chat_webhook_url: ChatWebhookUrl | None = Field(None, description="null: no announcements.")

    _unique = field_validator("order_reward_ids", "order_program_ids")(refuse_duplicates)


class ShopOut(Output):
    id: int
    name: str
    summary: str | None = None
    description: str | None = None
    address: str | None = Field(None, description="The postal address, one or several lines.")
    color: str | None = None
    icon: str | None = None
    image_url: str | None = None
    time_zone: str
    privacy_mode: ShopPrivacy
    availability_schedule: list[Schedule]
    is_open_now: bool = Field(description="Open now by its schedule, in the shop's time zone.")
    order_reward_ids: list[int]
    order_program_ids: list[int]
    review_points: int | None = None
    chat_webhook_url: str | None = Field(
        None, description="Shown only to those who may edit the shop (it is a secret)."
    )
    my_role: str | None = Field(
        None, description="The caller's part in the team: creator, manager, assistant, viewer."
    )
    created_by: int
    created_at: datetime
    edited_at: datetime | None = None


class ShopPage(Page):
    items: list[ShopOut]


class ShopQuery(PageQuery):
    q: Annotated[str, StringConstraints(max_length=100), Strip] | None = Field(
        None, description="Only shops whose name contains this (any case).", examples=["café"]
    )


class ShopMergeIn(Input):
    source_shop_id: Id = Field(
        description="The shop merged into this one, then deleted.", examples=[7]
    )


class ShopMergeOut(Output):
    shop: ShopOut
    moved_programs: int
    moved_rewards: int
    moved_roles: int = Field(description="Roles moved over or strengthened in this shop.")


PermissionSettings = Annotated[
    dict[ShopPermission, StrictBool],
    Field(
        description="Turn single permissions on or off, on top of the role type's defaults.",
        examples=[{"stamp": True, "edit_rewards": False}],
    ),
]


def _one_scope(reward_id: int | None, task_id: int | None, role_type: str | None) -> None:
    if reward_id is not None and task_id is not None:
        raise ValueError("a role is scoped to one reward or one task, not both")
    if role_type == ShopRoleType.MANAGER and (reward_id is not None or task_id is not None):
        raise ValueError("a manager runs the whole shop; scope assistants or viewers")


# `_one_scope` in JSON Schema, for the document.
SCOPE_RULES: dict[str, Any] = {
    "allOf": [
        at_most_one("reward_id", "task_id"),
        {
            "not": {
                "allOf": [
                    sent("role_type", {"const": ShopRoleType.MANAGER.value}),
                    {"anyOf": [sent("reward_id"), sent("task_id")]},
                ]
            }
        },
    ]
}


class RoleIn(Input):
    model_config = ConfigDict(json_schema_extra=SCOPE_RULES)

    user_id: Id = Field(examples=[2])
    role_type: ShopRoleType = Field(examples=["assistant"])
    permission_settings: PermissionSettings = Field(default_factory=dict)
    reward_id: Id | None = Field(None, description="Scope the role to one reward.")
    task_id: Id | None = Field(None, description="Scope the role to one task.")

    @model_validator(mode="after")
    def _check_scope(self) -> RoleIn:
        _one_scope(self.reward_id, self.task_id, self.role_type)
        return self


class RolePatch(Input):
    """Only the fields sent change. A scope the role would end up with that breaks the rules
    of ``RoleIn`` (with what it has now) is refused with 409 ``invalid_scope``."""

    model_config = ConfigDict(json_schema_extra=SCOPE_RULES)

    role_type: Keep[ShopRoleType] = None
    permission_settings: Keep[PermissionSettings] = None
    reward_id: Id | None = Field(None, description="null removes the scope.")
    task_id: Id | None = Field(None, description="null removes the scope.")

    @model_validator(mode="after")
    def _check_scope(self) -> RolePatch:
        _one_scope(self.reward_id, self.task_id, self.role_type)
        return self


class RoleOut(Output):
    id: int
    shop_id: int
    user_id: int
    role_type: ShopRoleType
    permission_settings: dict[str, bool]
    permissions: list[ShopPermission] = Field(description="What the role may do, all told.")
    reward_id: int | None = None
    task_id: int | None = None
    created_by: int | None = None
    created_at: datetime
    edited_at: datetime | None = None


class RolePage(Page):
    items: list[RoleOut]


class InvitationIn(Input):
    """Whom to invite: a user id, or an email (the account holding it, now or later)."""

    model_config = ConfigDict(json_schema_extra=exactly_one("user_id", "email"))

    user_id: Id | None = Field(None, examples=[5])
    email: Email | None = Field(None, examples=["friend@example.com"])

    @model_validator(mode="after")
    def _exactly_one(self) -> InvitationIn:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give either user_id or email")
        return self


class ProgramInvitationIn(InvitationIn):
    role_type: MembershipRole = Field(MembershipRole.MEMBER, examples=["member"])


class InvitationOut(Output):
    id: int
    shop_id: int
    shop_name: str
    program_id: int | None = Field(None, description="Set for an invitation into a program.")
    program_name: str | None = None
    user_id: int | None = None
    email: str | None = None
    role_type: MembershipRole | None = None
    status: InvitationStatus
    created_by: int
    created_at: datetime
    responded_at: datetime | None = None


class InvitationPage(Page):
    items: list[InvitationOut]


class InvitationQuery(PageQuery):
    status: InvitationStatus | None = Field(
        InvitationStatus.PENDING, description="Only invitations in this status."
    )


class MemberSearchQuery(Input):
    q: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Strip] = (
        Field(description="The start of a member's name, or of their email.", examples=["ada"])
    )
    limit: int = Field(20, ge=1, le=50)


class MemberMatch(Output):
    membership_id: int
    program_id: int
    program_name: str
    user_id: int | None
    name: str | None
    email: str | None
    external_id: str | None = Field(None, description="A store customer's id, if any.")
    balance: int


class MemberMatches(Output):
    items: list[MemberMatch]
