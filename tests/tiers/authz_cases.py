"""The tiers domain's part of the authorization suites (tests/reliability/authz_*.py): a
program with Silver and Gold, and minimal bodies of the tier routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stampbook.tiers.models import Tier, TierSettings

if TYPE_CHECKING:
    from tests.reliability.authz_world import World

NEW_TIER = {"name": "Platinum", "threshold": 90_000, "multiplier": "2"}
SETTINGS = {"basis": "points", "period": "calendar_year"}
# The setup pages' forms (tiers/pages.py).
NEW_TIER_FORM = {"name": "Platinum", "threshold": "90000", "multiplier": "2x"}
SETTINGS_FORM = {"basis": "points", "period": "calendar_year", "retention_percent": "90"}


def tier_objects(session: Session, program_id: int) -> dict[str, int]:
    session.add(TierSettings(program_id=program_id))
    silver = Tier(program_id=program_id, name="Silver", threshold=1_000)
    gold = Tier(program_id=program_id, name="Gold", threshold=5_000, multiplier_percent=150)
    session.add_all([silver, gold])
    session.flush()
    return {"tier": silver.id, "gold_tier": gold.id}


def raise_member(world: World, role: str) -> dict[str, Any]:
    return {"tier_id": world.ids["gold_tier"], "reason": "Our oldest customer"}
