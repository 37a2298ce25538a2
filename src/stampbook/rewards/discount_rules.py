"""The arithmetic of discount codes, without a database: what a code looks like, which
rewards are discounts and what their fields must hold, and when a try that failed is
tried again."""

from __future__ import annotations

import secrets
from datetime import timedelta

from stampbook.rewards.models import DISCOUNT_KINDS, RewardKind

# Letters and digits no one mistakes for another when reading a code aloud or typing it:
# no 0/O, 1/I/L, nor 5/S, 2/Z, 8/B.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 12  # 25**12 codes, about 2**55
MAX_PERCENT = 100

# After each try that failed and may pass (no answer, throttled, the store's own error),
# the next is this much later; the last step repeats.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# A try under way holds the receipt this long (its worker may die): then it is due again.
LEASE = timedelta(minutes=2)
# Failed tries after which each new failure is logged as a warning.
WARN_AFTER = 5


def new_code() -> str:
    """A random code: ``CODE_LENGTH`` characters of ``ALPHABET``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def is_discount(kind: str | None) -> bool:
    return kind in DISCOUNT_KINDS


def kind_fields_ok(
    kind: str, *, amount: int | None, currency: str | None, percent: int | None
) -> bool:
    """Whether a reward of ``kind`` holds the discount fields it needs and no others: an
    amount (with its currency) for ``discount_amount``, a percentage for
    ``discount_percent``, neither otherwise."""
    has_amount = amount is not None or currency is not None
    if kind == RewardKind.DISCOUNT_AMOUNT:
        return amount is not None and amount > 0 and currency is not None and percent is None
    if kind == RewardKind.DISCOUNT_PERCENT:
        return percent is not None and 1 <= percent <= MAX_PERCENT and not has_amount
    return percent is None and not has_amount


def retry_delay(attempts: int) -> timedelta:
    """How long after the ``attempts``-th failed try the next one is due."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def title(reward_name: str, redemption_id: int) -> str:
    """The discount's title in the store: the reward, and the receipt it was made for. The
    receipt's mark is how a retry recognises its own code (``is_ours``)."""
    return f"{reward_name[:200]} {mark(redemption_id)}"


def mark(redemption_id: int) -> str:
    return f"(stampbook receipt {redemption_id})"


def is_ours(store_title: str | None, redemption_id: int) -> bool:
    """Whether a discount the store holds under our code is the one made for this receipt."""
    return bool(store_title) and str(store_title).endswith(mark(redemption_id))
