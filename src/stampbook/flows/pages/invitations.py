"""A shop's invitations (to the shop or one of its programs), and answering one's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import me
from stampbook.accounts.models import User
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.flows import invitations
from stampbook.flows.forms import INVITATION_STATUSES, InviteForm
from stampbook.programs import services as programs
from stampbook.programs.forms import MEMBERSHIP_ROLES
from stampbook.programs.policy import ProgramAction
from stampbook.shops import queries, services
from stampbook.shops import queries as shops_queries
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopAction
from stampbook.shops.schemas import (
    InvitationIn,
    InvitationQuery,
    ProgramInvitationIn,
)
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    act,
    attempt,
    place_errors,
    safe_next,
    validate,
)

bp = PageBlueprint("invitation_pages", __name__)


INVITATIONS_PER_PAGE = 50


INVITATION_FIELDS = {"": "email", "user_id": "email"}


def _invite_targets(shop: Shop) -> list[tuple[str, str]]:
    return [
        ("shop", _("The shop %(name)s", name=shop.name)),
        *(
            (f"program:{i}", _("The program %(name)s", name=name))
            for i, name in queries.live_programs(shop.id)
        ),
    ]


def _invitations_page(shop: Shop, form: InviteForm, status: int = 200) -> tuple[str, int]:
    wanted = request.args.get("status") or "pending"
    try:
        query = InvitationQuery.model_validate(
            {
                "status": wanted,
                "cursor": request.args.get("cursor") or None,
                "limit": INVITATIONS_PER_PAGE,
            }
        )
    except ValidationError:
        query, wanted = InvitationQuery(limit=INVITATIONS_PER_PAGE), "pending"
    found = queries.shop_invitations(me(), shop.id, query)
    more = {"status": wanted, "cursor": found.next_cursor} if found.next_cursor else None
    return render_template(
        "flows/invitations.html",
        shop=shop,
        invitations=found.items,
        names=accounts_queries.user_names(i.user_id for i in found.items),
        wanted=wanted,
        statuses=INVITATION_STATUSES,
        status_words=dict(INVITATION_STATUSES),
        role_words=dict(MEMBERSHIP_ROLES),
        more=more,
        form=form,
        revoke_form=ActionForm(),
    ), status


@bp.route("/shops/<int:shop_id>/invitations", methods=["GET", "POST"])
@route(Access.USER, action=ShopAction.SHOP_INVITE)
def shop_invitations(shop_id: int) -> Response | tuple[str, int]:
    """The shop's invitations (its own and its programs'), and the form to send one."""
    shop = shops_queries.load_shop(me(), shop_id, ShopAction.SHOP_INVITE)
    form = InviteForm()
    form.target.choices = options(_invite_targets(shop))
    if request.method == "GET":
        return _invitations_page(shop, form)
    status = 422
    if form.validate_on_submit():
        result, problems = _send_invitation(shop_id, form)
        if result is not None and not isinstance(result, AppError):
            flash(_("%(email)s is invited.", email=form.email.data), "success")
            return redirect(url_for("invitation_pages.shop_invitations", shop_id=shop_id), 303)
        if isinstance(result, AppError):
            problems, status = [result.detail], result.status
        place_errors(form, [("email", p) for p in problems])
    return _invitations_page(shop, form, status)


def _send_invitation(shop_id: int, form: InviteForm) -> tuple[Any, list[str]]:
    """Into the shop or one of its programs, as the target says: the invitation or the
    service's refusal, or None and the problems of the input."""
    kind, _sep, number = (form.target.data or "").partition(":")
    email = form.email.data or ""
    if kind == "program":
        program_body, problems = validate(
            ProgramInvitationIn,
            {"email": email, "role_type": form.role_type.data},
            form,
            INVITATION_FIELDS,
        )
        if program_body is None:
            return None, problems
        fields = program_body.model_dump(mode="json", exclude_none=True)
        return attempt(lambda: programs.invite(me(), int(number), **fields)), []
    shop_body, problems = validate(InvitationIn, {"email": email}, form, INVITATION_FIELDS)
    if shop_body is None:
        return None, problems
    fields = shop_body.model_dump(mode="json", exclude_none=True)
    return attempt(lambda: services.invite_to_shop(me(), shop_id, **fields)), []


@bp.post("/invitations/<int:invitation_id>/revoke")
@route(Access.USER, action=ProgramAction.INVITATION_REVOKE)
def revoke_invitation(invitation_id: int) -> Response:
    invitation = queries.load_invitation(me(), invitation_id, ProgramAction.INVITATION_REVOKE)
    act(
        lambda: invitations.revoke_invitation(me(), invitation_id),
        _("The invitation is withdrawn."),
    )
    back = url_for("invitation_pages.shop_invitations", shop_id=invitation.shop_id)
    return redirect(safe_next(back), 303)


@bp.get("/invitations")
@route(Access.USER)
def my_invitations() -> tuple[str, int]:
    """The invitations addressed to me: pending ones to answer, and the answered ones."""
    actor = me()
    pending = queries.my_invitations(actor, InvitationQuery(limit=INVITATIONS_PER_PAGE)).items
    answered = [
        i
        for i in queries.my_invitations(
            actor, InvitationQuery(status=None, limit=INVITATIONS_PER_PAGE)
        ).items
        if i.status != "pending"
    ]
    return render_template(
        "flows/my_invitations.html",
        pending=pending,
        answered=answered,
        senders=accounts_queries.user_names(i.created_by for i in pending),
        status_words=dict(INVITATION_STATUSES),
        role_words=dict(MEMBERSHIP_ROLES),
        form=ActionForm(),
    ), 200


def _answer(invitation_id: int, call: Callable[[User, int], Any], *, accepted: bool) -> Response:
    queries.load_invitation(me(), invitation_id, ProgramAction.INVITATION_RESPOND)
    result = act(
        lambda: call(me(), invitation_id),
        _("Welcome: you accepted the invitation.")
        if accepted
        else _("You declined the invitation."),
    )
    if isinstance(result, AppError) or not accepted:
        return redirect(url_for("invitation_pages.my_invitations"), 303)
    target = (
        url_for("program_pages.program", program_id=result.program_id)
        if result.program_id
        else url_for("shop_pages.shop", shop_id=result.shop_id)
    )
    return redirect(target, 303)


@bp.post("/invitations/<int:invitation_id>/accept")
@route(Access.USER, action=ProgramAction.INVITATION_RESPOND)
def accept_invitation(invitation_id: int) -> Response:
    return _answer(invitation_id, invitations.accept_invitation, accepted=True)


@bp.post("/invitations/<int:invitation_id>/decline")
@route(Access.USER, action=ProgramAction.INVITATION_RESPOND)
def decline_invitation(invitation_id: int) -> Response:
    return _answer(invitation_id, invitations.decline_invitation, accepted=False)
