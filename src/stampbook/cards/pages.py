"""The member's card on the program's page (``ui.parts``: the programs domain does not import
this one): its code as a QR code to show at the counter, and replacing it; for the team that
stamps, the way to the counter (``flows/pages/counter.py``)."""

from __future__ import annotations

from typing import Any

import segno
from flask import redirect, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.cards import services
from stampbook.cards.policy import CardAction, may_scan
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.queries import load_membership
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import act
from stampbook.ui.parts import Part, program_part
from stampbook.ui.words import _

bp = PageBlueprint("card_pages", __name__)


def qr_svg(code: str) -> Markup:
    """The card code as an inline SVG QR code (no script: the page's CSP allows none)."""
    svg = segno.make(code, error="m").svg_inline(scale=5, title=code)
    return Markup(svg)  # noqa: S704 - segno's own markup of the code's 31 symbols


@program_part("cards")
def _on_the_program_page(actor: Any, program: Program, mine: Membership | None) -> Part | None:
    """A member's card (their own only: nobody else is shown it) and, for the team that
    stamps, the counter's link. No statement: the page loaded both already."""
    member = mine is not None and mine.status == MembershipStatus.ACTIVE
    counter = not program.is_archived and may_scan(actor, program)
    if not member and not counter:
        return None
    values: dict[str, Any] = {"counter": counter, "membership": None}
    if member and mine is not None:
        values.update(membership=mine.id, code=mine.card_code, qr=qr_svg(mine.card_code))
        values["form"] = ActionForm()
    return Part("cards/_program_part.html", values)


@bp.post("/memberships/<int:membership_id>/card/replace")
@route(Access.USER, action=CardAction.REPLACE, idempotent=True)
def replace(membership_id: int) -> Response:
    membership = load_membership(me(), membership_id, CardAction.REPLACE)
    program_id = membership.program_id
    if ActionForm().validate_on_submit():
        act(
            lambda: services.replace_card(me(), membership_id=membership_id),
            _("Your card has a new code: the old one is refused at the counter from now on."),
        )
    return redirect(url_for("program_pages.program", program_id=program_id) + "#my-card", 303)
