"""Who makes and manages a shop's API keys: its creator and managers, decided on the shop.
Others who see the shop are refused (403); those who do not see it are told nothing (404).

A key acts with its maker's rights, so it lives only while its maker may make keys for its
shop (:func:`makes_keys`, asked again by ``queries.find_live`` on every request): a manager
who leaves the team takes their keys' power with them.
"""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.policy import Decision, rule
from stampbook.shops.models import Shop
from stampbook.shops.policy import may_see_shop, team_member


class ApiKeyAction(StrEnum):
    """The actions this domain's rules decide."""

    API_KEY_CREATE = "api_key.create"
    API_KEY_MANAGE = "api_key.manage"  # list and revoke


def makes_keys(actor: User | None, shop: Shop) -> bool:
    """The shop's creator or a manager (by role, whatever their permission settings)."""
    member = team_member(actor, shop)
    return member is not None and member.is_manager


def _for_makers(actor: User | None, shop: Shop) -> Decision:
    if not may_see_shop(actor, shop):
        return Decision.HIDDEN
    return Decision.ALLOW if makes_keys(actor, shop) else Decision.DENY


@rule(ApiKeyAction.API_KEY_CREATE)
def create_key(actor: User | None, shop: Shop) -> Decision:
    """Admins pass every rule (``core.policy``); ``services.create_key`` still refuses one who
    does not run the shop, since such a key would be refused from its first call."""
    return _for_makers(actor, shop)


@rule(ApiKeyAction.API_KEY_MANAGE)
def manage_keys(actor: User | None, shop: Shop) -> Decision:
    return _for_makers(actor, shop)
