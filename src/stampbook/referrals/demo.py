"""Referrals on the coffee card: 50 points for the advocate and 25 for the friend when the
friend joins, 100 from the advocate's 3rd referral; the regular has a code, one friend who
joined through it (both paid), and one self-referral the team sees rejected."""

from __future__ import annotations

from datetime import timedelta

from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.ledger import book
from stampbook.ledger.models import EntryKind
from stampbook.referrals.models import Referral, ReferralCode, ReferralSettings
from stampbook.referrals.rules import ReferralReason, ReferralStatus

CODE = "CAFE2345"


def load(world: DemoWorld) -> None:
    _, (card_id, _club_id) = world.at()
    db.session.add(
        ReferralSettings(
            program_id=card_id,
            enabled=True,
            completes="on_signup",
            minimum_amount=0,
            advocate_points=50,
            friend_points=25,
            escalation=[{"from_count": 3, "points": 100, "reward_id": None}],
            expiry_days=30,
            cap_count=10,
            cap_period="month",
            email_sharing=True,
        )
    )
    regular = world.membership_ids.get((card_id, world.user_ids[2]))
    if regular is None:
        return
    db.session.add(ReferralCode(membership_id=regular, program_id=card_id, code=CODE))
    now = clock.now()
    friend = next(
        (
            membership_id
            for (program_id, _user), membership_id in world.membership_ids.items()
            if program_id == card_id and membership_id != regular
        ),
        None,
    )
    if friend is not None:
        joined = Referral(
            program_id=card_id,
            advocate_id=regular,
            friend_id=friend,
            code=CODE,
            method="link",
            status=ReferralStatus.COMPLETED,
            created_at=now - timedelta(days=2),
            expires_at=now + timedelta(days=28),
            completed_at=now - timedelta(days=2),
            ordinal=1,
            conversion_seconds=0,
            advocate_points=50,
            friend_points=25,
        )
        db.session.add(joined)
        db.session.flush()
        for membership_id, points in ((regular, 50), (friend, 25)):
            book.post(
                membership_id=membership_id,
                amount=points,
                kind=EntryKind.REFERRAL,
                actor_id=None,
                cause_type="referral",
                cause_id=joined.id,
            )
    db.session.add(
        Referral(
            program_id=card_id,
            advocate_id=regular,
            friend_id=regular,
            code=CODE,
            method="link",
            status=ReferralStatus.REJECTED,
            reason=ReferralReason.SELF_USER,
            created_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=29),
            decided_at=now - timedelta(days=1),
        )
    )
    db.session.flush()
