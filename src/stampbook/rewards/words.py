"""A reward's kind and a receipt's discount code said in words, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from stampbook.core import money
from stampbook.rewards.models import DiscountStatus, RewardKind
from stampbook.ui.words import _

KIND_WORDS = {
    RewardKind.CUSTOM.value: _l("Something the team hands over"),
    RewardKind.DISCOUNT_AMOUNT.value: _l("An amount off in the online store"),
    RewardKind.DISCOUNT_PERCENT.value: _l("A percentage off in the online store"),
    RewardKind.FREE_SHIPPING.value: _l("Free shipping in the online store"),
}

DISCOUNT_STATUS_WORDS = {
    DiscountStatus.PENDING.value: _l("Your code is being made: it shows here in a moment."),
    DiscountStatus.ISSUED.value: _l("Use this code once at checkout:"),
    DiscountStatus.REFUSED.value: _l(
        "No code: the store refused it and your points were given back, or the receipt was "
        "cancelled first."
    ),
}


def discount_words(reward: Any) -> str | None:
    """What a discount reward gives (``5,00 €`` off, 15% off, free shipping), from a reward
    or a receipt's snapshot of one; None for another reward."""

    def get(name: str) -> Any:
        return reward.get(name) if isinstance(reward, Mapping) else getattr(reward, name, None)

    kind = get("kind")
    if kind == RewardKind.DISCOUNT_AMOUNT and get("discount_amount") and get("discount_currency"):
        currency = str(get("discount_currency"))
        minor = money.to_minor(str(get("discount_amount")), currency)
        amount = money.display(minor, currency, str(get_locale() or "en"))
        return _("%(amount)s off your next online order", amount=amount)
    if kind == RewardKind.DISCOUNT_PERCENT and get("discount_percent"):
        return _("%(percent)s%% off your next online order", percent=get("discount_percent"))
    if kind == RewardKind.FREE_SHIPPING:
        return _("Free shipping on your next online order")
    return None
