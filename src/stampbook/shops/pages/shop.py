"""Shop pages: explore, a shop with its programs and rewards, and the team's shop tools
(open, edit, arrange and delete the shop; stamp a member found by name or email; receipts
with their filters, fulfil and cancel)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core.policy import Access, can, require, route
from stampbook.core.routing import PageBlueprint
from stampbook.home import queries as pages
from stampbook.programs import queries as programs
from stampbook.programs.schemas import ProgramQuery
from stampbook.rewards import queries as rewards
from stampbook.rewards import services as reward_services
from stampbook.rewards.schemas import RewardListQuery, ShopRedemptionQuery
from stampbook.shops import queries, services
from stampbook.shops import queries as shops_queries
from stampbook.shops.forms import ArrangeForm, ShopForm, ShopReceiptFilterForm, arrange_form
from stampbook.shops.models import Shop
from stampbook.shops.policy import role_of
from stampbook.shops.rules import arranged
from stampbook.shops.schemas import MemberSearchQuery, ShopIn, ShopPatch, ShopQuery
from stampbook.tasks import services as tasks
from stampbook.tasks import words
from stampbook.ui.forms import (
    IDENTITY_FIELDS,
    REWARD_SORTS,
    TIME_ZONES,
    ActionForm,
    CancelForm,
    MemberStampForm,
    options,
)
from stampbook.ui.helpers import (
    Unsaved,
    act,
    day_range,
    given,
    refusal_errors,
    safe_next,
    save,
    validate,
    viewer_zone,
)
from stampbook.ui.schedule_forms import place_form_errors, validate_form

bp = PageBlueprint("shop_pages", __name__)

SHOP_FIELDS = (
    *IDENTITY_FIELDS,
    "image_url",
    "time_zone",
    "privacy_mode",
    "review_points",
)
RECEIPTS_PER_PAGE = 50
FILTERS = ("status", "reward_id", "since", "until")


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
        "team": can(actor, "role.manage", shop),
        "invitations": can(actor, "shop.invite", shop),
        "merge": can(actor, "shop.merge", shop),
        "delete": can(actor, "shop.delete", shop),
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
        wanted = RewardListQuery()
        problem = _("Those list options are not understood; showing all.")
    items = rewards.list_rewards(
        actor,
        shop_id,
        sort=wanted.sort,
        hide_expired=wanted.hide_expired,
        hide_unavailable=wanted.hide_unavailable,
        slim=wanted.view == "slim",
        program_id=wanted.program_id,
    )
    found = programs.list_programs(actor, shop_id, ProgramQuery(limit=100)).items
    by_id = {p.id: p for p in found}
    model = reward_services.load_shop(shop_id)
    own_role = role_of(actor.id, shop_id) if actor is not None else None
    return render_template(
        "shops/shop.html",
        shop=shop,
        programs=[by_id[i] for i in arranged(by_id, shop.order_program_ids)],
        rewards=items,
        wanted=wanted,
        sorts=REWARD_SORTS,
        problem=problem,
        tools=_tools(model),
        mine=pages.my_memberships(actor.id, shop_id=shop_id) if actor else [],
        own_role=own_role,
        leave_form=ActionForm(),
    )


# --- Open, edit, arrange, delete ------------------------------------------------------------


def _shop_data(form: ShopForm) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in SHOP_FIELDS}
    return data | {"availability_schedule": form.availability_schedule.value()}


def _shop_form_page(form: ShopForm, problems: list[str], shop: Shop | None) -> tuple[str, int]:
    status = 422 if form.errors or problems else 200
    return render_template(
        "shops/form.html",
        form=form,
        problems=problems,
        shop=shop,
        time_zones=TIME_ZONES,
        may_delete=shop is not None and can(me(), "shop.delete", shop),
    ), status


@bp.route("/shops/new", methods=["GET", "POST"])
@route(Access.USER)
def new_shop() -> Response | str | tuple[str, int]:
    form = ShopForm()
    problems: list[str] = []
    if form.validate_on_submit():
        body, problems = validate_form(ShopIn, given(_shop_data(form)), form)
        if body is not None:
            created = services.create_shop(me(), **body.model_dump(mode="json"))
            flash(_("Your shop %(name)s is open.", name=created.name), "success")
            return redirect(url_for("shop_pages.shop", shop_id=created.id))
    return _shop_form_page(form, problems, None)


@bp.route("/shops/<int:shop_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action="shop.edit")
def edit_shop(shop_id: int) -> Response | str | tuple[str, int]:
    shop = shops_queries.load_shop(me(), shop_id, "shop.edit")
    form = ShopForm(obj=shop)
    problems: list[str] = []
    if form.validate_on_submit():
        # Empty optional fields clear them (null), as a PATCH with null does.
        data = {k: (v if v != "" else None) for k, v in _shop_data(form).items()}
        saved = save(
            validate_form(ShopPatch, data, form),
            lambda body: services.update_shop(
                me(), shop_id, body.model_dump(mode="json", exclude_unset=True)
            ),
            lambda error: place_form_errors(form, refusal_errors(error)),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The shop is saved."), "success")
            return redirect(url_for("shop_pages.shop", shop_id=shop_id))
        problems = saved.problems
    return _shop_form_page(form, problems, shop)


def _current_order(shop: Shop) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The shop's live programs and rewards as its pages show them now."""
    program_names = dict(queries.live_programs(shop.id))
    reward_names = dict(sorted(queries.shop_items(shop.id, tasks=False).rewards))
    return (
        [(i, program_names[i]) for i in arranged(program_names, shop.order_program_ids)],
        [(i, reward_names[i]) for i in arranged(reward_names, shop.order_reward_ids)],
    )


