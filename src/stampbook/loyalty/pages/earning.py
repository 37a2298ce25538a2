"""A program's "Earning points" page: how members earn (its earning rules in words) and the
campaigns running or coming; for the shop's creator and managers also the forms that add,
change and delete rules, and add and end campaigns, with what each campaign has cost.

Each write checks what the matching API route checks, with the same services: a program
the viewer may not see answers 404, one they see but whose rules they may not manage 403.
Times are typed in the shop's time zone (a rule's window, a campaign's start and end) and
shown in the viewer's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core import clock
from stampbook.core.errors import AppError, NotFound
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.core.zones import zone
from stampbook.loyalty import campaigns, queries, services
from stampbook.loyalty.forms import CampaignForm, EditRuleForm, RuleForm, typed_decimal
from stampbook.loyalty.models import CampaignKind, EarningRule, RuleKind
from stampbook.loyalty.policy import LoyaltyAction, program_of
from stampbook.loyalty.schemas import (
    CampaignIn,
    CampaignOut,
    EarningRuleIn,
    EarningRuleOut,
    EarningRulePatch,
)
from stampbook.loyalty.words import (
    campaign_cost,
    campaign_words,
    rule_conditions,
    rule_sentence,
    rule_words,
)
from stampbook.programs.models import Program
from stampbook.programs.policy import shop_of, shop_zone
from stampbook.programs.queries import load_program
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import Unsaved, act, place_errors, save, validate
from stampbook.ui.words import _

bp = PageBlueprint("earning_pages", __name__)

VIEW = LoyaltyAction.RULES_VIEW
MANAGE = LoyaltyAction.RULES_MANAGE
RULES_SHOWN = 200
CAMPAIGNS_SHOWN = 50
# The order a reader meets the rules in: spending first, then joining, then the rest.
KIND_ORDER = {kind: place for place, kind in enumerate(RuleKind)}

# A refusal said next to the field it is about (else above the form).
RULE_REFUSALS = {
    "rule_exists": "kind",
    "activity_exists": "activity",
    "window_reversed": "ends_at",
    "limit_incomplete": "limit_count",
}
CAMPAIGN_REFUSALS = {"window_reversed": "campaign_ends_at"}
# The API's field names -> the campaign form's.
CAMPAIGN_FIELDS = {
    "name": "campaign_name",
    "kind": "campaign_kind",
    "starts_at": "campaign_starts_at",
    "ends_at": "campaign_ends_at",
}


def _refused(form: Any, refusals: Mapping[str, str]) -> Any:
    def place(error: AppError) -> list[str]:
        field = refusals.get(error.code)
        if field is not None and hasattr(form, field):
            return place_errors(form, [(field, error.detail)])
        return [error.detail]

    return place


# --- Times typed in the shop's zone -----------------------------------------------------------


def _instant(wall: datetime | None, shop_zone: ZoneInfo) -> datetime | None:
    """A wall-clock time typed for the shop, as the instant it means there."""
    return None if wall is None else wall.replace(tzinfo=shop_zone)


def _wall(moment: datetime | None, shop_zone: ZoneInfo) -> datetime | None:
    """An instant as the shop's wall clock shows it, for a ``datetime-local`` field."""
    return None if moment is None else moment.astimezone(shop_zone).replace(tzinfo=None)


def _in_shop_zone(shop_zone: ZoneInfo, *fields: Any) -> None:
    for field in fields:
        field.description = _("In the shop's time zone (%(zone)s).", zone=shop_zone.key)


# --- The page ---------------------------------------------------------------------------------


