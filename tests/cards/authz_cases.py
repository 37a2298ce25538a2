"""The cards' part of the authorization suites (tests/reliability/authz_*.py): the member's
membership carries a known card code, scanned at the program's counter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership

if TYPE_CHECKING:
    from tests.reliability.authz_world import World

CARD = "AUTHZCARDAUTHZCARDAUTHZCARDAUTHZ"
SCAN = {"card_code": CARD}


def card_objects(session: Session, membership_id: int) -> dict[str, int]:
    session.execute(update(Membership).where(Membership.id == membership_id).values(card_code=CARD))
    return {}


def stamp_by_card(world: World, role: str) -> dict[str, Any]:
    return {"card_code": CARD, "task_id": world.ids["task"]}


def redeem_by_card(world: World, role: str) -> dict[str, Any]:
    return {"card_code": CARD, "reward_id": world.ids["reward"]}


def redeem_form(world: World, role: str) -> dict[str, Any]:
    return {"membership_id": world.ids["membership"], "reward_id": world.ids["reward"]}
