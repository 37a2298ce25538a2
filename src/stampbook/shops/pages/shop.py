"""Shop pages: explore, a shop with its programs and rewards, and the team's shop tools
(open, edit, arrange and delete the shop; stamp a member found by name or email; receipts
with their filters, fulfil and cancel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.apikeys.policy import ApiKeyAction
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.egress import UrlNotAllowed
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.core.zones import zone
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.programs import queries as programs
from stampbook.programs import queries as programs_queries
from stampbook.programs.policy import ProgramAction
from stampbook.programs.schemas import ProgramQuery
from stampbook.rewards import queries as rewards
from stampbook.rewards.forms import REWARD_SORTS
from stampbook.rewards.policy import RewardAction
from stampbook.rewards.schemas import RewardListQuery
from stampbook.schedules.periods import local_date
from stampbook.shops import queries, services
from stampbook.shops import queries as shops_queries
from stampbook.shops.forms import ArrangeForm, ShopForm, arrange_form
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopAction, role_of
from stampbook.shops.rules import arranged, hours_in_zone, schedules_of
from stampbook.shops.schemas import MemberSearchQuery, ShopIn, ShopPatch, ShopQuery
from stampbook.tasks import queries as tasks_queries
from stampbook.tasks.forms import MemberStampForm
from stampbook.ui.forms import IDENTITY_FIELDS, TIME_ZONES, ActionForm
from stampbook.ui.helpers import (
    Unsaved,
    given,
    refusal_errors,
    save,
    validate,
)
from stampbook.ui.schedule_forms import place_form_errors, validate_form
from stampbook.ui.schedule_words import describe

bp = PageBlueprint("shop_pages", __name__)


def pending_invitations() -> int:
    """How many pending invitations wait for the signed-in user (the header's badge): one
    query per request; none for visitors, nor on an error page drawn after the request's
    transaction ended."""
    user = current_user()
    if user is None or not db.session.in_transaction():
        return 0
    return queries.pending_invitation_count(user)


@bp.app_context_processor
def _invitation_badge() -> dict[str, Any]:
    return {"pending_invitations": pending_invitations}


SHOP_FIELDS = (
    *IDENTITY_FIELDS,
    "address",
    "image_url",
    "time_zone",
    "privacy_mode",
    "review_points",
    "chat_webhook_url",
)
RECEIPTS_PER_PAGE = 50


@bp.get("/explore")
@route(Access.PUBLIC, action=ShopAction.SHOP_VIEW)
def explore() -> str | tuple[str, int]:
    try:
        query = ShopQuery.model_validate(
            {k: v for k, v in request.args.items() if k in ("q", "cursor")} | {"limit": 30}
        )
    except ValidationError:
        query = ShopQuery(limit=30)
    found = queries.list_shops(current_user(), query)
    return render_template("shops/explore.html", shops=found.items, query=query, found=found)


@dataclass(frozen=True)
class OpeningHours:
    """A shop's opening hours in words: on its own clocks, and on the viewer's when those
    differ (``viewer``: the same hours moved there; ``clocks``: what time it is in both
    places, for hours no weekly table can move)."""

    shop: list[str]  # empty: open at all hours
    viewer_zone: str | None = None
    viewer: list[str] | None = None
    clocks: tuple[str, str] | None = None  # (at the shop, on the viewer's clocks)


def _opening_hours(shop: Shop, now: datetime) -> OpeningHours:
    stored = shop.availability_schedule or []
    said = [describe(schedule) for schedule in schedules_of(stored)]
    user = current_user()
    here, there = zone(shop.time_zone), zone(user.time_zone if user else None)
    if user is None or not stored or here.key == there.key:
        return OpeningHours(said)
    moved = hours_in_zone(stored, here.key, there.key, local_date(now, here))
    if moved is not None:
        words = [describe(schedule) for schedule in moved]
        return OpeningHours(said) if words == said else OpeningHours(said, there.key, words)
    at_shop, at_viewer = now.astimezone(here), now.astimezone(there)
    if at_shop.utcoffset() == at_viewer.utcoffset():
        return OpeningHours(said)  # the same clocks: nothing to add
    return OpeningHours(said, there.key, clocks=(f"{at_shop:%H:%M}", f"{at_viewer:%H:%M}"))


def _tools(shop: Shop) -> dict[str, bool]:
    """Which of the team's tools the viewer may use in this shop."""
    actor = current_user()
    return {
        "edit": can(actor, ShopAction.SHOP_EDIT, shop),
        "new_program": can(actor, ProgramAction.PROGRAM_CREATE, shop),
        "new_reward": can(actor, RewardAction.REWARD_CREATE, shop),
        "stamp": can(actor, ShopAction.SHOP_SEARCH_MEMBERS, shop),
        "redemptions": can(actor, RewardAction.REDEMPTION_LIST_FOR_SHOP, shop),
        "team": can(actor, ShopAction.ROLE_MANAGE, shop),
        "api_keys": can(actor, ApiKeyAction.API_KEY_MANAGE, shop),
        "store": can(actor, LoyaltyAction.INTEGRATIONS_MANAGE, shop),
        "invitations": can(actor, ShopAction.SHOP_INVITE, shop),
        "merge": can(actor, ShopAction.SHOP_MERGE, shop),
        "delete": can(actor, ShopAction.SHOP_DELETE, shop),
    }


@bp.get("/shops/<int:shop_id>")
@route(Access.PUBLIC, action=ShopAction.SHOP_VIEW)
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
    model = db.session.get_one(Shop, shop_id)  # in the identity map since get_shop
    own_role = role_of(actor.id, shop_id) if actor is not None else None
    return render_template(
        "shops/shop.html",
        shop=shop,
        programs=[by_id[i] for i in arranged(by_id, shop.order_program_ids)],
        rewards=items,
        names=programs_queries.shop_points_names(shop_id),
        wanted=wanted,
        sorts=REWARD_SORTS,
        problem=problem,
        tools=_tools(model),
        mine=programs_queries.membership_lines(actor.id, shop_id=shop_id) if actor else [],
        own_role=own_role,
        leave_form=ActionForm(),
        hours=_opening_hours(model, clock.now()),
    )


# --- Open, edit, arrange, delete ------------------------------------------------------------


def _shop_data(form: ShopForm) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in SHOP_FIELDS}
    return data | {"availability_schedule": form.availability_schedule.value()}


