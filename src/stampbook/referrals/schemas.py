"""The referrals' API shapes (DESIGN 9: ``GET /memberships/{id}/referral``; the rest:
``/programs/{id}/referral-settings``, ``/programs/{id}/referrals``, ``/referrals/{id}/...``,
``/programs/{id}/referral-analytics``, ``/memberships/{id}/referral-invitations``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stampbook.core.pagination import PageQuery
from stampbook.core.schemas import Email, Id
from stampbook.loyalty.schemas import Amount
from stampbook.referrals.rules import (
    ReferralCapPeriod,
    ReferralCompletes,
    ReferralMethod,
    ReferralReason,
    ReferralStatus,
)

if TYPE_CHECKING:
    from stampbook.referrals.models import Referral

Points = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32),
    Field(description="A member's referral code, in any case.", examples=["7KQ4M2XP"]),
]


class StepIn(BaseModel):
    """From the advocate's ``from_count``-th completed referral on (2 or more), these
    points (and reward) instead of the base."""

    model_config = ConfigDict(extra="forbid")

    from_count: int = Field(ge=-(10**6), le=10**6, strict=True)
    points: Points = 0
    reward_id: Id | None = None


class ReferralSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    completes: ReferralCompletes = ReferralCompletes.ON_SIGNUP
    minimum_amount: Amount = Field(
        "0", description="On first purchase: the order's subtotal must reach it."
    )
    advocate_points: Points = 0
    advocate_reward_id: Id | None = None
    friend_points: Points = 0
    friend_reward_id: Id | None = None
    escalation: list[StepIn] = Field(default_factory=list, max_length=10)
    expiry_days: int = Field(default=30, ge=1, le=365, strict=True)
    cap_count: int | None = Field(default=None, ge=1, le=10_000, strict=True)
    cap_period: ReferralCapPeriod = ReferralCapPeriod.MONTH
    email_sharing: bool = True


class StepOut(BaseModel):
    from_count: int
    points: int
    reward_id: int | None


class ReferralSettingsOut(BaseModel):
    program_id: int
    enabled: bool
    completes: ReferralCompletes
    minimum_amount: str
    currency: str
    advocate_points: int
    advocate_reward_id: int | None
    friend_points: int
    friend_reward_id: int | None
    escalation: list[StepOut]
    expiry_days: int
    cap_count: int | None
    cap_period: ReferralCapPeriod
    email_sharing: bool


class ReferralCounts(BaseModel):
    invited: int
    pending: int
    completed: int
    rejected: int
    expired: int


class MemberReferralOut(BaseModel):
    membership_id: int
    program_id: int
    code: str
    link: str = Field(description="The page a friend opens: /r/<code>, absolute.")
    counts: ReferralCounts
    points_earned: int  # what the member's completed referrals paid them


class ReferralIn(BaseModel):
    """Join the program as a friend through ``code`` (no ``membership_id``), or, for the
    shop's team, refer an existing membership (a customer who joined in the store)."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    membership_id: Id | None = None


class ReferralOut(BaseModel):
    id: int
    program_id: int
    advocate_id: int
    friend_id: int | None
    method: ReferralMethod
    status: ReferralStatus
    reason: ReferralReason | None
    held: bool = Field(description="Held for review by the shop's team (status pending).")
    created_at: datetime
    expires_at: datetime
    completed_at: datetime | None
    ordinal: int | None
    advocate_points: int
    friend_points: int


def referral_out(referral: Referral) -> ReferralOut:
    return ReferralOut(
        id=referral.id,
        program_id=referral.program_id,
        advocate_id=referral.advocate_id,
        friend_id=referral.friend_id,
        method=ReferralMethod(referral.method),
        status=ReferralStatus(referral.status),
        reason=ReferralReason(referral.reason) if referral.reason else None,
        held=referral.held,
        created_at=referral.created_at,
        expires_at=referral.expires_at,
        completed_at=referral.completed_at,
        ordinal=referral.ordinal,
        advocate_points=referral.advocate_points,
        friend_points=referral.friend_points,
    )


class ReferralList(BaseModel):
    items: list[ReferralOut]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")


class ReferralQuery(PageQuery):
    status: ReferralStatus | None = None
    held: bool | None = None


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(max_length=200)] | None = None


class InvitationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emails: list[Email] = Field(min_length=1, max_length=5)


class InvitationsOut(BaseModel):
    sent: int = Field(description="Invitations queued (addresses already invited are skipped).")


class AdvocateStats(BaseModel):
    membership_id: int
    name: str | None
    invited: int
    signed_up: int
    converted: int
    rewards_paid: int  # points paid to the advocate
    median_conversion_seconds: int | None


class ProgramStats(BaseModel):
    invited: int
    signed_up: int
    converted: int
    rejected: int
    expired: int
    rewards_paid: int  # points paid to advocates and friends
    conversion_rate: float = Field(description="converted / signed up, 0 to 1.")
    median_conversion_seconds: int | None


class ReferralAnalytics(BaseModel):
    program: ProgramStats
    advocates: list[AdvocateStats]
