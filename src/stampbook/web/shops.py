"""Shop pages: explore, a shop with its programs and rewards, and the team's shop tools
(create and edit the shop, stamp a member found by name or email, receipts with cancel)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user
from stampbook.errors import AppError
from stampbook.policy import Access, can, route
from stampbook.programs import queries as programs
from stampbook.programs.schemas import ProgramQuery
from stampbook.rewards import queries as rewards
from stampbook.rewards import services as reward_services
from stampbook.rewards.models import RedemptionStatus
from stampbook.rewards.schemas import RewardListQuery, ShopRedemptionQuery
from stampbook.routing import PageBlueprint
from stampbook.shops import queries, services
from stampbook.shops.models import Shop
from stampbook.shops.schemas import MemberSearchQuery, ShopIn, ShopPatch, ShopQuery
from stampbook.tasks import services as tasks
from stampbook.web import queries as pages
from stampbook.web import words
from stampbook.web.forms import REWARD_SORTS, CancelForm, MemberStampForm, ShopForm
from stampbook.web.helpers import attempt, given, me, place_errors, safe_next, validate

bp = PageBlueprint("shop_pages", __name__)

SHOP_FIELDS = ("name", "summary", "description", "color", "time_zone", "privacy_mode")


@bp.get("/explore")
@route(Access.PUBLIC, action="shop.view")
def explore() -> str | tuple[str, int]:
    try:
        query = ShopQuery.model_validate(
            {k: v for k, v in request.args.items() if k in ("q", "cursor")} | {"limit": 30}
        )
    except ValidationError:
        query = ShopQuery(limit=30)
    found = queries.list_shops(current_user(), query)
    return render_template("shops/explore.html", shops=found.items, query=query, found=found)


def _tools(shop: Shop) -> dict[str, bool]:
    """Which of the team's tools the viewer may use in this shop."""
    actor = current_user()
    return {
        "edit": can(actor, "shop.edit", shop),
        "new_program": can(actor, "program.create", shop),
        "new_reward": can(actor, "reward.create", shop),
        "stamp": can(actor, "shop.search_members", shop),
        "redemptions": can(actor, "redemption.list_for_shop", shop),
    }


@bp.get("/shops/<int:shop_id>")
@route(Access.PUBLIC, action="shop.view")
def shop(shop_id: int) -> str | tuple[str, int]:
    actor = current_user()
    shop = services.get_shop(actor, shop_id)
    problem = None
    try:
        wanted = RewardListQuery.model_validate(
            {k: v for k, v in request.args.items() if k in RewardListQuery.model_fields}
        )
    except ValidationError:
        wanted, problem = RewardListQuery(), "Those list options are not understood; showing all."
    items = rewards.list_rewards(
        actor,
        shop_id,
        sort=wanted.sort,
        hide_expired=wanted.hide_expired,
        hide_unavailable=wanted.hide_unavailable,
        slim=wanted.view == "slim",
        program_id=wanted.program_id,
    )
    return render_template(
        "shops/shop.html",
        shop=shop,
        programs=programs.list_programs(actor, shop_id, ProgramQuery(limit=100)).items,
        rewards=items,
        wanted=wanted,
        sorts=REWARD_SORTS,
        problem=problem,
        tools=_tools(reward_services.load_shop(shop_id)),
        mine=pages.my_memberships(actor.id, shop_id=shop_id) if actor else [],
    )


def _shop_data(form: ShopForm) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in SHOP_FIELDS}
    data["review_points"] = form.review_points.data
    return data


@bp.route("/shops/new", methods=["GET", "POST"])
@route(Access.USER)
def new_shop() -> Response | str | tuple[str, int]:
    form = ShopForm()
    problems: list[str] = []
    if form.validate_on_submit():
        body, problems = validate(ShopIn, given(_shop_data(form)), form)
        if body is not None:
            created = services.create_shop(me(), **body.model_dump(mode="json"))
            flash(f"Your shop {created.name} is open.", "success")
            return redirect(url_for("shop_pages.shop", shop_id=created.id))
    status = 422 if form.errors or problems else 200
    return render_template("shops/form.html", form=form, problems=problems, shop=None), status


