"""The counter (``/programs/<id>/counter``): the team scans a member's card with the
device's camera (``ui/static/event_scan.js``) or types its code, sees who it is (name,
initials, balance, what they can redeem now), then stamps a task in one tap (the tasks' own
stamp form, a fresh idempotency key per rendered form) or redeems a reward for them
(``flows.counter``). The card's code travels in a POST body only; the page found shows the
membership by its id, as the team's member pages do."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.cards import queries as card_queries
from stampbook.cards.forms import CardCodeForm, CounterRedeemForm
from stampbook.cards.policy import CardAction
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import counter as counter_flow
from stampbook.programs.models import Program
from stampbook.programs.policy import shop_of
from stampbook.programs.queries import load_program
from stampbook.rewards.policy import RewardAction
from stampbook.tasks import queries as task_queries
from stampbook.tasks.policy import StampAttempt, TaskAction
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import act, attempt, id_in
from stampbook.ui.words import _

bp = PageBlueprint("counter_pages", __name__)


def _page(
    program: Program,
    *,
    scan: card_queries.Scan | None = None,
    form: CardCodeForm | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = me()
    tasks: list[Any] = []
    if scan is not None and not program.is_archived:
        listed, _cursor = task_queries.list_tasks(actor, program.id, PageQuery(limit=200))
        tasks = [
            t for t in listed if can(actor, TaskAction.TASK_STAMP, StampAttempt(t, scan.membership))
        ]
    here = url_for("counter_pages.counter", program_id=program.id)
    return (
        render_template(
            "flows/counter.html",
            program=program,
            shop=shop_of(program),
            form=form or CardCodeForm(),
            scan=scan,
            tasks=tasks,
            refusal=refusal,
            action_form=ActionForm(),
            back=f"{here}?member={scan.membership_id}" if scan is not None else here,
        ),
        status,
    )


@bp.get("/programs/<int:program_id>/counter")
@route(Access.USER, action=CardAction.SCAN)
def counter(program_id: int) -> tuple[str, int]:
    program = load_program(me(), program_id, CardAction.SCAN)
    member = id_in(request.args.get("member"))
    scan = None
    if member is not None:
        # A read (no savepoint: a GET runs outside a transaction on PostgreSQL): a member
        # the caller may not see is simply not shown.
        try:
            found = card_queries.scan_of(me(), member)
        except AppError:
            found = None
        if found is not None and found.membership.program_id == program.id:
            scan = found
    return _page(program, scan=scan)


@bp.post("/programs/<int:program_id>/counter")
@route(Access.USER, action=CardAction.SCAN)
def scan(program_id: int) -> Response | tuple[str, int]:
    """A card scanned or typed: the member's card, or the refusal in its words."""
    program = load_program(me(), program_id, CardAction.SCAN)
    form = CardCodeForm()
    if not form.validate_on_submit():
        return _page(program, form=form, status=422)
    found = attempt(lambda: card_queries.card_in(program, form.card_code.data or ""))
    if isinstance(found, AppError):
        return _page(program, form=form, refusal=found.detail, status=found.status)
    target = url_for("counter_pages.counter", program_id=program.id, member=found.id)
    return redirect(target, 303)


@bp.post("/programs/<int:program_id>/counter/redeem")
@route(Access.USER, action=RewardAction.REWARD_REDEEM_FOR_MEMBER, idempotent=True)
def redeem(program_id: int) -> Response:
    program = load_program(me(), program_id, CardAction.SCAN)
    form = CounterRedeemForm()
    here = url_for("counter_pages.counter", program_id=program.id)
    if not form.validate_on_submit():
        return redirect(here, 303)
    membership_id = int(form.membership_id.data or 0)
    act(
        lambda: counter_flow.redeem_for(
            me(),
            program_id=program.id,
            membership_id=membership_id,
            reward_id=int(form.reward_id.data or 0),
        ),
        lambda receipt: _(
            "“%(reward)s” is redeemed: hand it over.", reward=receipt.reward_content.get("name")
        ),
    )
    return redirect(f"{here}?member={membership_id}", 303)