def _earning_page(
    program: Program,
    rule_form: RuleForm,
    campaign_form: CampaignForm,
    *,
    rule_problems: list[str] | None = None,
    campaign_problems: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = current_user()
    now = clock.now()
    shop = shop_of(program)
    manage = not program.is_archived and can(actor, MANAGE, program)
    rules = queries.list_rules(actor, program.id, PageQuery(limit=RULES_SHOWN)).items
    found = queries.list_campaigns(actor, program.id, PageQuery(limit=CAMPAIGNS_SHOWN)).items
    if not manage:  # members read what earns now or will; the team sees what has ended too
        rules = [r for r in rules if r.ends_at is None or r.ends_at > now]
        found = [c for c in found if c.ends_at > now]
    rules.sort(key=lambda r: (KIND_ORDER.get(RuleKind(r.kind), 0), r.activity or ""))
    found.sort(key=lambda c: _campaign_order(c, now))
    _in_shop_zone(
        zone(shop.time_zone),
        rule_form.starts_at,
        rule_form.ends_at,
        campaign_form.campaign_starts_at,
        campaign_form.campaign_ends_at,
    )
    page = render_template(
        "loyalty/earning.html",
        program=program,
        shop=shop,
        rules=[_rule_line(r, now, program) for r in rules],
        campaigns=[_campaign_line(c, now, manage, program) for c in found],
        manage=manage,
        rule_form=rule_form,
        campaign_form=campaign_form,
        rule_problems=rule_problems or [],
        campaign_problems=campaign_problems or [],
        action_form=ActionForm(),
    )
    return page, status


def _campaign_order(campaign: CampaignOut, now: datetime) -> tuple[int, float]:
    """Running first (ending soonest first), then coming (starting soonest), then ended
    (the latest first)."""
    if campaign.ends_at <= now:
        return 2, -campaign.ends_at.timestamp()
    if campaign.starts_at <= now:
        return 0, campaign.ends_at.timestamp()
    return 1, campaign.starts_at.timestamp()


def _rule_line(rule: EarningRuleOut, now: datetime, program: Program) -> dict[str, Any]:
    return {
        "id": rule.id,
        "sentence": rule_sentence(rule, program),
        "conditions": rule_conditions(rule, now),
        "active": rule.active,
    }


def _campaign_line(
    campaign: CampaignOut, now: datetime, manage: bool, program: Program
) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "words": campaign_words(campaign, now, program),
        "running": campaign.starts_at <= now < campaign.ends_at,
        "cost": campaign_cost(campaign, program) if manage else None,
    }


@bp.get("/programs/<int:program_id>/earning")
@route(Access.PUBLIC, action=VIEW)
def earning(program_id: int) -> tuple[str, int]:
    program = load_program(current_user(), program_id, VIEW)
    return _earning_page(program, RuleForm(formdata=None), CampaignForm(formdata=None))


def _back(program_id: int) -> Response:
    return redirect(url_for("earning_pages.earning", program_id=program_id), 303)


# --- Rules ------------------------------------------------------------------------------------


def _window_and_limit(form: RuleForm | EditRuleForm, shop_zone: ZoneInfo) -> dict[str, Any]:
    return {
        "points": form.points.data,
        "starts_at": _instant(form.starts_at.data, shop_zone),
        "ends_at": _instant(form.ends_at.data, shop_zone),
        "limit_count": form.limit_count.data,
        "limit_period": form.limit_period.data or None,
    }


def _amounts(form: RuleForm | EditRuleForm) -> dict[str, Any]:
    return {
        "per_amount": typed_decimal(form.per_amount.data),
        "minimum_amount": typed_decimal(form.minimum_amount.data),
        "include_shipping": bool(form.include_shipping.data),
        "include_taxes": bool(form.include_taxes.data),
    }


def _new_rule(form: RuleForm, shop_zone: ZoneInfo) -> dict[str, Any]:
    """What the form says, for the kind chosen (the other kinds' fields are left out)."""
    data = {"kind": form.kind.data, **_window_and_limit(form, shop_zone)}
    if form.kind.data == RuleKind.PURCHASE:
        data |= _amounts(form)
    if form.kind.data == RuleKind.ACTIVITY:
        data["activity"] = (form.activity.data or "").strip()
    return data