@bp.route("/shops/<int:shop_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action="shop.edit")
def edit_shop(shop_id: int) -> Response | str | tuple[str, int]:
    shop = services.load_shop(me(), shop_id, "shop.edit")
    form = ShopForm(obj=shop)
    problems: list[str] = []
    if form.validate_on_submit():
        # Empty optional fields clear them (null), as a PATCH with null does.
        data = {k: (v if v != "" else None) for k, v in _shop_data(form).items()}
        body, problems = validate(ShopPatch, data, form)
        if body is not None:
            result = attempt(
                lambda: services.update_shop(
                    me(), shop_id, body.model_dump(mode="json", exclude_unset=True)
                )
            )
            if not isinstance(result, AppError):
                flash("The shop is saved.", "success")
                return redirect(url_for("shop_pages.shop", shop_id=shop_id))
            problems = place_errors(form, [("", result.detail)])
    status = 422 if form.errors or problems else 200
    return render_template("shops/form.html", form=form, problems=problems, shop=shop), status


@bp.get("/shops/<int:shop_id>/stamp")
@route(Access.USER, action="shop.search_members")
def find_member(shop_id: int) -> str:
    shop = services.load_shop(me(), shop_id, "shop.search_members")
    q = request.args.get("q", "").strip()
    matches = []
    if q:
        matches = queries.search_members(me(), shop_id, MemberSearchQuery(q=q[:100])).items
    return render_template(
        "shops/stamp.html",
        shop=shop,
        q=q,
        matches=matches,
        tasks=pages.tasks_of(m.program_id for m in matches),
        form=MemberStampForm(),
    )


@bp.post("/shops/<int:shop_id>/stamp")
@route(Access.USER, action="task.stamp", idempotent=True)
def stamp_member(shop_id: int) -> Response:
    services.load_shop(me(), shop_id, "shop.search_members")
    form = MemberStampForm()
    back = url_for("shop_pages.find_member", shop_id=shop_id, q=request.form.get("q", ""))
    if not form.validate_on_submit():
        flash("Choose a task and a quantity of at least 1.", "danger")
        return redirect(back, 303)
    result = attempt(
        lambda: tasks.stamp_task(
            me(),
            task_id=int(form.task_id.data or 0),
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
        )
    )
    if isinstance(result, AppError):
        flash(result.detail, "danger")
    else:
        flash(words.earned(result.points, result.breakdown), "success")
    return redirect(back, 303)


@bp.get("/shops/<int:shop_id>/redemptions")
@route(Access.USER, action="redemption.list_for_shop")
def shop_redemptions(shop_id: int) -> str:
    shop = services.load_shop(me(), shop_id)
    args = {k: v for k, v in request.args.items() if k in ("status", "cursor") and v}
    try:
        query = ShopRedemptionQuery.model_validate({**args, "limit": 50})
    except ValidationError:
        abort(404)
    items, next_cursor = rewards.shop_redemptions(me(), shop_id, query, status=query.status)
    return render_template(
        "shops/redemptions.html",
        shop=shop,
        receipts=items,
        next_cursor=next_cursor,
        status=query.status,
        statuses=list(RedemptionStatus),
        names=pages.user_names(r.user_id for r in items),
        form=CancelForm(),
    )


@bp.post("/receipts/<int:redemption_id>/cancel")
@route(Access.USER, action="redemption.cancel", idempotent=True)
def cancel_receipt(redemption_id: int) -> Response:
    form = CancelForm()
    back = safe_next(url_for("reward_pages.receipt", redemption_id=redemption_id))
    if not form.validate_on_submit():
        flash("Say why the receipt is cancelled.", "danger")
        return redirect(back, 303)
    result = attempt(
        lambda: reward_services.cancel_redemption(
            me(), redemption_id=redemption_id, reason=form.reason.data or ""
        )
    )
    if isinstance(result, AppError):
        flash(result.detail, "danger")
    else:
        flash(f"Receipt {redemption_id} is cancelled; its points are refunded.", "success")
    return redirect(back, 303)
