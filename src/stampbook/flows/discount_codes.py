"""Discount codes for discount rewards (DESIGN 8.4, RELIABILITY 42), across the rewards domain
(the receipt and its points: ``rewards.discounting``) and the loyalty domain (the store's
connection and Shopify's Admin API: ``loyalty.shopify_admin``).

- **After the debit commits**: the consumer ``discount_codes`` of ``redemption.created``
  gives a discount reward's receipt its code (random, unique), pending. With no store to make
  it in (no live Shopify connection of the shop holding an Admin API access token) the code
  is issued at once, to be honoured by the team; otherwise :func:`make_code` is queued after
  this commit too.
- **One try** (:func:`attempt`): the receipt is claimed for it and that is committed; the
  store is asked, outside any transaction, to make the stored code (one use, once per
  customer, only the member's store customer when known); the answer is recorded in a
  second transaction:

  * made: issued, with the store's id for it;
  * "code must be unique": the store is asked what it holds under the code
    (``codeDiscountNodeByCode``): this receipt's own discount (a try whose answer was lost,
    a retry after a crash or a timeout) is issued as it is; another's makes the receipt a new
    code, tried at once; nothing found yet is tried again later;
  * refused (``userErrors``, 401, 403...): refused, and the receipt cancelled with its points
    back through the rewards' own cancel (ledger, stock and ``redemption.cancelled`` stay
    right), once;
  * no answer, throttled, a 5xx: due again later (``discount_rules.RETRY_DELAYS``), queued
    with its delay; the sweep :func:`queue_due` (every minute) queues what is due, so tries
    survive restarts and a worker that dies mid-try (its lease runs out).

  Every try of a receipt sends the same code, and a code is replaced only once the store
  showed it belongs to another discount: a retry never makes a second discount.
- A receipt the team cancelled before its code was made gets none (refused, no second
  refund); if a try may have reached the store already, the store is only asked what it
  holds, never to make it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from stampbook.core import clock, unit_of_work
from stampbook.core.db import db
from stampbook.core.jobs import job
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.loyalty import shopify_admin
from stampbook.loyalty.integration_queries import discount_store
from stampbook.loyalty.models import Integration
from stampbook.programs.models import Membership, Program
from stampbook.rewards import discount_rules, discounting
from stampbook.rewards.discounting import Claimed
from stampbook.rewards.models import DiscountStatus, Redemption, RewardKind

logger = logging.getLogger(__name__)

CONSUMER_NAME = "discount_codes"
TYPES = frozenset({OccurrenceType.REDEMPTION_CREATED})
SWEEP_BATCH = 200
# New codes tried in one go when the store holds ours for another discount.
REPLACEMENTS = 3


# --- The consumer ---------------------------------------------------------------------------


def handle(occurrence: Occurrence) -> None:
    """A discount reward's receipt gets its code: issued at once without a store, else made
    in the store by a job queued after commit."""
    redemption_id = int(occurrence.payload["redemption_id"])
    redemption = discounting.assign_code(redemption_id, clock.now())
    if (
        redemption is None
        or redemption.discount_status != DiscountStatus.PENDING
        or redemption.discount_code is None
    ):
        return
    if _store_of(redemption) is None:
        discounting.issue(redemption_id)
        return
    unit_of_work.after_commit(lambda: make_code.enqueue(redemption_id))


def _store_of(redemption: Redemption | Claimed) -> Integration | None:
    """Where the receipt's code is made: a live connection of its shop with a token."""
    shop_id = redemption.shop_id
    membership_id = (
        redemption.membership_id
        if isinstance(redemption, Claimed)
        else redemption.paid_by_membership_id
    )
    membership = db.session.get(Membership, membership_id)
    return discount_store(shop_id, membership.program_id if membership else None)


# --- One try --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A claimed try: the receipt, where to call, and what to ask for."""

    claimed: Claimed
    store: shopify_admin.Store
    discount: shopify_admin.Discount


def _customer(claimed: Claimed, program_id: int) -> str | None:
    """The receipt holder's store customer (their membership's ``external_id`` in the
    store's program), as Shopify names it; None if unknown."""
    external_id = db.session.scalar(
        select(Membership.external_id)
        .where(Membership.program_id == program_id, Membership.user_id == claimed.user_id)
        .limit(1)
    )
    return shopify_admin.customer_gid(external_id)


def _plan(redemption_id: int, now: datetime) -> Plan | None:
    """Claim the try that is due, if any (committed before calling out). Without a store
    the code is issued here; a store counting in another currency than an amount's refuses
    it here."""
    claimed = discounting.claim(redemption_id, now)
    if claimed is None:
        return None
    content = claimed.content
    store = _store_of(claimed)
    if store is None or store.access_token is None:
        if claimed.cancelled:
            discounting.refuse(redemption_id, reason="", now=now)
        else:
            discounting.issue(redemption_id)
        return None
    program = db.session.get(Program, store.program_id)
    currency = program.currency if program else None
    if (
        not claimed.cancelled
        and content.get("kind") == RewardKind.DISCOUNT_AMOUNT
        and content.get("discount_currency") != currency
    ):
        reason = f"The store counts in {currency}, not {content.get('discount_currency')}."
        _refuse(claimed, "currency_mismatch", reason, now)
        return None
    discount = shopify_admin.Discount(
        code=claimed.code,
        title=discount_rules.title(str(content.get("name") or ""), claimed.redemption_id),
        kind=str(content.get("kind")),
        starts_at=claimed.created_at,
        amount=content.get("discount_amount"),
        percent=content.get("discount_percent"),
        customer_gid=_customer(claimed, store.program_id),
    )
    return Plan(claimed, shopify_admin.Store(store.shop_domain, store.access_token), discount)


