"""VIP tiers in words: the settings' choices, and a threshold as a reader reads it (points
in the program's own names, or an amount of its currency)."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from stampbook.core.money import display
from stampbook.programs.models import Program
from stampbook.programs.words import points
from stampbook.tiers.rules import Basis, PeriodKind

BASIS_WORDS: dict[str, Any] = {
    Basis.POINTS: _l("Points earned"),
    Basis.MONEY: _l("Money spent"),
}

PERIOD_WORDS: dict[str, Any] = {
    PeriodKind.LIFETIME: _l("Their whole membership"),
    PeriodKind.CALENDAR_YEAR: _l("Each calendar year (in the shop's time zone)"),
    PeriodKind.ROLLING_12_MONTHS: _l("The last 12 months"),
}


def threshold_words(threshold: int, basis: str, program: Program) -> str:
    """``500 points``, or ``$250.00`` for the money basis."""
    if basis == Basis.MONEY:
        return display(threshold, program.currency, str(get_locale() or "en"))
    return points(threshold, program)
