"""Reward pages: a reward with redeem (choosing which membership pays), gift, contribute and
favourite; receipts and my receipt history; the team's reward form with every setting
(schedules included), deleting with a confirmation, the change history, and a reward's
receipts with fulfil and cancel (the shop pages' ``fulfil_receipt`` and ``cancel_receipt``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import current_user, me
from stampbook.accounts.queries import find_by_email
from stampbook.core import wording
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.people.buddy_queries import my_buddies
from stampbook.programs import queries as programs_queries
from stampbook.programs.words import points
from stampbook.rewards import contributing, loading, queries, redeeming, services
from stampbook.rewards import services as rewards
from stampbook.rewards.discount_rules import is_discount
from stampbook.rewards.forms import (
    REWARD_FIELDS,
    ContributeForm,
    GiftForm,
    RedeemForm,
    RewardForm,
    settings_data,
)
from stampbook.rewards.models import Redemption, Reward, RewardKind
from stampbook.rewards.pages.receipts import RECEIPT_STATUS
from stampbook.rewards.policy import RewardAction
from stampbook.rewards.rules import ScheduleSettings, load_settings
from stampbook.rewards.schemas import RewardIn, RewardPatch
from stampbook.rewards.words import DISCOUNT_STATUS_WORDS, KIND_WORDS, discount_words
from stampbook.shops import queries as shops_queries
from stampbook.shops.queries import load_shop
from stampbook.ui.forms import IDENTITY_FIELDS, ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    act,
    attempt,
    aware,
    from_cursor,
    given,
    local_time,
    refusal_errors,
    save,
    viewer_zone,
)
from stampbook.ui.schedule_forms import place_form_errors, validate_form
from stampbook.ui.schedule_words import describe

bp = PageBlueprint("reward_pages", __name__)

# A reward's status in a list, in a word.
STATUS_WORDS = {
    "redeemable": _l("Redeemable"),
    "too_expensive": _l("Not enough points"),
    "unavailable": _l("Not available now"),
    "expired": _l("Expired"),
    "out_of_stock": _l("Out of stock"),
}

# Why the redeem and gift forms are disabled, by the reward's status for the viewer (the
# rules the redeeming service applies: ``rewards.rules.status_of``).
BLOCKED_WORDS = {
    "out_of_stock": _l("None left for now: it cannot be redeemed until there is stock again."),
    "unavailable": _l(
        "It cannot be redeemed now: it is closed at this time, or you have redeemed it as "
        "often as allowed for now."
    ),
    "expired": _l("It has expired: it can no longer be redeemed."),
}

CHANGES_PER_PAGE = 50
BUDDIES_SHOWN = 200

LIMIT_RESETS = {
    "both": _l("Both limits start afresh: %(when)s"),
    "user": _l("The per-member limit starts afresh: %(when)s"),
    "group": _l("The limit for everyone together starts afresh: %(when)s"),
}
FIELD_NAMES = {
    "name": _l("Name"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "color": _l("Colour"),
    "icon": _l("Icon"),
    "cost": _l("Cost in points"),
    "quantity": _l("Stock"),
    "group_limit": _l("Redemptions for everyone together"),
    "user_limit": _l("Redemptions per member"),
    "expiry_date": _l("Expires"),
    "is_group_reward": _l("Group reward"),
    "can_contribute": _l("The pot takes contributions"),
    "is_giftable": _l("May be given as a gift"),
    "schedule_settings": _l("Schedules"),
    "deleted_at": _l("Deleted"),
    "kind": _l("What it gives"),
    "discount_amount": _l("Amount off"),
    "discount_currency": _l("Currency of the amount"),
    "discount_percent": _l("Percentage off"),
}


@bp.app_context_processor
def _reward_words() -> dict[str, Any]:
    return {
        "receipt_status": RECEIPT_STATUS,
        "status_words": STATUS_WORDS,
        "discount_words": discount_words,
        "discount_status_words": DISCOUNT_STATUS_WORDS,
    }


# --- Schedules in words ---------------------------------------------------------------------


def settings_words(raw: dict[str, Any] | ScheduleSettings | None) -> dict[str, list[str]]:
    """A reward's schedules as sentences: ``{"availability": [...], "limit_reset": [...],
    "quantity_renewal": [...]}``."""
    settings = raw if isinstance(raw, ScheduleSettings) else load_settings(raw)
    return {
        "availability": [describe(window) for window in settings.availability],
        "limit_reset": [
            str(LIMIT_RESETS[str(reset.limit_type)]) % {"when": describe(reset.schedule)}
            for reset in settings.limit_reset
        ],
        "quantity_renewal": [
            _(
                "%(n)s more in stock: %(when)s, up to %(cap)s",
                n=renewal.renewal_quantity,
                when=describe(renewal.schedule),
                cap=renewal.cap,
            )
            if renewal.cap is not None
            else _(
                "%(n)s more in stock: %(when)s",
                n=renewal.renewal_quantity,
                when=describe(renewal.schedule),
            )
            for renewal in settings.quantity_renewal
        ],
    }


# --- A reward, for members ------------------------------------------------------------------


def _team_tools(reward: Reward) -> dict[str, bool]:
    actor = current_user()
    return {
        action: actor is not None and can(actor, f"reward.{action}", reward)
        for action in ("edit", "delete", "view_changes", "view_redemptions")
    }


def _buddies() -> list[tuple[int, str]]:
    page = my_buddies(me(), PageQuery(limit=BUDDIES_SHOWN))
    return sorted(((b.user.id, b.user.name) for b in page.items), key=lambda pair: pair[1])


def _reward_page(
    reward_id: int,
    *,
    redeem_form: RedeemForm | None = None,
    gift_form: GiftForm | None = None,
    contribute_form: ContributeForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = current_user()
    reward = queries.reward_detail(actor, reward_id)
    mine = programs_queries.membership_lines(actor.id, shop_id=reward.shop_id) if actor else []
    choices = options(
        (
            m.membership_id,
            _("%(program)s: %(points)s", program=m.program_name, points=points(m.balance, m)),
        )
        for m in mine
    )
    redeem_form = redeem_form or RedeemForm()
    contribute_form = contribute_form or ContributeForm()
    if gift_form is None:
        gift_form = GiftForm()
        if actor is not None and mine and reward.is_giftable and not reward.is_group_reward:
            gift_form.buddy_id.choices = options([(0, _("Choose a buddy")), *_buddies()])
    for form in (redeem_form, contribute_form, gift_form):
        form.membership_id.choices = choices
    return render_template(
        "rewards/reward.html",
        reward=reward,
        shop_name=shops_queries.shop_name(reward.shop_id),
        names=programs_queries.shop_points_names(reward.shop_id),
        mine=mine,
        redeem_form=redeem_form,
        gift_form=gift_form,
        contribute_form=contribute_form,
        favourite_form=ActionForm(),
        tools=_team_tools(loading.load_reward(reward_id)),
        settings=settings_words(reward.schedule_settings),
        blocked=BLOCKED_WORDS.get(reward.status),
    ), status


@bp.get("/rewards/<int:reward_id>")
@route(Access.PUBLIC, action=RewardAction.REWARD_VIEW)
def reward(reward_id: int) -> tuple[str, int]:
    return _reward_page(reward_id)


def _choices_for(reward_id: int, form: RedeemForm | ContributeForm | GiftForm) -> None:
    shop_id = loading.visible_reward(me(), reward_id).shop_id
    form.membership_id.choices = options(
        (m.membership_id, m.program_name)
        for m in programs_queries.membership_lines(me().id, shop_id=shop_id)
    )


def _redeem(reward_id: int, form: RedeemForm | GiftForm, **gift: Any) -> Redemption | AppError:
    """Redeem with the membership and quantity the form says (``gift``: for whom)."""
    return attempt(
        lambda: redeeming.redeem(
            me(),
            reward_id=reward_id,
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
            **gift,
        )
    )


def _place_refusal(error: AppError, form: RedeemForm | GiftForm) -> None:
    """A redemption's refusal, next to the input it is about."""
    target = form.quantity if error.code in ("out_of_stock", "limit_reached") else None
    (target or form.membership_id).errors = [error.detail]


