"""Forms of the reward pages: the team's reward form with every setting (schedules through
:mod:`stampbook.ui.schedule_forms`), redeeming, gifts, group pots and the receipt filter.

Like every page form, they read what a person types; the API's own models (``RewardIn``,
``RewardPatch``, ``RedeemIn``...) then check it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from stampbook.rewards.discount_rules import MAX_PERCENT
from stampbook.rewards.models import RedemptionStatus, RewardKind
from stampbook.rewards.rules import MAX_SCHEDULES, LimitType, SortOrder
from stampbook.ui.forms import MAX_POINTS, IdentityFields, icon_field, options
from stampbook.ui.schedule_forms import RecurrenceForm, ScheduleList, Sections, WindowForm


def given_number(form: Form, field: Field) -> None:
    """Required, yet 0 is a number (``DataRequired`` calls it missing); a field left out of
    the post keeps the value it was shown with, as for the other fields."""
    if field.data is None:
        message = "" if field.process_errors else field.gettext("This field is required.")
        raise StopValidation(message)


class LimitResetForm(RecurrenceForm):
    """When the group and/or per-member limit starts counting afresh."""

    nested = "schedule"
    extra: ClassVar[tuple[str, ...]] = ("limit_type",)
    ignored = RecurrenceForm.ignored | {"limit_type"}

    limit_type = SelectField(
        _l("Which limit starts afresh"),
        choices=options(
            [
                (LimitType.BOTH.value, _l("Both: per member and for everyone together")),
                (LimitType.USER.value, _l("Redemptions per member")),
                (LimitType.GROUP.value, _l("Redemptions for everyone together")),
            ]
        ),
        default=LimitType.BOTH.value,
    )


class QuantityRenewalForm(RecurrenceForm):
    """At each moment of the schedule the stock grows, up to a cap."""

    nested = "schedule"
    extra: ClassVar[tuple[str, ...]] = ("renewal_quantity", "cap")

    renewal_quantity = IntegerField(
        _l("Add to the stock"),
        validators=[Optional(), NumberRange(min=1, max=MAX_POINTS)],
        description=_l("How many units each renewal adds."),
    )
    cap = IntegerField(
        _l("Up to"),
        validators=[Optional(), NumberRange(min=0, max=MAX_POINTS)],
        description=_l("Optional: renewals never take the stock above this. Empty: no cap."),
    )


class RewardForm(Sections, IdentityFields, FlaskForm):  # type: ignore[misc]
    """Every setting of a reward; the advanced ones fold into sections (``Sections.holds``)."""

    icon = icon_field(_l("Optional: a short name of a picture, e.g. cup."))
    cost = IntegerField(
        _l("Cost in points"),
        validators=[given_number, NumberRange(min=1, max=MAX_POINTS)],
        description=_l("Per unit; for a group reward, the pot that members fill together."),
    )
    quantity = IntegerField(
        _l("Stock"),
        validators=[Optional(), NumberRange(min=0, max=MAX_POINTS)],
        description=_l("How many are left. Empty: unlimited."),
    )
    # The stock the edit page showed: the stock is sent only if the person changed it, so that
    # redemptions and renewals since the page was shown are not undone.
    quantity_shown = HiddenField()
    group_limit = IntegerField(
        _l("Redemptions for everyone together"),
        validators=[Optional(), NumberRange(min=1, max=MAX_POINTS)],
        description=_l(
            "Per reset period below (all time without one); for a group reward, completions. "
            "Empty: no limit."
        ),
    )
    user_limit = IntegerField(
        _l("Redemptions per member"),
        validators=[Optional(), NumberRange(min=1, max=MAX_POINTS)],
        description=_l(
            "Per reset period below (all time without one), gifts included. Empty: no limit."
        ),
    )
    expiry_date = DateTimeLocalField(
        _l("Expires"),
        validators=[Optional()],
        description=_l("Optional, in your time zone: from then on it cannot be redeemed."),
    )
    is_group_reward = BooleanField(_l("Group reward: members pool their points"))
    can_contribute = BooleanField(
        _l("The pot takes contributions now"),
        default=True,
        description=_l("For a group reward: untick to pause contributions."),
    )
    is_giftable = BooleanField(_l("May be given as a gift"))
    availability = ScheduleList(
        WindowForm,
        _l("When it can be redeemed"),
        description=_l("In the shop's time zone; any one schedule is enough. None: at any time."),
        max_entries=MAX_SCHEDULES,
    )
    limit_reset = ScheduleList(
        LimitResetForm,
        _l("When the limits start afresh"),
        description=_l(
            "At each moment of a schedule (in the shop's time zone) the limit you choose starts "
            "counting again, e.g. one per member every Monday at 00:00. None: limits count "
            "for all time."
        ),
        max_entries=MAX_SCHEDULES,
    )
    quantity_renewal = ScheduleList(
        QuantityRenewalForm,
        _l("Stock renewals"),
        description=_l(
            "At each moment of a schedule (in the shop's time zone) the stock grows, e.g. "
            "10 more every day at 08:00, up to 20."
        ),
        max_entries=MAX_SCHEDULES,
    )
    kind = SelectField(
        _l("What it gives"),
        choices=options(
            [
                (RewardKind.CUSTOM.value, _l("Something the team hands over")),
                (RewardKind.DISCOUNT_AMOUNT.value, _l("An amount off in the online store")),
                (RewardKind.DISCOUNT_PERCENT.value, _l("A percentage off in the online store")),
                (RewardKind.FREE_SHIPPING.value, _l("Free shipping in the online store")),
            ]
        ),
        default=RewardKind.CUSTOM.value,
        description=_l(
            "A discount gives each receipt its own single-use code, made in the shop's "
            "connected Shopify store (or honoured by the team if none is connected)."
        ),
    )
    discount_amount = StringField(
        _l("Amount off"),
        validators=[Optional(), Length(max=20)],
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        description=_l("For an amount off: e.g. 5.00."),
    )
    discount_currency = StringField(
        _l("Currency of the amount"),
        validators=[Optional(), Length(max=3)],
        filters=[lambda text: text.strip().upper() if isinstance(text, str) else text],
        description=_l(
            "Optional: a three-letter code such as USD or EUR. Empty: the currency of the "
            "program the shop's store earns in."
        ),
    )
    discount_percent = IntegerField(
        _l("Percentage off"),
        validators=[Optional(), NumberRange(min=1, max=MAX_PERCENT)],
        description=_l("For a percentage off: from 1 to 100."),
    )


# Schema paths -> the RewardForm fields that show their errors.
REWARD_FIELDS = {
    "schedule_settings.availability": "availability",
    "schedule_settings.limit_reset": "limit_reset",
    "schedule_settings.quantity_renewal": "quantity_renewal",
}


class RedeemForm(FlaskForm):  # type: ignore[misc]
    membership_id = SelectField(_l("Pay with"), coerce=int, validators=[DataRequired()])
    quantity = IntegerField(
        _l("How many"), default=1, validators=[DataRequired(), NumberRange(min=1, max=1000)]
    )


class GiftForm(FlaskForm):  # type: ignore[misc]
    """Redeem for someone else: a buddy from the list, or anyone by their email."""

    membership_id = SelectField(_l("Pay with"), coerce=int, validators=[DataRequired()])
    quantity = IntegerField(
        _l("How many"), default=1, validators=[DataRequired(), NumberRange(min=1, max=1000)]
    )
    buddy_id = SelectField(_l("For a buddy"), coerce=int, default=0, validators=[Optional()])
    email = EmailField(
        _l("Or for someone by their email"),
        validators=[Optional(), Email(), Length(max=254)],
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        description=_l("The receipt is theirs; the points are yours."),
    )


class ContributeForm(FlaskForm):  # type: ignore[misc]
    membership_id = SelectField(_l("Pay with"), coerce=int, validators=[DataRequired()])
    points = IntegerField(
        _l("Points to put in"), validators=[DataRequired(), NumberRange(min=1, max=MAX_POINTS)]
    )


class ReceiptFilterForm(FlaskForm):  # type: ignore[misc]
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    shop_id = SelectField(_l("Shop"), coerce=int, default=0)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (included)"), validators=[Optional()])


def settings_data(form: RewardForm) -> dict[str, Any]:
    """The reward form's schedules as the API's ``schedule_settings``."""
    return {
        "availability": form.availability.value(),
        "limit_reset": form.limit_reset.value(),
        "quantity_renewal": form.quantity_renewal.value(),
    }


RECEIPT_STATUSES = [
    ("", _l("Every status")),
    (RedemptionStatus.ISSUED.value, _l("Issued")),
    (RedemptionStatus.FULFILLED.value, _l("Handed over")),
    (RedemptionStatus.CANCELLED.value, _l("Cancelled")),
]


class ShopReceiptFilterForm(FlaskForm):  # type: ignore[misc]
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=options(RECEIPT_STATUSES), default="")
    reward_id = SelectField(_l("Reward"), coerce=int, default=0, choices=[])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (included)"), validators=[Optional()])


class CancelForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


REWARD_SORTS = [
    (SortOrder.DEFAULT.value, _l("Favourites and redeemable first")),
    (SortOrder.COST.value, _l("Cheapest first")),
    (SortOrder.COST_DESC.value, _l("Dearest first")),
    (SortOrder.NAME.value, _l("Name")),
    (SortOrder.NEWEST.value, _l("Newest first")),
]
