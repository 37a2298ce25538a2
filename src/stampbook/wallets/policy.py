"""Who sets a shop's wallet passes up (its creator and managers: the certificate is the
shop's), and who takes a membership's pass (its own person: the pass carries the card code
and the token that fetches it again). Apple's devices call the pass web service with the
pass's own token, checked by the service (``devices``), not by a rule here."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.policy import Decision, rule
from stampbook.programs.models import Membership
from stampbook.programs.policy import may_see_membership
from stampbook.shops.models import Shop
from stampbook.shops.policy import may_see_shop, team_member


class WalletAction(StrEnum):
    SETTINGS = "wallet.settings"  # on the shop: see and change its wallet settings
    PASS = "wallet.pass"  # on a membership: take its Apple pass or Google link


@rule(WalletAction.SETTINGS)
def manage_settings(actor: User | None, shop: Shop) -> Decision:
    if not may_see_shop(actor, shop):
        return Decision.HIDDEN
    member = team_member(actor, shop)
    return Decision.ALLOW if member is not None and member.is_manager else Decision.DENY


@rule(WalletAction.PASS)
def take_pass(actor: User | None, membership: Membership) -> Decision:
    if actor is not None and membership.user_id == actor.id:
        return Decision.ALLOW
    return Decision.DENY if may_see_membership(actor, membership) else Decision.HIDDEN
