"""The counter's API routes whose work spans domains, added to the flows' blueprint
(``api.py`` calls :func:`add_routes`): stamping and redeeming for a member by their card
code (a POS, or the team's own app). Who a card is: ``cards/api.py``."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.auth import current_user
from stampbook.cards.policy import CardAction
from stampbook.cards.schemas import CardRedeemIn, CardStampIn
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.flows import counter
from stampbook.programs.queries import get_program
from stampbook.rewards.policy import RewardAction
from stampbook.rewards.schemas import RedemptionOut
from stampbook.tasks.policy import TaskAction
from stampbook.tasks.schemas import StampResultOut

CARD_REFUSALS = (
    "`card_unknown` (404), `card_retired` (410), `card_other_program` (409: nothing is said "
    "about another program's member)"
)


def add_routes(bp: ApiBlueprint) -> None:
    @bp.post("/programs/<int:program_id>/card-scans/stamps")
    @route(
        Access.USER,
        action=TaskAction.TASK_STAMP,
        idempotent=True,
        subject=get_program,
        subject_action=CardAction.SCAN,
        key_scope="write",
    )
    @bp.input(CardStampIn, arg_name="body")
    @bp.output(StampResultOut, status_code=201)
    @bp.doc(
        operation_id="stamp_by_card",
        summary="Stamp a task for the member whose card is scanned; accepts Idempotency-Key "
        "(a double tap stamps once)",
        description=f"The card's refusals first: {CARD_REFUSALS}; then the stamp's own, as "
        "`POST /tasks/{id}/stamps`: `stamp_not_allowed` (403), `task_membership` (404: a "
        "task of another program), `frequency_exceeded`, `max_reached`, `task_unavailable`, "
        "`deadline_passed`, `membership_inactive` (409).",
        responses=[403, 404, 409, 410, 422],
        tags=["Cards"],
    )
    def stamp_by_card(program_id: int, body: CardStampIn) -> Any:
        return counter.stamp_card(current_user(), program_id=program_id, **body.model_dump())

    @bp.post("/programs/<int:program_id>/card-scans/redemptions")
    @route(
        Access.USER,
        action=RewardAction.REWARD_REDEEM_FOR_MEMBER,
        idempotent=True,
        subject=get_program,
        subject_action=CardAction.SCAN,
        key_scope="write",
    )
    @bp.input(CardRedeemIn, arg_name="body")
    @bp.output(RedemptionOut, status_code=201)
    @bp.doc(
        operation_id="redeem_by_card",
        summary="Redeem a reward for the member whose card is scanned, with their points "
        "(the shop's team that hands rewards over); accepts Idempotency-Key",
        description=f"The card's refusals first: {CARD_REFUSALS}; then the redemption's, as "
        "`POST /rewards/{id}/redemptions`: `reward_unavailable`, `reward_expired`, "
        "`insufficient_points`, `out_of_stock`, `limit_reached`, `group_reward`, "
        "`membership_without_account` (409).",
        responses=[403, 404, 409, 410, 422],
        tags=["Cards"],
    )
    def redeem_by_card(program_id: int, body: CardRedeemIn) -> Any:
        return counter.redeem_card(current_user(), program_id=program_id, **body.model_dump())