def _new_order(form: ArrangeForm, prefix: str, items: list[tuple[int, str]]) -> list[int]:
    """The items sorted by the places typed in; equal places keep their present order, and
    an item left without a place keeps its own."""
    places = {
        item_id: getattr(form, f"{prefix}_{item_id}").data or position
        for position, (item_id, _name) in enumerate(items, start=1)
    }
    return sorted(places, key=lambda item_id: places[item_id])


@bp.route("/shops/<int:shop_id>/arrange", methods=["GET", "POST"])
@route(Access.USER, action="shop.edit")
def arrange(shop_id: int) -> Response | str | tuple[str, int]:
    shop = shops_queries.load_shop(me(), shop_id, "shop.edit")
    program_items, reward_items = _current_order(shop)
    form = arrange_form(program_items, reward_items)
    problems: list[str] = []
    if form.validate_on_submit():
        data = {
            "order_program_ids": _new_order(form, "program", program_items),
            "order_reward_ids": _new_order(form, "reward", reward_items),
        }
        saved = save(
            validate(ShopPatch, data, form),
            lambda body: services.update_shop(
                me(), shop_id, body.model_dump(mode="json", exclude_unset=True)
            ),
            lambda error: [error.detail],
        )
        if not isinstance(saved, Unsaved):
            flash(_("The new order is saved."), "success")
            return redirect(url_for("shop_pages.shop", shop_id=shop_id), 303)
        problems = saved.problems
    status = 422 if form.errors or problems else 200
    return render_template(
        "shops/arrange.html",
        shop=shop,
        form=form,
        problems=problems,
        program_items=program_items,
        reward_items=reward_items,
    ), status


# --- Stamp a member -------------------------------------------------------------------------