def _refuse(claimed: Claimed, code: str, message: str, now: datetime) -> None:
    reason = f"The online store refused the discount code ({code}): {message}"[:500]
    if discounting.refuse(claimed.redemption_id, reason=reason, now=now):
        logger.info("discount code of receipt %s refused: %s", claimed.redemption_id, reason)


def _retry(claimed: Claimed, why: str, now: datetime) -> float | None:
    """Due again later; the delay in seconds (None if the receipt moved on meanwhile)."""
    delay = discounting.retry_later(claimed.redemption_id, claimed.attempt, now)
    log = logger.warning if claimed.attempt >= discount_rules.WARN_AFTER else logger.info
    log(
        "discount code of receipt %s: try %s failed (%s), again in %s",
        claimed.redemption_id,
        claimed.attempt,
        why,
        delay,
    )
    return None if delay is None else delay.total_seconds()


def _look(plan: Plan) -> shopify_admin.FindAnswer:
    return shopify_admin.find_discount(plan.store, plan.discount.code)


def _found_outcome(
    plan: Plan, found: shopify_admin.FindAnswer, *, making: bool
) -> tuple[str, str | None]:
    """What the store holding something under our code means: ``issued`` (ours),
    ``replace`` (another's, while making), ``refused`` (nothing, while only looking; or
    another's), ``retry`` (it may pass), with the store's id or the refusal's words."""
    if isinstance(found, shopify_admin.Unavailable):
        return "retry", found.reason
    if isinstance(found, shopify_admin.Refused):
        return "refused", f"{found.code}: {found.message}"
    if found.store_id is not None and discount_rules.is_ours(
        found.title, plan.claimed.redemption_id
    ):
        return "issued", found.store_id
    if found.store_id is None:
        # Taken, yet not found: the store may not show it yet. Only a look may conclude.
        return ("retry", "code taken, not found yet") if making else ("refused", None)
    return ("replace", None) if making else ("refused", None)


def attempt(redemption_id: int) -> bool:
    """Make the try due for this receipt, if any; True when one was made. Each step is its
    own transaction: the claim is committed before calling out, the outcome after."""
    plan = unit_of_work.run(lambda: _plan(redemption_id, clock.now()))
    if plan is None:
        return False
    delay = _try(plan)
    if delay is not None:
        make_code.enqueue_in(delay, redemption_id)
    return True


def _try(plan: Plan) -> float | None:
    """Ask the store, record what it said; the delay before the next try, if one is due."""
    claimed = plan.claimed
    if claimed.cancelled:
        # Cancelled by the team meanwhile: never make it. A try before this one may have.
        if claimed.attempt == 1:
            return _conclude(plan, "refused", None)
        outcome, said = _found_outcome(plan, _look(plan), making=False)
        return _conclude(plan, outcome, said)
    for _ in range(REPLACEMENTS + 1):
        answer = shopify_admin.create_discount(plan.store, plan.discount)
        if isinstance(answer, shopify_admin.Created):
            return _conclude(plan, "issued", answer.store_id)
        if isinstance(answer, shopify_admin.Refused):
            return _conclude(plan, "refused", f"{answer.code}: {answer.message}")
        if isinstance(answer, shopify_admin.Unavailable):
            return _conclude(plan, "retry", answer.reason)
        outcome, said = _found_outcome(plan, _look(plan), making=True)
        if outcome != "replace":
            return _conclude(plan, outcome, said)
        old_code = plan.discount.code
        code = unit_of_work.run(
            lambda: discounting.replace_code(claimed.redemption_id, old_code)  # noqa: B023
        )
        if code is None:
            return None  # the receipt moved on meanwhile
        logger.info(
            "receipt %s: its code was another discount's, trying a new one", claimed.redemption_id
        )
        plan = Plan(claimed, plan.store, replace(plan.discount, code=code))
    return _conclude(plan, "refused", "taken: no free code")


def _conclude(plan: Plan, outcome: str, said: str | None) -> float | None:
    """Record a try's outcome in a transaction of its own; the next try's delay, if any."""
    claimed = plan.claimed

    def record(now: datetime) -> float | None:
        if outcome == "issued":
            discounting.issue(claimed.redemption_id, said)
            if claimed.cancelled:
                # A try whose answer was lost made it before the team cancelled the receipt:
                # shown as it is, for the team to delete in the store.
                logger.warning(
                    "receipt %s was cancelled, yet the store holds its code %s",
                    claimed.redemption_id,
                    said,
                )
            return None
        if outcome == "refused":
            code, _, message = (said or "refused: ").partition(": ")
            if claimed.cancelled:
                discounting.refuse(claimed.redemption_id, reason="", now=now)
            else:
                _refuse(claimed, code, message, now)
            return None
        return _retry(claimed, said or "", now)

    return unit_of_work.run(lambda: record(clock.now()))


@job
def make_code(redemption_id: int) -> bool:
    """The try due for one receipt's code (queued after commit, and for each retry)."""
    return attempt(redemption_id)


def queue_due(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Queue, after commit, a ``make_code`` job for each receipt whose try is due; returns
    how many. (Each job claims its try, so a receipt queued twice is tried once.)"""
    ids = discounting.due(now or clock.now(), batch)

    def queue() -> None:
        for redemption_id in ids:
            make_code.enqueue(redemption_id)

    unit_of_work.after_commit(queue)
    return len(ids)
