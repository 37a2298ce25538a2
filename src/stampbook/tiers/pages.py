"""A program's "VIP tiers" page: its tiers (threshold, multiplier, perks) and, for a member,
their tier, the qualifying total and a progress bar toward the next tier; the shop's creator
and managers also see how many members sit in each tier.

The team's setup pages (the shop's creator and managers: ``tier.manage``, as the API's
routes): the tiers added, changed and deleted (after a confirmation), the settings, and a
preview of how many members would sit in each tier under proposed thresholds (one grouped
statement, ``queries.preview_counts``), before any is saved. Each write calls the API's
service with the API's model, so both doors refuse the same input with the same problems,
said next to the field they are about.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import AppError, Conflict, NotFound
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import shop_of
from stampbook.programs.queries import load_program
from stampbook.tiers import forms, queries, rules, services, standing, words
from stampbook.tiers.models import Tier
from stampbook.tiers.policy import TierAction, program_of
from stampbook.tiers.schemas import TierIn, TierPatch, TierSettingsIn
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import Unsaved, act, id_in, place_errors, save, validate
from stampbook.ui.parts import Part, program_part
from stampbook.ui.words import _

bp = PageBlueprint("tier_pages", __name__)


@program_part("tiers")
def _on_the_program_page(actor: Any, program: Program, mine: Membership | None) -> Part | None:
    """The program's page links to its tiers (when it has some) and tells a member their
    tier and the next one: one statement (``queries.program_glance``)."""
    ladder = queries.program_glance(program.id, mine.id if mine is not None else None)
    if not ladder:
        return None
    held = ladder[0][2]
    names = [name for _id, name, _held in ladder]
    index = next((i for i, (tier_id, _n, _h) in enumerate(ladder) if tier_id == held), -1)
    following = names[index + 1] if index + 1 < len(names) else None
    values = {
        "member": mine is not None,
        "tier": names[index] if index >= 0 else None,
        "next": following,
    }
    return Part("tiers/_program_part.html", values)


@bp.get("/programs/<int:program_id>/tiers")
@route(Access.PUBLIC, action=TierAction.VIEW)
def tiers(program_id: int) -> tuple[str, int]:
    actor = current_user()
    program = load_program(actor, program_id, TierAction.VIEW)
    ladder = queries.ladder(program.id)
    settings = queries.settings_of(program.id)
    manage = can(actor, TierAction.MANAGE, program)
    counts = queries.member_counts(program.id) if manage else {}
    mine = None
    if actor is not None and settings is not None and ladder:
        membership = db.session.scalars(
            select(Membership).where(
                Membership.program_id == program.id, Membership.user_id == actor.id
            )
        ).first()
        if membership is not None:
            held = queries.standing(membership.id)
            day = standing.shop_day(program, clock.now())
            first, last = rules.window(settings.period, day)
            total = queries.total(membership.id, first, last)
            current = next(
                (i for i, t in enumerate(ladder) if held and t.id == held.tier_id), rules.NO_TIER
            )
            ahead = rules.progress([t.threshold for t in ladder], current, total)
            following = ladder[ahead.next_index] if ahead.next_index is not None else None
            mine = {
                "tier": ladder[current] if current > rules.NO_TIER else None,
                "total": total,
                "next": following,
                "missing": ahead.missing,
                "percent": min(100, total * 100 // following.threshold) if following else 100,
            }
    return render_template(
        "tiers/tiers.html",
        program=program,
        shop=shop_of(program),
        ladder=ladder,
        settings=settings,
        counts=counts,
        manage=manage,
        mine=mine,
        multiplier=rules.multiplier_text,
        threshold=lambda amount: words.threshold_words(
            amount, settings.basis if settings else rules.Basis.POINTS, program
        ),
    ), 200


# --- The team's setup -----------------------------------------------------------------------

MANAGE = TierAction.MANAGE
# A refusal of the services said next to the field it is about.
TIER_REFUSALS = {
    "tier_threshold_invalid": "threshold",
    "tier_threshold_unordered": "threshold",
    "tier_multiplier_invalid": "multiplier",
    "reward_not_in_shop": "reward_id",
}
# The API's field names -> the form's (a perk's error is the perks box's).
TIER_FIELDS = {f"perks.{index}": "perks" for index in range(forms.MAX_PERKS + 1)}


def _basis(program: Program) -> str:
    settings = queries.settings_of(program.id)
    return settings.basis if settings is not None else rules.Basis.POINTS


def _setup_page(
    program: Program,
    tier_form: forms.TierForm,
    settings_form: forms.TierSettingsForm,
    *,
    tier_problems: list[str] | None = None,
    settings_problems: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    basis = _basis(program)
    ladder = queries.ladder(program.id)
    tier_form.set_rewards(queries.shop_rewards(program.shop_id))
    tier_form.threshold.description = _threshold_help(basis, program)
    preview = forms.preview_form(ladder, request.args, basis, program.currency)
    proposed = None
    if request.args.get("preview") and ladder:
        proposed = _proposal(program, ladder, preview, basis)
        if proposed is None and status == 200:
            status = 422
    counts = queries.member_counts(program.id)
    page = render_template(
        "tiers/setup.html",
        program=program,
        shop=shop_of(program),
        basis=basis,
        ladder=ladder,
        counts=counts,
        rows=[
            {
                "tier": tier,
                "threshold": words.threshold_words(tier.threshold, basis, program),
                "multiplier": rules.multiplier_text(tier.multiplier_percent),
                "members": counts.get(tier.id, 0),
                "proposed": proposed[index] if proposed else None,
                "field": preview[f"threshold-{tier.id}"],
            }
            for index, tier in enumerate(ladder)
        ],
        previewed=proposed is not None,
        tier_form=tier_form,
        settings_form=settings_form,
        tier_problems=tier_problems or [],
        settings_problems=settings_problems or [],
        threshold_help=_threshold_help(basis, program),
    )
    return page, status


def _threshold_help(basis: str, program: Program) -> str:
    if basis == rules.Basis.MONEY:
        return _("An amount of %(currency)s spent, like 250.00.", currency=program.currency)
    return _("Points earned, like 500.")


def _proposal(program: Program, ladder: list[Tier], preview: Any, basis: str) -> list[int] | None:
    """How many members would sit in each tier under the proposed thresholds, or None with
    each problem next to its field (the API's problems: not above zero, not ascending)."""
    thresholds: list[int] = []
    for tier in ladder:
        field = preview[f"threshold-{tier.id}"]
        value = forms.parse_threshold(field.data, basis, program.currency)
        if value is None:
            field.errors = [_("Write a number, like 500 or 250.00.")]
        thresholds.append(value or 0)
    if any(preview[f"threshold-{tier.id}"].errors for tier in ladder):
        return None
    try:
        rules.check_ladder(thresholds)
    except rules.TierProblem as problem:
        index = problem.index or 0
        preview[f"threshold-{ladder[index].id}"].errors = [Conflict(code=problem.code).detail]
        return None
    return queries.preview_counts(program.id, thresholds)


def _settings_form(program: Program) -> forms.TierSettingsForm:
    settings = services.get_settings(me(), program.id)
    return forms.TierSettingsForm(
        formdata=None,
        data={
            "basis": settings.basis,
            "period": settings.period,
            "retention_percent": settings.retention_percent,
            "demote_on_refund": settings.demote_on_refund,
        },
    )


def _back(program_id: int) -> Response:
    return redirect(url_for("tier_pages.setup", program_id=program_id), 303)


@bp.get("/programs/<int:program_id>/tiers/setup")
@route(Access.USER, action=MANAGE)
def setup(program_id: int) -> tuple[str, int]:
    program = load_program(me(), program_id, MANAGE)
    form = forms.TierForm(formdata=None, data={"multiplier": "1x", "entry_points": 0})
    return _setup_page(program, form, _settings_form(program))


def _tier_data(form: forms.TierForm, program: Program) -> tuple[dict[str, Any], bool]:
    """What the form says, in the API's shape; False when the threshold is no number of
    the basis (said next to it)."""
    basis = _basis(program)
    threshold = forms.parse_threshold(form.threshold.data, basis, program.currency)
    if threshold is None:
        form.threshold.errors = [*form.threshold.errors, _("Write a whole number of points.")]
    data = {
        "name": (form.name.data or "").strip(),
        "threshold": threshold,
        "multiplier": forms.multiplier_typed(form.multiplier.data) or "1",
        "perks": forms.perk_lines(form.perks.data),
        "entry_points": form.entry_points.data or 0,
        "reward_id": id_in(form.reward_id.data),
    }
    return data, threshold is not None


def _refused(form: Any) -> Any:
    def place(error: AppError) -> list[str]:
        field = TIER_REFUSALS.get(error.code)
        if field is not None:
            return place_errors(form, [(field, error.detail)])
        return [error.detail]

    return place


@bp.post("/programs/<int:program_id>/tiers/new")
@route(Access.USER, action=MANAGE)
def add_tier(program_id: int) -> Response | tuple[str, int]:
    program = load_program(me(), program_id, MANAGE)
    form = forms.TierForm()
    form.set_rewards(queries.shop_rewards(program.shop_id))
    unsaved = Unsaved([])
    if form.validate_on_submit():
        data, ok = _tier_data(form, program)
        if ok:
            saved = save(
                validate(TierIn, data, form, TIER_FIELDS),
                lambda body: services.create_tier(me(), program.id, body),
                _refused(form),
            )
            if not isinstance(saved, Unsaved):
                flash(_("The tier “%(name)s” is added.", name=saved.name), "success")
                return _back(program.id)
            unsaved = saved
    return _setup_page(
        program,
        form,
        _settings_form(program),
        tier_problems=unsaved.problems,
        status=unsaved.status(bool(form.errors)),
    )


@bp.post("/programs/<int:program_id>/tiers/settings")
@route(Access.USER, action=MANAGE)
def save_settings(program_id: int) -> Response | tuple[str, int]:
    program = load_program(me(), program_id, MANAGE)
    form = forms.TierSettingsForm()
    unsaved = Unsaved([])
    if form.validate_on_submit():
        data = {
            "basis": form.basis.data,
            "period": form.period.data,
            "retention_percent": form.retention_percent.data,
            "demote_on_refund": bool(form.demote_on_refund.data),
        }
        saved = save(
            validate(TierSettingsIn, data, form),
            lambda body: services.put_settings(me(), program.id, body),
            lambda error: [error.detail],
        )
        if not isinstance(saved, Unsaved):
            flash(_("The tier settings are saved."), "success")
            return _back(program.id)
        unsaved = saved
    return _setup_page(
        program,
        forms.TierForm(formdata=None, data={"multiplier": "1x", "entry_points": 0}),
        form,
        settings_problems=unsaved.problems,
        status=unsaved.status(bool(form.errors)),
    )


def _live_tier(tier_id: int) -> tuple[Tier, Program]:
    """The tier, if the viewer may change it (403, 404) and it is not deleted (404)."""
    found = queries.load_tier(me(), tier_id)
    if found.deleted_at is not None:
        raise NotFound(thing="tier")
    return found, program_of(found)


@bp.route("/tiers/<int:tier_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=MANAGE)
def edit_tier(tier_id: int) -> Response | tuple[str, int]:
    found, program = _live_tier(tier_id)
    basis = _basis(program)
    form = forms.TierForm(
        data={
            "name": found.name,
            "threshold": forms.threshold_text(found.threshold, basis, program.currency),
            "multiplier": rules.multiplier_text(found.multiplier_percent) + "x",
            "perks": "\n".join(str(perk) for perk in found.perks),
            "entry_points": found.entry_points,
            "reward_id": str(found.reward_id) if found.reward_id else "",
        }
    )
    form.set_rewards(queries.shop_rewards(program.shop_id))
    unsaved = Unsaved([])
    if form.validate_on_submit():
        data, ok = _tier_data(form, program)
        if data["threshold"] == found.threshold:
            del data["threshold"]  # unchanged: no re-evaluation of the members
        if ok:
            saved = save(
                validate(TierPatch, data, form, TIER_FIELDS),
                lambda body: services.update_tier(
                    me(), found.id, body.model_dump(exclude_unset=True)
                ),
                _refused(form),
            )
            if not isinstance(saved, Unsaved):
                flash(_("The tier “%(name)s” is saved.", name=saved.name), "success")
                return _back(program.id)
            unsaved = saved
    form.threshold.description = _threshold_help(basis, program)
    page = render_template(
        "tiers/tier_edit.html",
        program=program,
        tier=found,
        form=form,
        problems=unsaved.problems,
    )
    return page, unsaved.status(bool(form.errors))


@bp.route("/tiers/<int:tier_id>/delete", methods=["GET", "POST"])
@route(Access.USER, action=MANAGE)
def delete_tier(tier_id: int) -> Response | tuple[str, int]:
    found, program = _live_tier(tier_id)
    form = ActionForm()
    if form.validate_on_submit():
        act(
            lambda: services.delete_tier(me(), found.id),
            _("The tier “%(name)s” is deleted; its members keep the highest tier they reach.",
              name=found.name),
        )  # fmt: skip
        return _back(program.id)
    members = queries.member_counts(program.id).get(found.id, 0)
    page = render_template(
        "tiers/tier_delete.html", program=program, tier=found, members=members, form=form
    )
    return page, 200