@bp.get("/shops/<int:shop_id>/stamp")
@route(Access.USER, action="shop.search_members")
def find_member(shop_id: int) -> str:
    shop = shops_queries.load_shop(me(), shop_id, "shop.search_members")
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
    shops_queries.load_shop(me(), shop_id, "shop.search_members")
    form = MemberStampForm()
    back = url_for("shop_pages.find_member", shop_id=shop_id, q=request.form.get("q", ""))
    if not form.validate_on_submit():
        flash(_("Choose a task and a quantity of at least 1."), "danger")
        return redirect(back, 303)
    act(
        lambda: tasks.stamp_task(
            me(),
            task_id=int(form.task_id.data or 0),
            membership_id=int(form.membership_id.data or 0),
            quantity=form.quantity.data or 1,
        ),
        lambda stamped: words.earned(stamped.points, stamped.breakdown),
    )
    return redirect(back, 303)


# --- Receipts -------------------------------------------------------------------------------


@bp.get("/shops/<int:shop_id>/redemptions")
@route(Access.USER, action="redemption.list_for_shop")
def shop_redemptions(shop_id: int) -> tuple[str, int]:
    shop = shops_queries.load_shop(me(), shop_id, "redemption.list_for_shop")
    form = ShopReceiptFilterForm(request.args)
    reward_names = dict(queries.shop_items(shop_id, tasks=False).rewards)
    form.reward_id.choices = options([(0, _("Every reward")), *reward_names.items()])
    form.validate()
    form.reward_id.errors = []  # not one of the shop's rewards: every reward, as shown
    form.status.errors = []
    since, until = day_range(form.since.data, form.until.data)
    filters = {
        "status": form.status.data or None,
        "reward_id": form.reward_id.data if form.reward_id.data in reward_names else None,
        "since": since,
        "until": until,
    }
    try:
        query = ShopRedemptionQuery.model_validate(
            {**filters, "cursor": request.args.get("cursor") or None, "limit": RECEIPTS_PER_PAGE}
        )
    except ValidationError:
        abort(404)  # a mangled cursor
    items, next_cursor = rewards.shop_redemptions(
        me(), shop_id, query, reward_id=query.reward_id, status=query.status
    )
    kept = {k: v for k, v in request.args.items() if k in FILTERS and v}
    more = kept | {"cursor": next_cursor} if next_cursor else None
    return render_template(
        "shops/redemptions.html",
        shop=shop,
        filters=form,
        receipts=items,
        more=more,
        zone=viewer_zone().key,
        names=pages.user_names(r.user_id for r in items),
        may_cancel={r.id for r in items if can(me(), "redemption.cancel", r)},
        may_fulfil={r.id for r in items if can(me(), "redemption.fulfil", r)},
        form=CancelForm(),
        fulfil_form=ActionForm(),
    ), 422 if form.errors else 200


@bp.post("/receipts/<int:redemption_id>/cancel")
@route(Access.USER, action="redemption.cancel", idempotent=True)
def cancel_receipt(redemption_id: int) -> Response:
    form = CancelForm()
    back = safe_next(url_for("reward_pages.receipt", redemption_id=redemption_id))
    if not form.validate_on_submit():
        flash(_("Say why the receipt is cancelled."), "danger")
        return redirect(back, 303)
    act(
        lambda: reward_services.cancel_redemption(
            me(), redemption_id=redemption_id, reason=form.reason.data or ""
        ),
        _("Receipt %(id)s is cancelled; its points are refunded.", id=redemption_id),
    )
    return redirect(back, 303)


@bp.post("/receipts/<int:redemption_id>/fulfil")
@route(Access.USER, action="redemption.fulfil")
def fulfil_receipt(redemption_id: int) -> Response:
    # Who may not see the receipt gets 404, who sees it but may not hand it over 403 (as the
    # API does); a cancelled receipt is said in words.
    require(me(), "redemption.fulfil", reward_services.load_redemption(redemption_id))
    back = safe_next(url_for("reward_pages.receipt", redemption_id=redemption_id))
    act(
        lambda: reward_services.fulfil_redemption(me(), redemption_id=redemption_id),
        _("Receipt %(id)s is marked as handed over.", id=redemption_id),
    )
    return redirect(back, 303)
