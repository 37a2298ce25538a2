"""The team's management of a program's members: add, change roles, remove."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import me
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.ledger.forms import AdjustForm
from stampbook.ledger.policy import LedgerAction
from stampbook.programs import queries as program_queries
from stampbook.programs import queries as programs_queries
from stampbook.programs import services as programs
from stampbook.programs.forms import (
    MEMBERSHIP_ROLES,
    MEMBERSHIP_STATUSES,
    CustomerForm,
    MemberRoleForm,
    ProgramInviteForm,
)
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import ProgramAction, shop_of
from stampbook.programs.schemas import MembershipIn, MembershipPatch, MembershipQuery
from stampbook.shops.schemas import (
    ProgramInvitationIn,
)
from stampbook.ui.forms import ActionForm
from stampbook.ui.helpers import (
    Unsaved,
    act,
    attempt,
    given,
    go_back,
    place_errors,
    save,
    validate,
)

bp = PageBlueprint("member_pages", __name__)

# Where the API's refusals of an invitation land in the form.
INVITATION_FIELDS = {"": "email", "user_id": "email"}


MEMBERS_PER_PAGE = 50


def _members_page(
    program: Program,
    *,
    customer_form: CustomerForm | None = None,
    invite_form: ProgramInviteForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    wanted = request.args.get("status", "")
    try:
        query = MembershipQuery.model_validate(
            {
                "status": wanted or None,
                "cursor": request.args.get("cursor") or None,
                "limit": MEMBERS_PER_PAGE,
            }
        )
    except ValidationError:
        query, wanted = MembershipQuery(limit=MEMBERS_PER_PAGE), ""
    found = program_queries.list_memberships(me(), program.id, query)
    actor = me()
    # Adjusting is for the shop's managers: the same answer for every membership of the
    # program, asked of one (already in the identity map: no query).
    sample = db.session.get(Membership, found.items[0].id) if found.items else None
    more = {"status": wanted, "cursor": found.next_cursor} if found.next_cursor else None
    return render_template(
        "programs/team_members.html",
        program=program,
        shop=shop_of(program),
        members=found.items,
        wanted=wanted,
        statuses=MEMBERSHIP_STATUSES,
        status_words=dict(MEMBERSHIP_STATUSES),
        role_words=dict(MEMBERSHIP_ROLES),
        names=accounts_queries.user_names(m.user_id for m in found.items),
        may_adjust=sample is not None and can(actor, LedgerAction.MEMBERSHIP_ADJUST, sample),
        more=more,
        customer_form=customer_form or CustomerForm(),
        invite_form=invite_form or ProgramInviteForm(),
        role_form=MemberRoleForm(),
        adjust_form=AdjustForm(),
        remove_form=ActionForm(),
        problems=problems or [],
        may_merge=can(actor, ProgramAction.PROGRAM_MERGE, program),
    ), status


@bp.route("/programs/<int:program_id>/members/manage", methods=["GET", "POST"])
@route(Access.USER, action=ProgramAction.MEMBERSHIP_MANAGE)
def members(program_id: int) -> Response | tuple[str, int]:
    """The members with their roles and balances; the POST adds an unclaimed customer."""
    program = programs_queries.load_program(me(), program_id, ProgramAction.MEMBERSHIP_MANAGE)
    if request.method == "GET":
        return _members_page(program)
    form = CustomerForm()
    unsaved = Unsaved([])
    if form.validate_on_submit():
        data = given({"email": form.email.data, "external_id": form.external_id.data})
        if not data:
            form.email.errors = [_("Give their email or your customer number.")]
        else:
            saved = save(
                validate(MembershipIn, data, form, {"": "email"}),
                lambda body: programs.add_membership(
                    me(), program_id, **body.model_dump(mode="json")
                ),
                lambda error: place_errors(form, [("email", error.detail)]),
            )
            if not isinstance(saved, Unsaved):
                flash(
                    _(
                        "%(who)s is a member now; their points wait for them.",
                        who=saved.email or saved.external_id,
                    ),
                    "success",
                )
                return redirect(url_for("member_pages.members", program_id=program_id), 303)
            unsaved = saved
    # A customer form that added nobody: 422, or the status of the service's refusal.
    return _members_page(
        program, customer_form=form, problems=unsaved.problems, status=unsaved.status(True)
    )


def _membership_to_manage(membership_id: int) -> tuple[Membership, Program]:
    """404 for a membership the viewer may not see, 403 for a program they may not manage."""
    membership = programs_queries.load_membership(me(), membership_id)
    return membership, programs_queries.load_program(
        me(), membership.program_id, ProgramAction.MEMBERSHIP_MANAGE
    )


@bp.post("/memberships/<int:membership_id>/role")
@route(Access.USER, action=ProgramAction.MEMBERSHIP_MANAGE)
def change_member_role(membership_id: int) -> Response:
    _membership, program = _membership_to_manage(membership_id)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the roles offered."), "danger")
        return go_back(url_for("member_pages.members", program_id=program.id))
    body, _problems = validate(MembershipPatch, {"role_type": form.role_type.data}, form)
    assert body is not None  # the select offers valid roles only
    changes = body.model_dump(mode="json", exclude_unset=True)
    act(
        lambda: programs.update_membership(me(), membership_id, changes),
        lambda changed: _("The member's role is now %(role)s.", role=_role_word(changed.role_type)),
    )
    return go_back(url_for("member_pages.members", program_id=program.id))


def _role_word(role_type: str) -> str:
    return str(dict(MEMBERSHIP_ROLES).get(role_type, role_type))


@bp.post("/memberships/<int:membership_id>/remove")
@route(Access.USER, action=ProgramAction.MEMBERSHIP_LEAVE)
def remove_member(membership_id: int) -> Response:
    """Remove a member (the team), or leave (one's own), as ``DELETE /memberships/{id}``."""
    membership = programs_queries.load_membership(me(), membership_id)
    own = membership.user_id == me().id
    if not own:
        programs_queries.load_program(me(), membership.program_id, ProgramAction.MEMBERSHIP_MANAGE)
    result = act(
        lambda: programs.end_membership(me(), membership_id),
        _("You left the program; your points and history stay.")
        if own
        else _("The member is removed; their points and history stay."),
    )
    if own and not isinstance(result, AppError):
        return redirect(url_for("program_pages.program", program_id=membership.program_id), 303)
    return go_back(url_for("member_pages.members", program_id=membership.program_id))


@bp.post("/programs/<int:program_id>/invitations")
@route(Access.USER, action=ProgramAction.MEMBERSHIP_MANAGE)
def invite_to_program(program_id: int) -> Response | tuple[str, int]:
    """Invite someone into the program, from its members page."""
    program = programs_queries.load_program(me(), program_id, ProgramAction.MEMBERSHIP_MANAGE)
    form = ProgramInviteForm()
    status = 422
    if form.validate_on_submit():
        body, problems = validate(
            ProgramInvitationIn,
            {"email": form.email.data, "role_type": form.role_type.data},
            form,
            INVITATION_FIELDS,
        )
        if body is not None:
            fields = body.model_dump(mode="json", exclude_none=True)
            result = attempt(lambda: programs.invite(me(), program_id, **fields))
            if not isinstance(result, AppError):
                flash(_("%(email)s is invited.", email=body.email), "success")
                return redirect(url_for("member_pages.members", program_id=program_id), 303)
            problems = [result.detail]
            status = result.status
        place_errors(form, [("email", p) for p in problems])
    return _members_page(program, invite_form=form, status=status)
