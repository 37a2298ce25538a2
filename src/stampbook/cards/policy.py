"""Who sees a card code and who scans one.

* A member's own card code (shown as a QR code on their program page, replaced when it
  leaks): the member only. Nobody else, the team and admins included, is shown it: the code
  is what the member carries, the team learns it only by scanning it.
* Scanning a card at a program's counter (who it is, their balance, what they can redeem):
  the program's team that stamps (``stamp``: stampers, assistants, managers), admins, and
  the shop's API keys (their maker is one of those). Members and other shops' teams: 403
  on a program they see. The stamp and the redemption a scan leads to are each decided by
  their own rules (``task.stamp``, ``reward.redeem_for_member``).
"""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.policy import Decision, rule
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import may_see_membership, may_see_program, program_team
from stampbook.programs.rules import ProgramPermission


class CardAction(StrEnum):
    """The actions this domain's rules decide."""

    SCAN = "card.scan"  # on the program
    VIEW = "card.view"  # one's own card code, on the membership
    REPLACE = "card.replace"  # a new card code, the old one refused from then on


def may_scan(actor: User | None, program: Program) -> bool:
    if actor is None:
        return False
    if actor.is_admin:
        return True
    team = program_team(actor, program)
    return team is not None and team.may(ProgramPermission.STAMP)


@rule(CardAction.SCAN)
def scan(actor: User | None, program: Program) -> Decision:
    if not may_see_program(actor, program):
        return Decision.HIDDEN
    return Decision.ALLOW if may_scan(actor, program) else Decision.DENY


def _own(actor: User | None, membership: Membership) -> Decision:
    if actor is not None and membership.user_id == actor.id:
        return Decision.ALLOW
    return Decision.DENY if may_see_membership(actor, membership) else Decision.HIDDEN


@rule(CardAction.VIEW)
def view(actor: User | None, membership: Membership) -> Decision:
    return _own(actor, membership)


@rule(CardAction.REPLACE)
def replace(actor: User | None, membership: Membership) -> Decision:
    return _own(actor, membership)
