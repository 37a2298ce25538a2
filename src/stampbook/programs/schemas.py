"""API input and output of programs and memberships."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool, StringConstraints, model_validator

from stampbook.core.money import DEFAULT_CURRENCY, CurrencyCode
from stampbook.core.pagination import Page, PageQuery
from stampbook.core.schemas import (
    NOT_BLANK,
    Color,
    Description,
    Email,
    Icon,
    Id,
    Input,
    Keep,
    Name,
    Output,
    Strip,
    Summary,
    at_most_one,
    only_if,
    sent,
)
from stampbook.programs.models import (
    POINTS_NAME_MAX,
    ExpiryMode,
    MembershipMode,
    MembershipRole,
    MembershipStatus,
    ProgramPrivacy,
    StampSystem,
)
from stampbook.programs.rules import ProgramPermission

# What a program may call its points (seed 001: "Star", "Stars"): one line of plain text,
# shown as typed wherever its points are counted; no markup (no "<" or ">"), no control
# characters, not blank; stored stripped.
_NOT_IN_POINTS_NAME = r"<>\u0000-\u001f\u007f-\u009f"
_BLANKS = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
POINTS_NAME_PATTERN = (
    rf"^[^{_NOT_IN_POINTS_NAME}]*[^{_NOT_IN_POINTS_NAME}{_BLANKS}][^{_NOT_IN_POINTS_NAME}]*$"
)
PointsName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=POINTS_NAME_MAX, pattern=POINTS_NAME_PATTERN),
    Strip,
]
SINGULAR, PLURAL = "points_currency_singular", "points_currency_plural"
_BOTH_NAMES = "name the points both in the singular and in the plural, or neither"
_SINGULAR_DOC = (
    "The program's own name for one of its points (e.g. Star), shown as typed in every text "
    "that counts them; null: the reader's language's word for point. Sent with the plural."
)
_PLURAL_DOC = "Its name for several of them (e.g. Stars); null: points."


PendingDays = Annotated[int, Field(ge=1, le=90)]
ExpiryDays = Annotated[int, Field(ge=0, le=3650)]
ReminderDays = Annotated[int, Field(ge=1, le=365)]
_PENDING_DOC = (
    "Days an order's points stay pending (the return window: not spendable, cancelled by a "
    "refund) before they are released; null: at once. A change holds only orders paid after it."
)
_EXPIRY_MODE_DOC = (
    "never; days: expiry_days after being earned (at the end of that day in the shop's zone); "
    "month or year: at the end of the month or year in which that day falls; inactive: the "
    "whole balance, expiry_days after the member's last earning or spending. Turning expiry on "
    "starts every clock that day (points held then expire a full period later at the "
    "earliest); turning it off restores nothing already expired."
)
_EXPIRY_DAYS_DOC = (
    "Days for the expiry mode (at least 1 for days and inactive; 0 allowed for month and year: "
    "the end of the month or year the points were earned in). A change applies to points "
    "earned after it."
)


class ExpirySettings(Input):
    pending_days: PendingDays | None = Field(None, description=_PENDING_DOC, examples=[14])
    expiry_mode: ExpiryMode = Field(
        ExpiryMode.NEVER, description=_EXPIRY_MODE_DOC, examples=["days"]
    )
    expiry_days: ExpiryDays | None = Field(None, description=_EXPIRY_DAYS_DOC, examples=[365])
    expiry_warning_days: ReminderDays = Field(
        30, description="A first reminder this many days before points expire."
    )
    expiry_last_chance_days: ReminderDays = Field(
        3, description="A last-chance reminder this many days before (fewer than the warning)."
    )


def _names_together(singular: str | None, plural: str | None) -> None:
    if (singular is None) != (plural is None):
        raise ValueError(_BOTH_NAMES)


class ProgramIn(ExpirySettings):
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [only_if(sent(SINGULAR), sent(PLURAL)), only_if(sent(PLURAL), sent(SINGULAR))]
        }
    )

    name: Name = Field(examples=["Coffee card"])
    summary: Summary | None = Field(None, examples=["A stamp for every coffee."])
    description: Description | None = None
    color: Color | None = Field(None, examples=["#6f4e37"])
    icon: Icon | None = Field(None, examples=["cup"])
    privacy_mode: ProgramPrivacy = Field(ProgramPrivacy.PUBLIC, examples=["public"])
    membership_mode: MembershipMode = Field(
        MembershipMode.PUBLIC,
        description="public: anyone who sees it joins; invite: by invitation; "
        "personal: a private tracker whose only member is its creator.",
        examples=["public"],
    )
    stamp_system_type: StampSystem = Field(
        StampSystem.STAMPERS,
        description="stampers (the default): only the shop's team and the program's stampers, "
        "assistants and managers stamp; self: members stamp themselves (set a limit on each "
        "task: a frequency, an availability or a maximum); members: members stamp each other.",
        examples=["stampers"],
    )
    currency: CurrencyCode = Field(
        DEFAULT_CURRENCY, description="What its orders and purchase rule are priced in."
    )
    points_currency_singular: PointsName | None = Field(
        None, description=_SINGULAR_DOC, examples=["Star"]
    )
    points_currency_plural: PointsName | None = Field(
        None, description=_PLURAL_DOC, examples=["Stars"]
    )

    @model_validator(mode="after")
    def _points_names(self) -> ProgramIn:
        _names_together(self.points_currency_singular, self.points_currency_plural)
        return self


class ProgramPatch(Input):
    """Only the fields sent change; null clears the optional ones (summary, colour...). The
    points' two names change together: both sent, both names or both null."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                only_if({"required": [SINGULAR]}, {"required": [PLURAL]}),
                only_if({"required": [PLURAL]}, {"required": [SINGULAR]}),
                only_if(sent(SINGULAR), sent(PLURAL)),
                only_if(sent(PLURAL), sent(SINGULAR)),
            ]
        }
    )

    name: Keep[Name] = None
    summary: Summary | None = None
    description: Description | None = None
    color: Color | None = None
    icon: Icon | None = None
    privacy_mode: Keep[ProgramPrivacy] = None
    membership_mode: Keep[MembershipMode] = None
    stamp_system_type: Keep[StampSystem] = None
    currency: Keep[CurrencyCode] = Field(
        None, description="Orders already recorded keep theirs; new ones must use this one."
    )
    points_currency_singular: PointsName | None = Field(
        None, description=_SINGULAR_DOC, examples=["Star"]
    )
    points_currency_plural: PointsName | None = Field(
        None, description=_PLURAL_DOC, examples=["Stars"]
    )
    pending_days: PendingDays | None = Field(None, description=_PENDING_DOC, examples=[14])
    expiry_mode: Keep[ExpiryMode] = Field(None, description=_EXPIRY_MODE_DOC)
    expiry_days: ExpiryDays | None = Field(None, description=_EXPIRY_DAYS_DOC, examples=[365])
    expiry_warning_days: Keep[ReminderDays] = None
    expiry_last_chance_days: Keep[ReminderDays] = None

    @model_validator(mode="after")
    def _points_names(self) -> ProgramPatch:
        if (SINGULAR in self.model_fields_set) != (PLURAL in self.model_fields_set):
            raise ValueError(_BOTH_NAMES)
        _names_together(self.points_currency_singular, self.points_currency_plural)
        return self


