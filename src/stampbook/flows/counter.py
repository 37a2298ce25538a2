"""At the counter: the team scans a member's card (``cards``) and stamps a task for them
(``tasks.stamping``) or redeems a reward for them (``rewards.redeeming``). The card is
looked up with every refusal of a scan first (the actor must scan at this program's
counter; ``card_unknown``, ``card_retired``, ``card_other_program``), then the stamp or the
redemption is decided and written by its own service, every rule of it applying (stamp
system, availability, frequency, limits; stock, limits, points)."""

from __future__ import annotations

from stampbook.accounts.models import User
from stampbook.cards.policy import CardAction
from stampbook.cards.queries import card_in
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.programs.models import Membership
from stampbook.programs.queries import load_program
from stampbook.rewards import redeeming
from stampbook.rewards.models import Redemption
from stampbook.tasks import stamping


def _member(actor: User | None, program_id: int, card_code: str) -> Membership:
    return card_in(load_program(actor, program_id, CardAction.SCAN), card_code)


def stamp_card(
    actor: User | None,
    *,
    program_id: int,
    card_code: str,
    task_id: int,
    quantity: int = 1,
    partial: bool = False,
    note: str | None = None,
) -> stamping.StampResult:
    """Stamp ``task_id`` for the member whose card is ``card_code`` (a task of another
    program answers 404 ``task_membership``, as the stamp API does)."""
    member = _member(actor, program_id, card_code)
    return stamping.stamp_task(
        actor,
        task_id=task_id,
        membership_id=member.id,
        quantity=quantity,
        partial=partial,
        note=note,
    )


def redeem_card(
    actor: User | None, *, program_id: int, card_code: str, reward_id: int, quantity: int = 1
) -> Redemption:
    """Redeem ``reward_id`` for the member whose card is ``card_code``, with their points."""
    member = _member(actor, program_id, card_code)
    return redeeming.redeem_for_member(
        actor, reward_id=reward_id, membership_id=member.id, quantity=quantity
    )


def redeem_for(
    actor: User | None, *, program_id: int, membership_id: int, reward_id: int
) -> Redemption:
    """The counter page's redemption, for the member its scan found (by id): a membership
    of this program only, and the actor one who scans at its counter."""
    program = load_program(actor, program_id, CardAction.SCAN)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.program_id != program.id:
        raise NotFound(thing="membership")
    return redeeming.redeem_for_member(actor, reward_id=reward_id, membership_id=membership.id)