@bp.post("/programs/<int:program_id>/earning/rules")
@route(Access.USER, action=MANAGE)
def add_rule(program_id: int) -> Response | tuple[str, int]:
    program = load_program(me(), program_id, MANAGE)
    form = RuleForm()
    unsaved = Unsaved([])
    if form.validate_on_submit():
        saved = save(
            validate(EarningRuleIn, _new_rule(form, shop_zone(program)), form),
            lambda body: services.create_rule(me(), program_id, body),
            _refused(form, RULE_REFUSALS),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The earning rule is added."), "success")
            return _back(program_id)
        unsaved = saved
    return _earning_page(
        program,
        form,
        CampaignForm(formdata=None),
        rule_problems=unsaved.problems,
        status=unsaved.status(bool(form.errors)),
    )


def _live_rule(rule_id: int) -> EarningRule:
    """The rule, if the viewer may change it (403, 404) and it is not deleted (404)."""
    found = queries.load_rule(me(), rule_id)
    if found.deleted_at is not None:
        raise NotFound(thing="earning_rule")
    return found


def _rule_values(found: EarningRule, shop_zone: ZoneInfo) -> dict[str, Any]:
    shown = queries.rule_out(found)
    return {
        "points": found.points,
        "per_amount": shown.per_amount,
        "minimum_amount": shown.minimum_amount,
        "include_shipping": found.include_shipping,
        "include_taxes": found.include_taxes,
        "starts_at": _wall(found.starts_at, shop_zone),
        "ends_at": _wall(found.ends_at, shop_zone),
        "limit_count": found.limit_count,
        "limit_period": found.limit_period or "",
    }


@bp.route("/earning-rules/<int:rule_id>", methods=["GET", "POST"])
@route(Access.USER, action=MANAGE)
def edit_rule(rule_id: int) -> Response | tuple[str, int]:
    found = _live_rule(rule_id)
    program = program_of(found)
    here = shop_zone(program)
    purchase = found.kind == RuleKind.PURCHASE
    form = EditRuleForm(data=_rule_values(found, here), purchase=purchase)
    unsaved = Unsaved([])
    if form.validate_on_submit():
        changes = _window_and_limit(form, here)
        if purchase:
            changes |= _amounts(form)
        saved = save(
            validate(EarningRulePatch, changes, form),
            lambda body: services.update_rule(me(), rule_id, body.model_dump(exclude_unset=True)),
            _refused(form, RULE_REFUSALS),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The earning rule is saved."), "success")
            return _back(program.id)
        unsaved = saved
    _in_shop_zone(here, form.starts_at, form.ends_at)
    page = render_template(
        "loyalty/earning_rule.html",
        program=program,
        rule=found,
        said=rule_words(queries.rule_out(found, program), clock.now(), program),
        form=form,
        problems=unsaved.problems,
        action_form=ActionForm(),
    )
    return page, unsaved.status(bool(form.errors))


@bp.post("/earning-rules/<int:rule_id>/delete")
@route(Access.USER, action=MANAGE)
def delete_rule(rule_id: int) -> Response:
    found = _live_rule(rule_id)
    if ActionForm().validate_on_submit():
        act(
            lambda: services.delete_rule(me(), rule_id),
            _("The earning rule is deleted; the points it gave stay."),
        )
    return _back(found.program_id)


# --- Campaigns --------------------------------------------------------------------------------


def _new_campaign(form: CampaignForm, shop_zone: ZoneInfo) -> dict[str, Any]:
    data = {
        "name": (form.campaign_name.data or "").strip(),
        "kind": form.campaign_kind.data,
        "rule_kinds": list(form.rule_kinds.data or []),
        "starts_at": _instant(form.campaign_starts_at.data, shop_zone),
        "ends_at": _instant(form.campaign_ends_at.data, shop_zone),
    }
    if form.campaign_kind.data == CampaignKind.MULTIPLIER:
        data["multiplier"] = typed_decimal(form.multiplier.data)
    else:
        data["bonus_points"] = form.bonus_points.data
    return data


@bp.post("/programs/<int:program_id>/earning/campaigns")
@route(Access.USER, action=MANAGE)
def add_campaign(program_id: int) -> Response | tuple[str, int]:
    program = load_program(me(), program_id, MANAGE)
    form = CampaignForm()
    unsaved = Unsaved([])
    if form.validate_on_submit():
        saved = save(
            validate(CampaignIn, _new_campaign(form, shop_zone(program)), form, CAMPAIGN_FIELDS),
            lambda body: campaigns.create_campaign(me(), program_id, body),
            _refused(form, CAMPAIGN_REFUSALS),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The campaign “%(name)s” is set.", name=saved.name), "success")
            return _back(program_id)
        unsaved = saved
    return _earning_page(
        program,
        RuleForm(formdata=None),
        form,
        campaign_problems=unsaved.problems,
        status=unsaved.status(bool(form.errors)),
    )


@bp.post("/campaigns/<int:campaign_id>/delete")
@route(Access.USER, action=MANAGE)
def delete_campaign(campaign_id: int) -> Response:
    found = queries.load_campaign(me(), campaign_id)
    if found.deleted_at is not None:
        raise NotFound(thing="campaign")
    if ActionForm().validate_on_submit():
        act(
            lambda: campaigns.delete_campaign(me(), campaign_id),
            _("The campaign is over; the points it gave stay."),
        )
    return _back(found.program_id)