class ProgramOut(Output):
    id: int
    shop_id: int
    name: str
    summary: str | None = None
    description: str | None = None
    color: str | None = None
    icon: str | None = None
    privacy_mode: ProgramPrivacy
    membership_mode: MembershipMode
    stamp_system_type: StampSystem
    currency: str = Field(examples=["USD"])
    points_currency_singular: str | None = Field(
        None, description="Its own name for one point; null: point.", examples=["Star"]
    )
    points_currency_plural: str | None = Field(
        None, description="Its own name for several; null: points.", examples=["Stars"]
    )
    pending_days: int | None = None
    expiry_mode: ExpiryMode = ExpiryMode.NEVER
    expiry_days: int | None = None
    expiry_since: datetime | None = Field(None, description="When expiry was last turned on.")
    expiry_warning_days: int = 30
    expiry_last_chance_days: int = 3
    created_by: int
    created_at: datetime
    edited_at: datetime | None = None
    archived_at: datetime | None = Field(None, description="Set once deleted or merged away.")
    merged_into_id: int | None = None


class ProgramPage(Page):
    items: list[ProgramOut]


class ProgramQuery(PageQuery):
    archived: bool = Field(
        False,
        description="List archived programs (deleted or merged away: gone at their own path) "
        "instead of live ones; the team sees them all, a former member those they were in.",
    )


