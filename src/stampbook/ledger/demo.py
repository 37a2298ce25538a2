"""The demo regular's first points: a welcome gift on the card, a founder's on the club."""

from __future__ import annotations

from stampbook.core.demo import DemoWorld
from stampbook.ledger.book import post
from stampbook.ledger.models import EntryKind


def load(world: DemoWorld) -> None:
    _, (card_id, club_id) = world.at()
    regular_id = world.user_ids[2]
    for program_id, amount, note in (
        (card_id, 120, "Welcome gift"),
        (club_id, 40, "Founding member"),
    ):
        post(
            membership_id=world.membership_ids[program_id, regular_id],
            amount=amount,
            kind=EntryKind.ADJUSTMENT,
            actor_id=world.owner_id,
            note=note,
        )
