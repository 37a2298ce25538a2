"""Reward pages: a reward with redeem (choosing which membership pays), contribute and
favourite; receipts and my receipt history; the team's reward form."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user
from stampbook.errors import AppError
from stampbook.policy import Access, can, route
from stampbook.rewards import queries, services
from stampbook.rewards.schemas import MyRedemptionQuery, RewardIn
from stampbook.routing import PageBlueprint
from stampbook.shops.services import load_shop
from stampbook.web import queries as pages
from stampbook.web.forms import (
    ActionForm,
    CancelForm,
    ContributeForm,
    ReceiptFilterForm,
    RedeemForm,
    RewardForm,
    options,
)
from stampbook.web.helpers import attempt, aware, given, me, place_errors, validate, viewer_zone

bp = PageBlueprint("reward_pages", __name__)

RECEIPTS_PER_PAGE = 20


def _reward_page(
    reward_id: int,
    *,
    redeem_form: RedeemForm | None = None,
    contribute_form: ContributeForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = current_user()
    reward = queries.reward_detail(actor, reward_id)
    mine = pages.my_memberships(actor.id, shop_id=reward.shop_id) if actor else []
    choices = options((m.membership_id, f"{m.program_name}: {m.balance} points") for m in mine)
    redeem_form = redeem_form or RedeemForm()
    contribute_form = contribute_form or ContributeForm()
    redeem_form.membership_id.choices = choices
    contribute_form.membership_id.choices = choices
    return render_template(
        "rewards/reward.html",
        reward=reward,
        shop_name=pages.shop_name(reward.shop_id),
        mine=mine,
        redeem_form=redeem_form,
        contribute_form=contribute_form,
        favourite_form=ActionForm(),
        may_see_changes=actor is not None
        and can(actor, "reward.view_changes", services.load_reward(reward_id)),
    ), status


@bp.get("/rewards/<int:reward_id>")
@route(Access.PUBLIC, action="reward.view")
def reward(reward_id: int) -> tuple[str, int]:
    return _reward_page(reward_id)


def _choices_for(reward_id: int, form: RedeemForm | ContributeForm) -> None:
    shop_id = services.visible_reward(me(), reward_id).shop_id
    form.membership_id.choices = options(
        (m.membership_id, m.program_name) for m in pages.my_memberships(me().id, shop_id=shop_id)
    )


@bp.post("/rewards/<int:reward_id>/redeem")
@route(Access.USER, action="reward.redeem", idempotent=True)
def redeem(reward_id: int) -> Response | tuple[str, int]:
    form = RedeemForm()
    _choices_for(reward_id, form)
    if not form.validate_on_submit():
        return _reward_page(reward_id, redeem_form=form, status=422)
    result = attempt(
        lambda: services.redeem(
            me(),
            reward_id=reward_id,
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
        )
    )
    if isinstance(result, AppError):
        target = form.quantity if result.code in ("out_of_stock", "limit_reached") else None
        (target or form.membership_id).errors = [result.detail]
        return _reward_page(reward_id, redeem_form=form, status=result.status)
    flash(f"Redeemed: {result.reward_content['name']} for {result.points_paid} points.", "success")
    return redirect(url_for("reward_pages.receipt", redemption_id=result.id), 303)


@bp.post("/rewards/<int:reward_id>/contribute")
@route(Access.USER, action="reward.contribute", idempotent=True)
def contribute(reward_id: int) -> Response | tuple[str, int]:
    form = ContributeForm()
    _choices_for(reward_id, form)
    if not form.validate_on_submit():
        return _reward_page(reward_id, contribute_form=form, status=422)
    result = attempt(
        lambda: services.contribute(
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
        flash(
            "Your points filled the pot: the reward is redeemed for every contributor.", "success"
        )
        return redirect(url_for("reward_pages.receipt", redemption_id=result.redemption.id), 303)
    flash(f"You put {result.contribution.points} points in the pot.", "success")
    return redirect(url_for("reward_pages.reward", reward_id=reward_id), 303)


@bp.post("/rewards/<int:reward_id>/favorite")
@route(Access.USER, action="reward.favorite")
def favourite(reward_id: int) -> Response:
    if request.form.get("star") == "0":
        services.remove_favorite(me(), reward_id=reward_id)
        flash("Removed from your favourites.", "info")
    else:
        services.add_favorite(me(), reward_id=reward_id)
        flash("Added to your favourites.", "success")
    return redirect(url_for("reward_pages.reward", reward_id=reward_id), 303)


@bp.get("/receipts/<int:redemption_id>")
@route(Access.USER, action="redemption.view")
def receipt(redemption_id: int) -> str:
    redemption = queries.get_redemption(me(), redemption_id)
    return render_template(
        "rewards/receipt.html",
        receipt=redemption,
        shop_name=pages.shop_name(redemption.shop_id),
        may_cancel=can(me(), "redemption.cancel", redemption),
        form=CancelForm(),
    )


def _day_start(day: Any) -> datetime | None:
    return None if day is None else aware(datetime.combine(day, time()))


@bp.get("/receipts")
@route(Access.USER)
def my_receipts() -> str | tuple[str, int]:
    form = ReceiptFilterForm(request.args)
    shops = {m.shop_id: m.shop_name for m in pages.my_memberships(me().id)}
    form.shop_id.choices = options([(0, "All shops"), *sorted(shops.items(), key=lambda s: s[1])])
    form.validate()
    shop_id = form.shop_id.data if form.shop_id.data in shops else None
    form.shop_id.errors = []  # a shop that is not one of mine: all shops, as the select shows
    until = _day_start(form.until.data)
    try:
        query = MyRedemptionQuery(
            limit=RECEIPTS_PER_PAGE,
            cursor=request.args.get("cursor") or None,
            since=_day_start(form.since.data),
            until=until + timedelta(days=1) if until else None,
        )
    except ValidationError:  # a mangled cursor: start from the newest
        query = MyRedemptionQuery(limit=RECEIPTS_PER_PAGE)
    items, next_cursor = queries.my_redemptions(me(), query, shop_id=shop_id)
    more = request.args.to_dict() | {"cursor": next_cursor} if next_cursor else None
    return render_template(
        "rewards/receipts.html",
        form=form,
        receipts=items,
        more=more,
        zone=viewer_zone().key,
    ), 422 if form.errors else 200


REWARD_FIELDS = (
    "name",
    "summary",
    "description",
    "color",
    "cost",
    "quantity",
    "user_limit",
    "group_limit",
)


@bp.route("/shops/<int:shop_id>/rewards/new", methods=["GET", "POST"])
@route(Access.USER, action="reward.create")
def new_reward(shop_id: int) -> Response | str | tuple[str, int]:
    shop = load_shop(me(), shop_id, "reward.create")
    form = RewardForm()
    problems: list[str] = []
    if form.validate_on_submit():
        data: dict[str, Any] = given({name: getattr(form, name).data for name in REWARD_FIELDS})
        data |= {
            "expiry_date": aware(form.expiry_date.data),
            "is_group_reward": bool(form.is_group_reward.data),
            "is_giftable": bool(form.is_giftable.data),
        }
        body, problems = validate(RewardIn, given(data), form)
        if body is not None:
            result = attempt(
                lambda: services.create_reward(me(), shop_id=shop_id, fields=body.model_dump())
            )
            if not isinstance(result, AppError):
                flash(f"The reward {result.name} is on the shelf.", "success")
                return redirect(url_for("reward_pages.reward", reward_id=result.id))
            problems = place_errors(form, [("", result.detail)])
    status = 422 if form.errors or problems else 200
    return render_template("rewards/form.html", form=form, problems=problems, shop=shop), status