def _paid(redemption: Redemption) -> str:
    """What a receipt cost, in the words of the program that paid it."""
    names = programs_queries.membership_points_names(redemption.paid_by_membership_id)
    return points(redemption.points_paid, names)


def _to_receipt(redemption: Redemption, said: str) -> Response:
    flash(said, "success")
    return redirect(url_for("receipt_pages.receipt", redemption_id=redemption.id), 303)


@bp.post("/rewards/<int:reward_id>/redeem")
@route(Access.USER, action=RewardAction.REWARD_REDEEM, idempotent=True)
def redeem(reward_id: int) -> Response | tuple[str, int]:
    form = RedeemForm()
    _choices_for(reward_id, form)
    if not form.validate_on_submit():
        return _reward_page(reward_id, redeem_form=form, status=422)
    result = _redeem(reward_id, form)
    if isinstance(result, AppError):
        _place_refusal(result, form)
        return _reward_page(reward_id, redeem_form=form, status=result.status)
    return _to_receipt(
        result,
        _(
            "Redeemed: %(name)s for %(points)s.",
            name=result.reward_content["name"],
            points=_paid(result),
        ),
    )


@bp.post("/rewards/<int:reward_id>/gift")
@route(Access.USER, action=RewardAction.REWARD_REDEEM, idempotent=True)
def gift(reward_id: int) -> Response | tuple[str, int]:
    form = GiftForm()
    _choices_for(reward_id, form)
    form.buddy_id.choices = options([(0, _("Choose a buddy")), *_buddies()])
    if not form.validate_on_submit():
        return _reward_page(reward_id, gift_form=form, status=422)
    buddy_id = form.buddy_id.data or None
    email = (form.email.data or "").strip()
    if buddy_id and email:
        form.email.errors = [_("Choose a buddy or give an email, not both.")]
        return _reward_page(reward_id, gift_form=form, status=422)
    if not buddy_id and not email:
        form.buddy_id.errors = [_("Choose who receives the gift: a buddy, or an email.")]
        return _reward_page(reward_id, gift_form=form, status=422)
    nobody = _("No one with this email can receive your gift.")
    recipient = buddy_id
    if email:
        found = find_by_email(email)
        if found is None:
            form.email.errors = [nobody]
            return _reward_page(reward_id, gift_form=form, status=404)
        recipient = found.id
    result = _redeem(reward_id, form, gift_to_user_id=recipient)
    if isinstance(result, AppError):
        if result.code in ("not_found", "gift_to_self", "not_giftable"):
            target = form.email if email else form.buddy_id
            target.errors = [nobody if result.code == "not_found" else result.detail]
        else:
            _place_refusal(result, form)
        return _reward_page(reward_id, gift_form=form, status=result.status)
    return _to_receipt(
        result,
        _(
            "Your gift is given: %(name)s for %(points)s. The receipt is theirs.",
            name=result.reward_content["name"],
            points=_paid(result),
        ),
    )


