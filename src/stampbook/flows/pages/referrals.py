"""A friend's referral link, ``/r/<code>``: the program it invites to and a way in. A
visitor is asked to sign up (or sign in) and comes back here (``?next=``); the code is kept
in the session meanwhile. A signed-in person joins the program through it (``POST``: the
programs domain's join and the referral, ``flows.referrals``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.i18n import select_locale
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import referral_invitations, referrals
from stampbook.programs.models import MembershipStatus, Program
from stampbook.programs.policy import membership_row, shop_of
from stampbook.programs.queries import load_program
from stampbook.referrals import limits, queries, words
from stampbook.referrals.forms import ShareForm, addresses
from stampbook.referrals.models import Referral
from stampbook.referrals.policy import ReferralAction
from stampbook.referrals.rules import ReferralMethod, ReferralStatus, clean_code
from stampbook.referrals.schemas import InvitationsIn
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import act
from stampbook.ui.words import _, ngettext

bp = PageBlueprint("referral_link_pages", __name__)

SESSION_KEY = "referral_code"


def _program(code: str) -> tuple[str, Program]:
    cleaned = clean_code(code)
    found = queries.by_code(cleaned) if cleaned else None
    program = db.session.get(Program, found.program_id) if found else None
    if found is None or program is None or not can(current_user(), ReferralAction.VIEW, program):
        raise NotFound(thing="referral_code")
    return found.code, program


@bp.get("/r/<code>")
@route(Access.PUBLIC)
def landing(code: str) -> tuple[str, int]:
    code, program = _program(code)
    session[SESSION_KEY] = code
    settings = queries.settings_of(program.id)
    actor = current_user()
    member = membership_row(actor.id, program.id) if actor is not None else None
    here = url_for("referral_link_pages.landing", code=code)
    return render_template(
        "flows/referral_landing.html",
        code=code,
        program=program,
        shop=shop_of(program),
        settings=settings if settings is not None and settings.enabled else None,
        member=member,
        form=ActionForm(),
        register=url_for("account_pages.register", next=here),
        login=url_for("account_pages.login", next=here),
    ), 200


def _joined(referral: Referral) -> str:
    if referral.status == ReferralStatus.REJECTED:
        return _(
            "You are a member; this referral does not count: %(reason)s",
            reason=words.reason(referral.reason),
        )
    return _("Welcome aboard: you joined through your friend's invitation.")


@bp.post("/r/<code>/join")
@route(Access.USER, action=ReferralAction.REFER)
def join(code: str) -> Response:
    code, program = _program(code)
    result = act(
        lambda: referrals.join_through(
            me(), program.id, code, method=ReferralMethod.LINK, network=request.remote_addr
        ),
        lambda referral: _joined(referral),
    )
    if not isinstance(result, Exception):
        session.pop(SESSION_KEY, None)
    return redirect(url_for("program_pages.program", program_id=program.id), 303)


@bp.post("/programs/<int:program_id>/referral/invitations")
@route(Access.USER, action=ReferralAction.SHARE)
@limits.invitations
def share(program_id: int) -> Response:
    """The member's page's "Invite by email" form."""
    program = load_program(me(), program_id, ReferralAction.VIEW)
    membership = membership_row(me().id, program.id)
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        raise NotFound(thing="membership")
    form = ShareForm()
    back = redirect(url_for("referral_pages.member", program_id=program.id), 303)
    if not form.validate_on_submit():
        flash(_("Write up to 5 email addresses."), "danger")
        return back
    try:
        body = InvitationsIn.model_validate({"emails": addresses(form.emails.data)})
    except ValidationError:
        flash(_("Write up to 5 valid email addresses."), "danger")
        return back
    act(
        lambda: referral_invitations.invite(
            me(), membership.id, [str(e) for e in body.emails], language=select_locale()
        ),
        lambda sent: ngettext(
            "%(num)d invitation is on its way.", "%(num)d invitations are on their way.", sent
        ),
    )
    return back
