"""Forms of the earning pages: an earning rule (added, or changed) and a campaign.

Like every page form, they read what a person types; the API's own models (``EarningRuleIn``,
``EarningRulePatch``, ``CampaignIn``) then check it, so both doors accept the same things.
The campaign's fields are named apart from the rule's (``campaign_...``): both forms share
one page, and each control needs its own id.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Field,
    Form,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from stampbook.loyalty.models import CampaignKind, RuleKind
from stampbook.loyalty.words import CAMPAIGN_KIND_WORDS, KIND_PLURALS, PERIOD_WORDS, RULE_KIND_WORDS
from stampbook.ui.forms import MAX_POINTS, options

MAX_LIMIT = 10**6
# An amount as a person types it: "1", "1.50", or "1,50" with a decimal comma.
_AMOUNT = re.compile(r"[0-9]{1,13}([.,][0-9]{1,6})?")
_MULTIPLIER = re.compile(r"([1-9]|[1-9][0-9])([.,][0-9]{1,2})?")
_ACTIVITY = re.compile(r"[a-z0-9_.-]{1,64}")


def typed_decimal(text: str | None) -> str | None:
    """What was typed, with a decimal comma made a point ("1,50" -> "1.50"); None if empty."""
    typed = (text or "").strip()
    return typed.replace(",", ".") or None


def _amount(*, above_zero: bool) -> Any:
    def check(form: Form, field: Field) -> None:
        typed = (field.data or "").strip()
        if not typed:
            return
        if _AMOUNT.fullmatch(typed) is None:
            raise StopValidation(str(_l("Write an amount like 1.00.")))
        if above_zero and Decimal(typed.replace(",", ".")) == 0:
            raise StopValidation(str(_l("The amount must be above zero.")))

    return check


def _multiplier(form: Form, field: Field) -> None:
    typed = (field.data or "").strip()
    if typed and _MULTIPLIER.fullmatch(typed) is None:
        raise StopValidation(str(_l("Write a number from 1 to 99, like 2 or 1.5.")))


def _activity(form: Form, field: Field) -> None:
    typed = (field.data or "").strip()
    if typed and _ACTIVITY.fullmatch(typed) is None:
        raise StopValidation(
            str(_l("Lower-case letters, digits, dots, dashes and underscores only."))
        )


def _needed_when(other: str, value: str, message: Any) -> Any:
    """Optional, unless the form's ``other`` field is ``value``: then ``message``."""

    def check(form: Form, field: Field) -> None:
        if field.raw_data and str(field.raw_data[0]).strip():
            return
        field.errors = []  # what Optional does: an empty number is no wrong number
        if getattr(form, other).data == value:
            raise StopValidation(str(message))
        raise StopValidation()

    return check


class CheckboxesField(SelectMultipleField):
    """Several choices, each a labelled checkbox."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RuleFields:
    """What every rule has, and the purchase rule's amounts (shown for purchase rules)."""

    points = IntegerField(
        _l("Points"), validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)]
    )
    per_amount = StringField(
        _l("Per amount spent"),
        validators=[_amount(above_zero=True)],
        description=_l(
            "Purchases only: the points are given for each such amount of the order, "
            "rounded down, e.g. 1.00."
        ),
    )
    minimum_amount = StringField(
        _l("Smallest order that earns"),
        validators=[_amount(above_zero=False)],
        description=_l("Purchases only, optional: smaller orders earn nothing."),
    )
    include_shipping = BooleanField(_l("Shipping counts toward the points"))
    include_taxes = BooleanField(_l("Taxes count toward the points"))
    starts_at = DateTimeLocalField(_l("Earns from"), validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Earns until"), validators=[Optional()])
    limit_count = IntegerField(
        _l("At most this many times"),
        validators=[Optional(), NumberRange(min=1, max=MAX_LIMIT)],
        description=_l("Optional: how often a member earns by this rule in each period."),
    )
    limit_period = SelectField(
        _l("In each period"),
        choices=options([("", _l("No limit")), *PERIOD_WORDS.items()]),
        default="",
    )

    def needs_amount(self) -> bool:
        """Whether the rule is a purchase rule, whose points are per an amount."""
        raise NotImplementedError

    def validate_per_amount(self, field: Field) -> None:
        if self.needs_amount() and not (field.data or "").strip():
            raise StopValidation(str(_l("A purchase rule needs the amount its points are per.")))

    def validate_limit_period(self, field: Field) -> None:
        count: IntegerField = self.limit_count
        if not count.errors and (count.data is None) != (not field.data):
            raise StopValidation(str(_l("Give both how many times and the period, or neither.")))


class RuleForm(RuleFields, FlaskForm):  # type: ignore[misc]
    kind = SelectField(
        _l("Points for"),
        choices=options(RULE_KIND_WORDS.items()),
        default=RuleKind.PURCHASE,
    )
    activity = StringField(
        _l("Activity name"),
        validators=[Length(max=64), _activity],
        description=_l(
            "Custom activities only: the name your store's server sends, e.g. survey_completed."
        ),
    )

    def needs_amount(self) -> bool:
        return bool(self.kind.data == RuleKind.PURCHASE)

    def validate_activity(self, field: Field) -> None:
        if self.kind.data == RuleKind.ACTIVITY and not (field.data or "").strip():
            raise StopValidation(str(_l("Name the activity.")))


class EditRuleForm(RuleFields, FlaskForm):  # type: ignore[misc]
    """A rule's kind and activity stay; the rest changes (the amounts of a purchase rule)."""

    def __init__(self, *args: Any, purchase: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.purchase = purchase

    def needs_amount(self) -> bool:
        return self.purchase


class CampaignForm(FlaskForm):  # type: ignore[misc]
    campaign_name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=100)],
        description=_l("E.g. Double weekend."),
    )
    campaign_kind = SelectField(
        _l("What it gives"),
        choices=options(CAMPAIGN_KIND_WORDS.items()),
        default=CampaignKind.MULTIPLIER,
    )
    multiplier = StringField(
        _l("Multiplier"),
        validators=[_multiplier],
        description=_l("For a multiplier: 2 doubles the points. The highest running one applies."),
    )
    bonus_points = IntegerField(
        _l("Bonus points"),
        validators=[
            _needed_when("campaign_kind", CampaignKind.BONUS, _l("Give the bonus points.")),
            NumberRange(min=1, max=MAX_POINTS),
        ],
        description=_l("For bonus points: added to each credit of the kinds below."),
    )
    rule_kinds = CheckboxesField(
        _l("On points for"),
        choices=options(KIND_PLURALS.items()),
        description=_l("None ticked: on all of them."),
    )
    campaign_starts_at = DateTimeLocalField(_l("Starts"), validators=[InputRequired()])
    campaign_ends_at = DateTimeLocalField(_l("Ends"), validators=[InputRequired()])

    def validate_multiplier(self, field: Field) -> None:
        if self.campaign_kind.data == CampaignKind.MULTIPLIER and not (field.data or "").strip():
            raise StopValidation(str(_l("Give the multiplier, e.g. 2.")))