class ProgramMergeIn(Input):
    source_program_id: Id = Field(
        description="A program of the same shop, merged into this one, then archived.",
        examples=[4],
    )


class ProgramMergeOut(Output):
    program: ProgramOut
    moved_memberships: int = Field(description="Memberships moved over as they were.")
    merged_memberships: int = Field(
        description="Memberships of people in both programs, folded into their one here."
    )
    points_moved: int = Field(description="Points carried over by ledger entries (kind merge).")
    moved_tasks: int


ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Strip
]
MembershipPermissionSettings = Annotated[
    dict[ProgramPermission, StrictBool],
    Field(
        description="Turn single program permissions on or off on top of the role's defaults.",
        examples=[{"stamp": True, "manage_members": False}],
    ),
]


class MembershipIn(Input):
    """``{}`` joins the program yourself. The team may instead name someone:

    - ``user_id`` (and ``role_type``): invites that user; the membership is ``invited``
      until they accept it (``POST /api/v1/invitations/{id}/accept``);
    - ``email`` or ``external_id``: creates an unclaimed customer's membership, active at
      once, holding points for someone without an account yet (claimed later).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                at_most_one("user_id", "email", "external_id"),
                only_if(sent("role_type"), sent("user_id")),
            ]
        }
    )

    user_id: Id | None = Field(None, examples=[5])
    email: Email | None = Field(None, examples=["customer@example.com"])
    external_id: ExternalId | None = Field(None, examples=["shopify-customer-1234"])
    role_type: MembershipRole | None = Field(None, examples=["stamper"])

    @model_validator(mode="after")
    def _one_person(self) -> MembershipIn:
        named = [v for v in (self.user_id, self.email, self.external_id) if v is not None]
        if len(named) > 1:
            raise ValueError("name one person: user_id, email or external_id")
        if self.role_type is not None and self.user_id is None:
            raise ValueError("role_type goes with user_id; you join, and customers are members")
        return self


class MembershipPatch(Input):
    role_type: Keep[MembershipRole] = None
    permission_settings: Keep[MembershipPermissionSettings] = None


class ExpiringPoints(Output):
    points: int
    expires_at: datetime


class MembershipOut(Output):
    id: int
    program_id: int
    user_id: int | None = Field(None, description="null for an unclaimed customer.")
    role_type: MembershipRole
    status: MembershipStatus
    balance: int
    pending: int = Field(
        0, description="Points earned but pending (an order's return window): not spendable yet."
    )
    expiring: list[ExpiringPoints] | None = Field(
        None,
        description="The next points to expire, soonest first (up to three dates), in a "
        "program whose points expire lot by lot; empty when none will; null in lists.",
    )
    permission_settings: dict[str, bool]
    email: str | None = Field(None, description="An unclaimed customer's; the team only.")
    external_id: str | None = Field(None, description="An unclaimed customer's; the team only.")
    created_at: datetime
    edited_at: datetime | None = None


class MembershipPage(Page):
    items: list[MembershipOut]


class MembershipQuery(PageQuery):
    status: MembershipStatus | None = Field(
        None,
        description="Only this status; only the team sees memberships that are not active.",
    )
    external_id: ExternalId | None = Field(
        None, description="The customer with this store id (the team only).", examples=["1234"]
    )
    email: Annotated[str, StringConstraints(min_length=1, max_length=254)] | None = Field(
        None,
        description="The member or customer with this email, in any case (the team only).",
        examples=["customer@example.com"],
    )


class LeaderboardQuery(Input):
    limit: int = Field(100, ge=1, le=100, description="How many places (1 to 100).")


class LeaderboardEntry(Output):
    rank: int = Field(examples=[1])
    membership_id: int
    balance: int = Field(examples=[420])
    user_id: int | None = Field(
        None, description="Null when the member's privacy hides them from the caller."
    )
    name: str | None = Field(None, examples=["Ada"])
    customer: bool = Field(
        False, description="An unclaimed customer (no account yet): never named here."
    )


class Leaderboard(Output):
    program_id: int
    items: list[LeaderboardEntry]