@bp.post("/rewards/<int:reward_id>/contribute")
@route(Access.USER, action=RewardAction.REWARD_CONTRIBUTE, idempotent=True)
def contribute(reward_id: int) -> Response | tuple[str, int]:
    form = ContributeForm()
    _choices_for(reward_id, form)
    if not form.validate_on_submit():
        return _reward_page(reward_id, contribute_form=form, status=422)
    result = attempt(
        lambda: contributing.contribute(
            me(),
            reward_id=reward_id,
            membership_id=int(form.membership_id.data or 0),
            points=int(form.points.data or 0),
        )
    )
    if isinstance(result, AppError):
        form.points.errors = [result.detail]
        return _reward_page(reward_id, contribute_form=form, status=result.status)
    if result.redemption is not None:
        return _to_receipt(
            result.redemption,
            _("Your points filled the pot: the reward is redeemed for every contributor."),
        )
    names = programs_queries.membership_points_names(result.contribution.membership_id)
    put = points(result.contribution.points, names)
    flash(_("You put %(points)s in the pot.", points=put), "success")
    return redirect(url_for("reward_pages.reward", reward_id=reward_id), 303)


@bp.post("/rewards/<int:reward_id>/favorite")
@route(Access.USER, action=RewardAction.REWARD_FAVORITE)
def favourite(reward_id: int) -> Response:
    if request.form.get("star") == "0":
        services.remove_favorite(me(), reward_id=reward_id)
        flash(_("Removed from your favourites."), "info")
    else:
        services.add_favorite(me(), reward_id=reward_id)
        flash(_("Added to your favourites."), "success")
    return redirect(url_for("reward_pages.reward", reward_id=reward_id), 303)


# --- Receipts -------------------------------------------------------------------------------


# --- The team's reward form -----------------------------------------------------------------

