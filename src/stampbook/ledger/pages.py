"""The team's corrections of a member's points."""

from __future__ import annotations

from typing import Any

from flask import flash, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.ledger import words
from stampbook.ledger.forms import AdjustForm
from stampbook.ledger.policy import LedgerAction
from stampbook.ledger.schemas import AdjustmentIn
from stampbook.ledger.services import adjust
from stampbook.programs import queries as programs_queries
from stampbook.programs.words import points
from stampbook.ui.helpers import (
    attempt,
    go_back,
    validate,
)

bp = PageBlueprint("ledger_pages", __name__)


@bp.app_context_processor
def _ledger_words() -> dict[str, Any]:
    return {"kind_words": words.KIND_WORDS, "entry_note": words.entry_note}


@bp.post("/memberships/<int:membership_id>/adjust")
@route(Access.USER, action=LedgerAction.MEMBERSHIP_ADJUST, idempotent=True)
def adjust_points(membership_id: int) -> Response:
    """Add or remove points by hand with the reason (shop managers), as
    ``POST /memberships/{id}/adjustments``; the form's idempotency key (the guard's) makes a
    resend harmless."""
    membership = programs_queries.load_membership(
        me(), membership_id, LedgerAction.MEMBERSHIP_ADJUST
    )
    form = AdjustForm()
    if not form.validate_on_submit():
        flash(_("Say how many points (not zero) and why."), "danger")
        return go_back(url_for("member_pages.members", program_id=membership.program_id))
    body, _problems = validate(
        AdjustmentIn, {"amount": form.amount.data, "note": form.note.data}, form
    )
    if body is None:
        flash(_("Say how many points (not zero) and why."), "danger")
        return go_back(url_for("member_pages.members", program_id=membership.program_id))

    result = attempt(lambda: adjust(me(), membership_id, amount=body.amount, note=body.note))
    if isinstance(result, AppError):
        flash(result.detail, "danger")
    else:
        names = programs_queries.points_names(membership.program_id)
        moved = points(abs(result.amount), names)
        balance = points(result.balance_after, names)
        if result.amount > 0:
            said = _("Added %(points)s: the balance is %(balance)s.", points=moved, balance=balance)
        else:
            said = _(
                "Taken away %(points)s: the balance is %(balance)s.", points=moved, balance=balance
            )
        flash(said, "success")
    return go_back(url_for("member_pages.members", program_id=membership.program_id))
