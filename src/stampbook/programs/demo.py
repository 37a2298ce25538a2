"""The demo café's programs: a coffee card stamped by the team and an invite-only book club."""

from __future__ import annotations

from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.programs.models import (
    Membership,
    MembershipMode,
    MembershipRole,
    Program,
    StampSystem,
)


def load(world: DemoWorld) -> None:
    shop_id, _ = world.at()
    owner_id, barista_id, regular_id = world.user_ids
    card = Program(
        shop_id=shop_id,
        created_by=owner_id,
        name="Coffee card",
        summary="A stamp for every coffee.",
        stamp_system_type=StampSystem.STAMPERS,
        membership_mode=MembershipMode.PUBLIC,
    )
    club = Program(
        shop_id=shop_id,
        created_by=owner_id,
        name="Book club",
        summary="Read, discuss, earn.",
        stamp_system_type=StampSystem.SELF,
        membership_mode=MembershipMode.INVITE,
    )
    db.session.add_all([card, club])
    db.session.flush()
    world.program_ids = [card.id, club.id]
    for program, user_id, role in (
        (card, barista_id, MembershipRole.STAMPER),
        (card, regular_id, MembershipRole.MEMBER),
        (club, regular_id, MembershipRole.MEMBER),
    ):
        membership = Membership(program_id=program.id, user_id=user_id, role_type=role)
        db.session.add(membership)
        db.session.flush()
        world.membership_ids[program.id, user_id] = membership.id