NUMBERS = ("cost", "quantity", "group_limit", "user_limit")
# The discount fields each kind of reward sends (the others are sent as null).
KIND_FIELDS = {
    RewardKind.DISCOUNT_AMOUNT.value: ("discount_amount", "discount_currency"),
    RewardKind.DISCOUNT_PERCENT.value: ("discount_percent",),
}
DISCOUNT_INPUTS = ("discount_amount", "discount_currency", "discount_percent")


def _reward_data(form: RewardForm) -> dict[str, Any]:
    """What the form says, in the API's terms (empty texts as None)."""
    data: dict[str, Any] = {
        name: (getattr(form, name).data or "").strip() or None for name in IDENTITY_FIELDS
    }
    data |= {name: getattr(form, name).data for name in NUMBERS}
    data |= {
        "expiry_date": aware(form.expiry_date.data),
        "is_group_reward": bool(form.is_group_reward.data),
        "can_contribute": bool(form.can_contribute.data),
        "is_giftable": bool(form.is_giftable.data),
        "schedule_settings": settings_data(form),
        "kind": form.kind.data or RewardKind.CUSTOM.value,
    }
    wanted = KIND_FIELDS.get(data["kind"], ())
    data |= {
        name: (getattr(form, name).data or None) if name in wanted else None
        for name in DISCOUNT_INPUTS
    }
    return data


def _discount_errors(form: RewardForm) -> bool:
    """What the chosen kind needs, said next to its input (the model would say it above
    the form, in its own words); True when something is missing."""
    kind = form.kind.data
    missing = [name for name in KIND_FIELDS.get(kind or "", ()) if name != "discount_currency"]
    for name in missing:
        if not getattr(form, name).data:
            getattr(form, name).errors = [*getattr(form, name).errors, _("Fill this in.")]
    grouped = is_discount(kind) and bool(form.is_group_reward.data)
    if grouped:
        form.is_group_reward.errors = [wording.text("discount_group_reward", {})]
    return grouped or any(not getattr(form, name).data for name in missing)


def _form_page(
    form: RewardForm, unsaved: Unsaved, *, shop: Any, reward: Reward | None
) -> tuple[str, int]:
    return render_template(
        "rewards/form.html", form=form, problems=unsaved.problems, shop=shop, reward=reward
    ), unsaved.status(bool(form.errors))


