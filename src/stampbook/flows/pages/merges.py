"""Merging a shop or a program into another, after a preview of what will move."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import merges
from stampbook.flows.forms import ChooseForm, MergeForm
from stampbook.programs import queries as program_queries
from stampbook.programs import queries as programs_queries
from stampbook.programs.policy import ProgramAction, shop_of
from stampbook.programs.words import points
from stampbook.shops import queries
from stampbook.shops import queries as shops_queries
from stampbook.shops.policy import ShopAction
from stampbook.ui.forms import options
from stampbook.ui.helpers import (
    act,
    attempt,
)

bp = PageBlueprint("merge_pages", __name__)


def _preview(
    chooser: ChooseForm, choices: Mapping[int, str], read: Callable[[int], Any]
) -> tuple[int | None, Any]:
    """The source chosen in the GET form (one of ``choices``), and what merging it would move
    (``read``), or None and the refusal next to the select."""
    chooser.source.choices = options(choices.items())
    if "source" not in request.args:
        return None, None
    chooser.validate()
    chosen = chooser.source.data if chooser.source.data in choices else None
    if chosen is None:
        return None, None
    found = attempt(lambda: read(chosen))
    if isinstance(found, AppError):
        chooser.source.errors = [found.detail]
        return chosen, None
    return chosen, found


def _merged(merge: Callable[[int], Any], said: Callable[[Any], str], unchosen: str) -> bool:
    """Whether the confirmed merge of the source the form carries is done (``said`` says
    what moved); if not, a word why: no source chosen, or the service's refusal."""
    form = MergeForm()
    if not form.validate_on_submit():
        flash(unchosen, "danger")
        return False
    source_id = int(form.source.data or 0)
    return not isinstance(act(lambda: merge(source_id), said), AppError)


@bp.route("/shops/<int:shop_id>/merge", methods=["GET", "POST"])
@route(Access.USER, action=ShopAction.SHOP_MERGE, idempotent=True)
def merge_shop(shop_id: int) -> Response | tuple[str, int]:
    """Choose a shop of one's own, read what will move, then merge it into this one."""
    shop = shops_queries.load_shop(me(), shop_id, ShopAction.SHOP_MERGE)
    if request.method == "POST":
        merged = _merged(
            lambda source_id: merges.merge_shops(me(), target_id=shop_id, source_id=source_id),
            lambda result: _(
                "Merged into %(name)s. Programs moved: %(programs)s; rewards: %(rewards)s; "
                "team members: %(roles)s.",
                programs=result.moved_programs,
                rewards=result.moved_rewards,
                roles=result.moved_roles,
                name=shop.name,
            ),
            _("Choose the shop to merge in."),
        )
        if not merged:
            return redirect(url_for("merge_pages.merge_shop", shop_id=shop_id), 303)
        return redirect(url_for("shop_pages.shop", shop_id=shop_id), 303)
    chooser = ChooseForm(request.args)
    chosen, preview = _preview(
        chooser,
        dict(queries.mergeable_shops(me(), shop_id)),
        lambda source_id: queries.merge_preview(me(), target_id=shop_id, source_id=source_id),
    )
    return render_template(
        "flows/merge_shop.html",
        shop=shop,
        chooser=chooser,
        preview=preview,
        form=MergeForm(data={"source": chosen}),
    ), 422 if chooser.errors else 200


@bp.route("/programs/<int:program_id>/merge", methods=["GET", "POST"])
@route(Access.USER, action=ProgramAction.PROGRAM_MERGE, idempotent=True)
def merge_program(program_id: int) -> Response | tuple[str, int]:
    """Choose another program of the shop, read what will move, then merge it into this one."""
    program = programs_queries.load_program(me(), program_id, ProgramAction.PROGRAM_MERGE)
    if request.method == "POST":
        merged = _merged(
            lambda source_id: merges.merge_programs(
                me(), target_id=program_id, source_id=source_id
            ),
            lambda result: _(
                "Merged. Memberships moved: %(moved)s; people in both: %(merged)s, who received "
                "%(points)s; tasks moved: %(tasks)s.",
                moved=result.moved_memberships,
                merged=result.merged_memberships,
                points=points(result.points_moved, program),
                tasks=result.moved_tasks,
            ),
            _("Choose the program to merge in."),
        )
        if not merged:
            return redirect(url_for("merge_pages.merge_program", program_id=program_id), 303)
        return redirect(url_for("program_pages.program", program_id=program_id), 303)
    chooser = ChooseForm(request.args)
    chosen, preview = _preview(
        chooser,
        {i: n for i, n in queries.live_programs(program.shop_id) if i != program_id},
        lambda source_id: program_queries.merge_preview(
            me(), target_id=program_id, source_id=source_id
        ),
    )
    return render_template(
        "flows/merge_program.html",
        program=program,
        shop=shop_of(program),
        chooser=chooser,
        preview=preview,
        form=MergeForm(data={"source": chosen}),
    ), 422 if chooser.errors else 200
