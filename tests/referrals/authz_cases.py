"""The referrals domain's part of the authorization suites (tests/reliability/authz_*.py):
referrals on in the world's program, a code of the other member's, and a referral held for
review (approved or rejected by the managers)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.programs.models import Membership
from stampbook.referrals.models import Referral, ReferralCode, ReferralSettings

if TYPE_CHECKING:
    from tests.reliability.authz_world import World

CODE = "AUTHZ234"
SETTINGS = {"enabled": True, "advocate_points": 5, "friend_points": 2}


def referral_objects(session: Session, program_id: int, advocate_id: int) -> dict[str, Any]:
    session.add(
        ReferralSettings(
            program_id=program_id, enabled=True, advocate_points=5, friend_points=2, escalation=[]
        )
    )
    session.add(ReferralCode(membership_id=advocate_id, program_id=program_id, code=CODE))
    friend = Membership(program_id=program_id, external_id="authz-friend")
    session.add(friend)
    session.flush()
    now = utcnow()
    held = Referral(
        program_id=program_id,
        advocate_id=advocate_id,
        friend_id=friend.id,
        code=CODE,
        method="code",
        status="pending",
        held=True,
        network="192.0.2.1",
        created_at=now,
        expires_at=now + timedelta(days=30),
    )
    session.add(held)
    session.flush()
    return {"held_referral": held.id, "referral_code": CODE}


def join_body(world: World, role: str) -> dict[str, Any]:
    return {"code": CODE}


INVITE = {"emails": ["friend@example.com"]}
INVITE_FORM = {"emails": "friend@example.com"}
SETTINGS_FORM = {
    "enabled": "y",
    "completes": "on_signup",
    "advocate_points": "5",
    "friend_points": "2",
    "expiry_days": "30",
    "cap_period": "month",
}


def page_objects(session: Session, program_id: int, membership_id: int) -> str:
    """For the pages read in Spanish: referrals on, the member's code, a held referral and a
    rejected one with its reason. Answers the code (the link's page)."""
    ids = referral_objects(session, program_id, membership_id)
    now = utcnow()
    session.add(
        Referral(
            program_id=program_id,
            advocate_id=membership_id,
            friend_id=membership_id,
            code=CODE,
            method="link",
            status="rejected",
            reason="self_user",
            created_at=now,
            expires_at=now + timedelta(days=30),
        )
    )
    session.flush()
    return str(ids["referral_code"])


WORLD_CODE = "WXYZ2345"  # of the codes' alphabet (no O, L, I, 0, 1)


def api_world_objects(session: Session, program_id: int, advocate_id: int) -> None:
    """The API suites' world (tests/reliability/api_world.py): referrals on, and a code."""
    session.add(
        ReferralSettings(
            program_id=program_id, enabled=True, advocate_points=5, friend_points=2, escalation=[]
        )
    )
    session.add(ReferralCode(membership_id=advocate_id, program_id=program_id, code=WORLD_CODE))
    session.flush()