@bp.route("/shops/<int:shop_id>/rewards/new", methods=["GET", "POST"])
@route(Access.USER, action=RewardAction.REWARD_CREATE)
def new_reward(shop_id: int) -> Response | str | tuple[str, int]:
    shop = load_shop(me(), shop_id, RewardAction.REWARD_CREATE)
    form = RewardForm()
    unsaved = Unsaved([])
    if form.validate_on_submit() and not _discount_errors(form):
        saved = save(
            validate_form(RewardIn, given(_reward_data(form)), form, REWARD_FIELDS),
            lambda body: services.create_reward(me(), shop_id=shop_id, fields=body.model_dump()),
            lambda error: place_form_errors(form, refusal_errors(error)),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The reward %(name)s is on the shelf.", name=saved.name), "success")
            # 302, as tests/web/test_pages.py expects of this older route.
            return redirect(url_for("reward_pages.reward", reward_id=saved.id))
        unsaved = saved
    return _form_page(form, unsaved, shop=shop, reward=None)


def _shown(reward: Reward, stock: int | None) -> dict[str, Any]:
    """The edit form's values: the reward as it is now (its stock after renewals)."""
    settings = load_settings(reward.schedule_settings)
    expiry = reward.expiry_date
    return {
        **{name: getattr(reward, name) for name in (*IDENTITY_FIELDS, *NUMBERS)},
        "quantity": stock,
        "quantity_shown": "" if stock is None else str(stock),
        "expiry_date": None
        if expiry is None
        else expiry.astimezone(viewer_zone()).replace(tzinfo=None, second=0, microsecond=0),
        "is_group_reward": reward.is_group_reward,
        "can_contribute": reward.can_contribute,
        "is_giftable": reward.is_giftable,
        "kind": reward.kind,
        "discount_amount": reward.discount_amount,
        "discount_currency": reward.discount_currency,
        "discount_percent": reward.discount_percent,
        "availability": settings.availability,
        "limit_reset": settings.limit_reset,
        "quantity_renewal": settings.quantity_renewal,
    }


@bp.route("/rewards/<int:reward_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=RewardAction.REWARD_EDIT)
def edit_reward(reward_id: int) -> Response | str | tuple[str, int]:
    reward = loading.visible_reward(me(), reward_id, RewardAction.REWARD_EDIT)
    shop = load_shop(me(), reward.shop_id)
    shown = _shown(reward, queries.reward_detail(me(), reward_id).quantity)
    form = RewardForm(data=shown)
    unsaved = Unsaved([])
    if form.validate_on_submit() and not _discount_errors(form):
        data = _reward_data(form)
        if _text(form.quantity.data) == (form.quantity_shown.data or ""):
            del data["quantity"]  # untouched: keep what redemptions and renewals made it
        if form.expiry_date.data == shown["expiry_date"]:
            del data["expiry_date"]  # untouched: keep its seconds
        saved = save(
            validate_form(RewardPatch, data, form, REWARD_FIELDS),
            lambda body: services.update_reward(
                me(), reward_id=reward_id, changes=body.model_dump(exclude_unset=True)
            ),
            lambda error: place_form_errors(form, refusal_errors(error)),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The reward is saved."), "success")
            return redirect(url_for("reward_pages.reward", reward_id=reward_id), 303)
        unsaved = saved
    return _form_page(form, unsaved, shop=shop, reward=reward)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@bp.route("/rewards/<int:reward_id>/delete", methods=["GET", "POST"])
@route(Access.USER, action=RewardAction.REWARD_DELETE)
def delete_reward(reward_id: int) -> Response | str | tuple[str, int]:
    reward = loading.visible_reward(me(), reward_id, RewardAction.REWARD_DELETE)
    form = ActionForm()
    problem = None
    if form.validate_on_submit():
        shop_id = reward.shop_id
        result = attempt(lambda: services.delete_reward(me(), reward_id=reward_id))
        if not isinstance(result, AppError):
            flash(_("The reward %(name)s is deleted.", name=reward.name), "success")
            return redirect(url_for("shop_pages.shop", shop_id=shop_id), 303)
        problem, status = result.detail, result.status
    else:
        status = 422 if request.method == "POST" else 200
        if request.method == "POST":
            problem = _("The form expired; try again.")
    return render_template(
        "rewards/delete.html",
        reward=reward,
        shop_name=shops_queries.shop_name(reward.shop_id),
        form=form,
        problem=problem,
    ), status


# --- The team's histories -------------------------------------------------------------------


def _value_words(field: str, value: Any) -> str:
    """A recorded value, as the change history shows it."""
    if value is None or value == "":
        return str(_("(none)"))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if field == "kind":
        return str(KIND_WORDS.get(str(value), value))
    if field in ("expiry_date", "deleted_at"):
        try:
            return local_time(datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if field == "schedule_settings":
        try:
            said = settings_words(value)
        except ValidationError:
            return str(value)
        lines = [line for part in said.values() for line in part]
        return "; ".join(lines) or _("none")
    return str(value)


@bp.get("/rewards/<int:reward_id>/changes")
@route(Access.USER, action=RewardAction.REWARD_VIEW_CHANGES)
def reward_changes(reward_id: int) -> str:
    reward = loading.visible_reward(me(), reward_id, RewardAction.REWARD_VIEW_CHANGES)
    page = from_cursor(PageQuery, limit=CHANGES_PER_PAGE)
    changes, next_cursor = queries.reward_changes(me(), reward_id, page)
    return render_template(
        "rewards/changes.html",
        reward=reward,
        changes=[
            {
                "change": c,
                "field": FIELD_NAMES.get(c.field, c.field),
                "old": _value_words(c.field, c.old_value),
                "new": _value_words(c.field, c.new_value),
            }
            for c in changes
        ],
        names=accounts_queries.user_names(c.changed_by for c in changes),
        next_cursor=next_cursor,
    )


@bp.post("/account/stars/rewards/<int:reward_id>/remove")
@route(Access.USER, action=RewardAction.REWARD_FAVORITE)
def unstar_reward(reward_id: int) -> Response:
    act(
        lambda: rewards.remove_favorite(me(), reward_id=reward_id),
        _("Removed from your starred rewards."),
        category="info",
    )
    return redirect(url_for("account_pages.stars"), 303)
