"""The referral pages: a member's page (code, link, a copy button, sharing by email, their
friends' statuses), and for the shop's creator and managers the settings, the referrals list
(rejected ones with their reasons; held ones to approve or reject) and the analytics.

Each write checks what the matching API route checks, with the same services. Sharing by
email is a flow (``flows/pages/referrals.py``), since it sends through notifications.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user, me
from stampbook.core.errors import NotFound
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import membership_row, shop_of
from stampbook.programs.queries import load_program
from stampbook.referrals import queries, services, words
from stampbook.referrals.forms import SettingsForm, ShareForm, steps
from stampbook.referrals.policy import ReferralAction, is_manager
from stampbook.referrals.rules import ReferralStatus
from stampbook.referrals.schemas import ReferralSettingsIn
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import Unsaved, act, given, place_errors, save, validate
from stampbook.ui.parts import Part, program_part
from stampbook.ui.words import _

bp = PageBlueprint("referral_pages", __name__)

SHOWN = 100


@program_part("referrals")
def _on_the_program_page(actor: Any, program: Program, mine: Membership | None) -> Part | None:
    """The program's page links a member to their "Refer a friend" page while the program
    takes referrals, and the managers to the referral pages: one statement (the settings)."""
    settings = queries.settings_of(program.id)
    manager = actor is not None and is_manager(actor, program)
    member = mine is not None and mine.status == MembershipStatus.ACTIVE
    if settings is None and not manager:
        return None
    if not manager and not (member and settings is not None and settings.enabled):
        return None
    return Part("referrals/_program_part.html", {"member": member, "manager": manager})


def _mine(program: Program) -> Membership:
    actor = me()
    row = membership_row(actor.id, program.id)
    if row is None or row.status != MembershipStatus.ACTIVE:
        raise NotFound(thing="membership")
    return row


@bp.get("/programs/<int:program_id>/referral")
@route(Access.USER, action=ReferralAction.MEMBER_VIEW)
def member(program_id: int) -> tuple[str, int]:
    program = load_program(me(), program_id, ReferralAction.VIEW)
    membership, code = services.member_referral(me(), _mine(program).id)
    settings = queries.settings_of(program.id)
    friends = queries.referrals_of(program.id, advocate_id=membership.id, limit=SHOWN)
    return render_template(
        "referrals/member.html",
        program=program,
        shop=shop_of(program),
        membership=membership,
        code=code.code,
        link=url_for("referral_link_pages.landing", code=code.code, _external=True),
        settings=settings,
        counts=queries.member_counts(membership.id),
        friends=friends,
        names=queries.names(r.friend_id for r in friends if r.friend_id),
        words=words,
        form=ShareForm(),
    ), 200


# --- The team's pages -------------------------------------------------------------------------


def _settings_form(program: Program) -> SettingsForm:
    settings = queries.settings_of(program.id) or services.default_settings(program.id)
    form = SettingsForm()
    if request.method == "GET":
        form.enabled.data = settings.enabled
        form.completes.data = settings.completes
        form.minimum_amount.data = services.minimum_text(program, settings)
        form.advocate_points.data = settings.advocate_points
        form.friend_points.data = settings.friend_points
        form.escalation.data = ", ".join(
            f"{s.from_count}:{s.points}" for s in queries.steps_of(settings)
        )
        form.expiry_days.data = settings.expiry_days
        form.cap_count.data = settings.cap_count
        form.cap_period.data = settings.cap_period
        form.email_sharing.data = settings.email_sharing
    return form


def _settings_page(program: Program, form: SettingsForm, problems: list[str], status: int) -> Any:
    return render_template(
        "referrals/settings.html",
        program=program,
        shop=shop_of(program),
        form=form,
        problems=problems,
    ), status


@bp.get("/programs/<int:program_id>/referral-settings")
@route(Access.USER, action=ReferralAction.MANAGE)
def settings(program_id: int) -> Any:
    program = load_program(me(), program_id, ReferralAction.MANAGE)
    return _settings_page(program, _settings_form(program), [], 200)


@bp.post("/programs/<int:program_id>/referral-settings")
@route(Access.USER, action=ReferralAction.MANAGE)
def save_settings(program_id: int) -> Any:
    program = load_program(me(), program_id, ReferralAction.MANAGE)
    form = _settings_form(program)
    if not form.validate_on_submit():
        return _settings_page(program, form, [], 422)
    escalation = steps(form.escalation.data)
    if escalation is None:
        place_errors(form, [("escalation", _("Write each step as N:points, e.g. 3:200."))])
        return _settings_page(program, form, [], 422)
    data = given(
        {
            "enabled": bool(form.enabled.data),
            "completes": form.completes.data,
            "minimum_amount": (form.minimum_amount.data or "").strip().replace(",", "."),
            "advocate_points": form.advocate_points.data,
            "friend_points": form.friend_points.data,
            "expiry_days": form.expiry_days.data,
            "cap_count": form.cap_count.data,
            "cap_period": form.cap_period.data,
            "email_sharing": bool(form.email_sharing.data),
        }
    )
    data["escalation"] = escalation
    result = save(
        validate(ReferralSettingsIn, data, form),
        lambda body: services.put_settings(me(), program.id, body),
        lambda error: [error.detail],
    )
    if isinstance(result, Unsaved):
        return _settings_page(program, form, result.problems, result.status(True))
    return redirect(url_for("referral_pages.settings", program_id=program.id), 303)


@bp.get("/programs/<int:program_id>/referrals")
@route(Access.USER, action=ReferralAction.MANAGE)
def referrals(program_id: int) -> tuple[str, int]:
    program = load_program(me(), program_id, ReferralAction.MANAGE)
    wanted = request.args.get("status")
    status = wanted if wanted in set(ReferralStatus) else None
    rows = services.list_referrals(me(), program.id, status=status, limit=SHOWN)
    held = services.list_referrals(
        me(), program.id, held=True, status=ReferralStatus.PENDING, limit=SHOWN
    )
    who = queries.names(
        [r.advocate_id for r in rows + held] + [r.friend_id for r in rows + held if r.friend_id]
    )
    return render_template(
        "referrals/referrals.html",
        program=program,
        shop=shop_of(program),
        rows=rows,
        held=held,
        names=who,
        status=status,
        statuses=list(ReferralStatus),
        words=words,
        form=ActionForm(),
    ), 200


@bp.post("/referrals/<int:referral_id>/approve")
@route(Access.USER, action=ReferralAction.MANAGE)
def approve(referral_id: int) -> Response:
    referral = queries.load_referral(me(), referral_id)
    act(lambda: services.approve(me(), referral_id), _("The referral was approved."))
    return redirect(url_for("referral_pages.referrals", program_id=referral.program_id), 303)


@bp.post("/referrals/<int:referral_id>/reject")
@route(Access.USER, action=ReferralAction.MANAGE)
def reject(referral_id: int) -> Response:
    referral = queries.load_referral(me(), referral_id)
    act(lambda: services.reject(me(), referral_id), _("The referral was rejected."))
    return redirect(url_for("referral_pages.referrals", program_id=referral.program_id), 303)


@bp.get("/programs/<int:program_id>/referral-analytics")
@route(Access.USER, action=ReferralAction.MANAGE)
def analytics(program_id: int) -> tuple[str, int]:
    program = load_program(current_user(), program_id, ReferralAction.MANAGE)
    services.expire(program.id)
    return render_template(
        "referrals/analytics.html",
        program=program,
        shop=shop_of(program),
        totals=queries.program_stats(program.id),
        advocates=queries.advocate_stats(program.id),
    ), 200