def _refusal_errors(error: AppError) -> list[tuple[str, str]]:
    """A service's refusal next to its field: a chat address egress refuses, by the chat's."""
    if isinstance(error, UrlNotAllowed):
        return [("chat_webhook_url", error.detail)]
    return refusal_errors(error)


def _shop_form_page(form: ShopForm, problems: list[str], shop: Shop | None) -> tuple[str, int]:
    status = 422 if form.errors or problems else 200
    return render_template(
        "shops/form.html",
        form=form,
        problems=problems,
        shop=shop,
        time_zones=TIME_ZONES,
        may_delete=shop is not None and can(me(), ShopAction.SHOP_DELETE, shop),
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
@route(Access.USER, action=ShopAction.SHOP_EDIT)
def edit_shop(shop_id: int) -> Response | str | tuple[str, int]:
    shop = shops_queries.load_shop(me(), shop_id, ShopAction.SHOP_EDIT)
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
            lambda error: place_form_errors(form, _refusal_errors(error)),
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
@route(Access.USER, action=ShopAction.SHOP_EDIT)
def arrange(shop_id: int) -> Response | str | tuple[str, int]:
    shop = shops_queries.load_shop(me(), shop_id, ShopAction.SHOP_EDIT)
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
@route(Access.USER, action=ShopAction.SHOP_SEARCH_MEMBERS)
def find_member(shop_id: int) -> str:
    shop = shops_queries.load_shop(me(), shop_id, ShopAction.SHOP_SEARCH_MEMBERS)
    q = request.args.get("q", "").strip()
    matches = []
    if q:
        matches = queries.search_members(me(), shop_id, MemberSearchQuery(q=q[:100])).items
    return render_template(
        "shops/stamp.html",
        shop=shop,
        q=q,
        matches=matches,
        names=programs_queries.points_names_by_program(shop_id) if matches else {},
        tasks=tasks_queries.tasks_of(m.program_id for m in matches),
        form=MemberStampForm(),
    )


# --- Receipts -------------------------------------------------------------------------------
