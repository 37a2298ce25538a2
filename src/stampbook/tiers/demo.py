"""Silver and Gold on the coffee card (points earned in a calendar year), with the regular in
Silver: raised by the owner, since the card's points came before its tiers."""

from __future__ import annotations

from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.programs.models import Program
from stampbook.tiers.models import MemberTier, Tier, TierChange, TierSettings
from stampbook.tiers.rules import Basis, PeriodKind
from stampbook.tiers.standing import schedule_review


def load(world: DemoWorld) -> None:
    _, (card_id, _club_id) = world.at()
    db.session.add(
        TierSettings(
            program_id=card_id,
            basis=Basis.POINTS,
            period=PeriodKind.CALENDAR_YEAR,
            demote_on_refund=False,
            retention_percent=90,
        )
    )
    silver = Tier(
        program_id=card_id,
        name="Silver",
        threshold=100,
        multiplier_percent=125,
        perks=["A free size upgrade on Mondays"],
        entry_points=10,
    )
    gold = Tier(
        program_id=card_id,
        name="Gold",
        threshold=500,
        multiplier_percent=150,
        perks=["A free pastry every month", "Early access to seasonal drinks"],
        entry_points=50,
    )
    db.session.add_all([silver, gold])
    db.session.flush()
    regular_id = world.user_ids[2]
    membership_id = world.membership_ids.get((card_id, regular_id))
    if membership_id is None:
        return
    now = clock.now()
    reason = "One of our first regulars"
    held = MemberTier(
        membership_id=membership_id,
        program_id=card_id,
        tier_id=silver.id,
        since=now,
        held_from=now.date().replace(month=1, day=1),
        floor_tier_id=silver.id,
        floor_reason=reason,
        floor_by=world.owner_id,
    )
    db.session.add(held)
    program = db.session.get(Program, card_id)
    assert program is not None
    schedule_review(held, program)
    db.session.add(
        TierChange(
            membership_id=membership_id,
            program_id=card_id,
            from_tier_id=None,
            to_tier_id=silver.id,
            cause="raised",
            reason=reason,
            actor_id=world.owner_id,
            created_at=now,
        )
    )
    db.session.flush()
