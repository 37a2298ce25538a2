"""Forms of the tiers' setup pages: a tier (added or changed), the program's tier settings,
and the preview of proposed thresholds.

Like every page form, they read what a person types; the API's own models (``TierIn``,
``TierPatch``, ``TierSettingsIn``) and services then check it, so both doors accept the same
things and refuse with the same problems. A threshold is typed in the basis' units: points,
or an amount of the program's currency ("250.00") for the money basis.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, Form, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from stampbook.core import money
from stampbook.tiers.rules import Basis, PeriodKind
from stampbook.tiers.words import BASIS_WORDS, PERIOD_WORDS
from stampbook.ui.forms import options

# A threshold as typed: a whole number, or an amount with a decimal point or comma.
_NUMBER = re.compile(r"-?[0-9]{1,13}([.,][0-9]{1,6})?")
MAX_PERKS = 20


def parse_threshold(text: str | None, basis: str, currency: str) -> int | None:
    """What was typed, in the basis' units (points, or minor units of ``currency``); None
    for what is not a number. Zero and below come back as they are: the service answers
    them with the API's problem (``tier_threshold_invalid``)."""
    typed = (text or "").strip().replace(",", ".")
    if _NUMBER.fullmatch(typed) is None:
        return None
    try:
        value = Decimal(typed)
    except InvalidOperation:
        return None
    if basis != Basis.MONEY:
        return int(value) if value == value.to_integral_value() else None
    minor = money.to_minor(str(abs(value)), currency)
    return -minor if value < 0 else minor


def threshold_text(threshold: int, basis: str, currency: str) -> str:
    """A stored threshold as it is typed: ``250`` points, or ``"2.50"`` for the money basis."""
    return money.from_minor(threshold, currency) if basis == Basis.MONEY else str(threshold)


def multiplier_typed(text: str | None) -> str:
    """``"1,5x"`` -> ``"1.5"``: what the API takes."""
    return (text or "").strip().lower().removesuffix("x").strip().replace(",", ".")


def perk_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _threshold_typed(form: Form, field: Field) -> None:
    typed = (field.data or "").strip()
    if typed and _NUMBER.fullmatch(typed.replace(",", ".")) is None:
        raise StopValidation(str(_l("Write a number, like 500 or 250.00.")))


class TierForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=60)])
    threshold = StringField(
        _l("Threshold"), validators=[InputRequired(), _threshold_typed, Length(max=20)]
    )
    multiplier = StringField(
        _l("Points multiplier"),
        validators=[Optional(), Length(max=12)],
        description=_l("Like 1.5x: the points members of this tier earn. 1x adds nothing."),
    )
    perks = TextAreaField(
        _l("Perks"),
        validators=[Optional(), Length(max=MAX_PERKS * 121)],
        description=_l("One per line, shown to members."),
    )
    entry_points = IntegerField(
        _l("Entry points"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
        description=_l("Given once per period to a member who reaches the tier."),
    )
    reward_id = SelectField(
        _l("Entry reward"),
        choices=[],
        validate_choice=False,
        description=_l("A reward of the shop given free, once per period, on reaching the tier."),
    )

    def set_rewards(self, rewards: list[tuple[int, str]]) -> None:
        self.reward_id.choices = options([("", _l("None")), *rewards])


class TierSettingsForm(FlaskForm):  # type: ignore[misc]
    basis = SelectField(
        _l("Members qualify by"),
        choices=options((b.value, BASIS_WORDS[b]) for b in Basis),
    )
    period = SelectField(
        _l("Over"),
        choices=options((p.value, PERIOD_WORDS[p]) for p in PeriodKind),
    )
    retention_percent = IntegerField(
        _l("Retention margin (percent)"),
        validators=[InputRequired(), NumberRange(min=1, max=100)],
        description=_l("At a period's end, this share of a tier's threshold keeps the tier."),
    )
    demote_on_refund = BooleanField(_l("A refund may lower a member's tier before the period ends"))


class PreviewForm(Form):
    """The proposed thresholds, one per tier (``threshold-<tier id>``), read from the
    address: a preview changes nothing."""


def preview_form(tiers: list[Any], data: Any, basis: str, currency: str) -> Form:
    """A form with a threshold field per tier, filled with the proposal or the tier's own."""

    class Proposed(PreviewForm):
        pass

    for tier in tiers:
        setattr(
            Proposed,
            f"threshold-{tier.id}",
            StringField(tier.name, validators=[InputRequired(), _threshold_typed]),
        )
    defaults = {
        f"threshold-{tier.id}": threshold_text(tier.threshold, basis, currency) for tier in tiers
    }
    return Proposed(formdata=data if data else None, data=defaults)
