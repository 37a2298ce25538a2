"""The one list of the outbox's consumers (``core.outbox``): what wants occurrences.

Adding a consumer is a function taking the ``Occurrence`` (it writes through the session,
never commits, and runs once per occurrence) and a line below naming it, the occurrence types
it wants and the function. The name is stored in each handling row: never rename one.
``create_app`` hands the list to the outbox, for the app and the worker alike.
"""

from __future__ import annotations

from stampbook.core.outbox import Consumer
from stampbook.flows import claims, confirmations, discount_codes, granting, referral_rewards
from stampbook.loyalty import consuming as loyalty
from stampbook.notifications import announcing, kinds, notifying
from stampbook.referrals import consuming as referrals
from stampbook.tiers import consuming as tiers
from stampbook.wallets import updating as wallets
from stampbook.webhooks import delivery as webhooks
from stampbook.webhooks.rules import SHOP_TYPES as WEBHOOK_TYPES

CONSUMERS: tuple[Consumer, ...] = (
    Consumer(notifying.CONSUMER_NAME, kinds.wanted_types(), notifying.handle),
    Consumer("webhooks", WEBHOOK_TYPES, webhooks.handle),
    Consumer(announcing.CONSUMER_NAME, announcing.TYPES, announcing.handle),
    Consumer(confirmations.CONSUMER_NAME, confirmations.TYPES, confirmations.handle),
    Consumer(claims.CONSUMER_NAME, claims.TYPES, claims.handle),
    Consumer(loyalty.CONSUMER_NAME, loyalty.TYPES, loyalty.handle),
    Consumer(tiers.CONSUMER_NAME, tiers.TYPES, tiers.handle),
    Consumer(discount_codes.CONSUMER_NAME, discount_codes.TYPES, discount_codes.handle),
    Consumer(referrals.CONSUMER_NAME, referrals.TYPES, referrals.handle),
    Consumer(referral_rewards.CONSUMER_NAME, referral_rewards.TYPES, referral_rewards.handle),
    Consumer(granting.CONSUMER_NAME, granting.TYPES, granting.handle),
    Consumer(wallets.CONSUMER_NAME, wallets.TYPES, wallets.handle),
)
