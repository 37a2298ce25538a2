"""Who manages a shop's webhooks: those who manage the shop's settings (its creator,
managers, and anyone granted ``edit_shop``), decided on the shop. Others who see the shop
are refused (403); those who do not see it are told nothing (404)."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.policy import Decision, rule
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopPermission, may_see_shop, team_member


class WebhookAction(StrEnum):
    WEBHOOK_MANAGE = "webhook.manage"


@rule(WebhookAction.WEBHOOK_MANAGE)
def manage_webhooks(actor: User | None, shop: Shop) -> Decision:
    """Endpoints, their secrets, messages and attempts, replays and tests."""
    if not may_see_shop(actor, shop):
        return Decision.HIDDEN
    member = team_member(actor, shop)
    allowed = member is not None and member.may(ShopPermission.EDIT_SHOP)
    return Decision.ALLOW if allowed else Decision.DENY
