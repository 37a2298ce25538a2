"""The shop team's management pages: the team's roles, a program's members (roles, balances,
unclaimed customers, points adjustments), invitations (sent and received) and merges.

Each page checks what the matching API route checks, with the same services: an object the
viewer may not see answers 404, one they see but may not change 403; a refusal of the
service itself (a conflict, an escalation) is shown in words next to the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.accounts.models import User
from stampbook.accounts.services import find_by_email
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.home import queries as pages
from stampbook.ledger.schemas import AdjustmentIn
from stampbook.ledger.services import adjust
from stampbook.programs import queries as program_queries
from stampbook.programs import services as programs
from stampbook.programs.forms import MEMBERSHIP_STATUSES
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import shop_of
from stampbook.programs.schemas import MembershipIn, MembershipPatch, MembershipQuery
from stampbook.shops import queries, services
from stampbook.shops.forms import (
    INVITATION_STATUSES,
    MEMBERSHIP_ROLES,
    NO_SCOPE,
    PERMISSION_LABELS,
    ROLE_NAMES,
    AdjustForm,
    ChooseForm,
    CustomerForm,
    InviteForm,
    MemberRoleForm,
    MergeForm,
    NewRoleForm,
    ProgramInviteForm,
    RoleForm,
    role_defaults,
)
from stampbook.shops.models import Role, Shop
from stampbook.shops.schemas import (
    InvitationIn,
    InvitationQuery,
    MemberSearchQuery,
    ProgramInvitationIn,
    RoleIn,
    RolePatch,
)
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    act,
    attempt,
    given,
    place_errors,
    safe_next,
    save,
    validate,
)

bp = PageBlueprint("team_pages", __name__)

TEAM_SIZE = 200
MEMBERS_PER_PAGE = 50
INVITATIONS_PER_PAGE = 50
NAME_MATCHES = 10

# A service's refusals, said in words a person reads (and in their language), by stable code.
REFUSALS = {
    "escalation": _l("You may not grant more than you may do yourself."),
    "is_creator": _l("The creator leads the team already."),
    "already_in_team": _l("They are in the team already: change their role instead."),
    "already_invited": _l("They are invited already."),
    "already_member": _l("They are a member already."),
    "not_invite_only": _l(
        "Only an invite-only shop takes invitations: make it invite only first, or invite "
        "them into a program."
    ),
    "creator": _l("The shop's creator's membership is theirs alone."),
    "customer_is_member": _l("An unclaimed customer can only be a member."),
    "personal_program": _l("A personal program has no other members."),
    "archived": _l("This program is archived: it can be read, not changed."),
    "same_shop": _l("A shop cannot merge into itself."),
    "same_program": _l("A program cannot merge into itself."),
    "different_shops": _l("Only programs of one shop merge."),
}


def say(error: AppError) -> str:
    """A refusal in words: ours for the codes we know, the service's own otherwise."""
    if error.code == "own_role":
        return str(_("Your own role is given and changed by someone else."))
    found = REFUSALS.get(error.code)
    return str(found) if found is not None else error.detail


# --- The team: roles ------------------------------------------------------------------------


def _scope_choices(shop_id: int) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The scope select's options, and the words for each scope value."""
    items = queries.shop_items(shop_id)
    pairs = [(NO_SCOPE, _("The whole shop"))]
    pairs += [(f"reward:{i}", _("Reward: %(name)s", name=name)) for i, name in items.rewards]
    pairs += [
        (f"task:{i}", _("Task: %(name)s (%(program)s)", name=name, program=program))
        for i, name, program in items.tasks
    ]
    return pairs, dict(pairs)


def _scope_of(role: Role) -> str:
    if role.reward_id is not None:
        return f"reward:{role.reward_id}"
    if role.task_id is not None:
        return f"task:{role.task_id}"
    return NO_SCOPE


def _role_data(form: RoleForm) -> dict[str, Any]:
    kind, _sep, number = (form.scope.data or "").partition(":")
    return {
        "role_type": form.role_type.data,
        "permission_settings": form.permission_settings(),
        "reward_id": int(number) if kind == "reward" else None,
        "task_id": int(number) if kind == "task" else None,
    }


# Where each schema field and each refusal lands on the role form.
ROLE_FIELDS = {"": "scope", "reward_id": "scope", "task_id": "scope", "user_id": "person"}
ROLE_REFUSAL_FIELDS = {
    "escalation": "role_type",
    "own_role": "person",
    "is_creator": "person",
    "already_in_team": "person",
    "invalid_scope": "scope",
    "not_found": "scope",
}


def _place_refusal(form: RoleForm, error: AppError) -> list[str]:
    target = ROLE_REFUSAL_FIELDS.get(error.code, "")
    if target == "scope" and error.code == "not_found" and "user" in error.detail:
        target = "person"
    return place_errors(form, [(target, say(error))], fallback="role_type")


def _find_person(shop: Shop, text: str) -> tuple[int | None, str | None]:
    """A user by email, or by the start of their name among the shop's members."""
    text = text.strip()
    if "@" in text:
        user = find_by_email(text)
        if user is None or user.is_deleted:
            return None, _("No account has this email: ask them to sign up first.")
        return user.id, None
    found = attempt(
        lambda: queries.search_members(
            me(), shop.id, MemberSearchQuery(q=text[:100], limit=NAME_MATCHES)
        )
    )
    matches = [] if isinstance(found, AppError) else found.items
    people = {m.user_id: m for m in matches if m.user_id is not None}
    exact = [uid for uid, m in people.items() if (m.name or "").lower() == text.lower()]
    if len(exact) == 1:
        return exact[0], None
    if len(people) == 1:
        return next(iter(people)), None
    if not people:
        return None, _(
            "Nobody in this shop's programs has a name starting with “%(text)s”: type their email.",
            text=text,
        )
    listed = ", ".join(f"{m.name} ({m.email})" for m in people.values())
    return None, _(
        "Several people match: %(people)s. Type the email of the one you mean.", people=listed
    )


def _team_page(
    shop: Shop, form: NewRoleForm, scopes: dict[str, str], problems: list[str], status: int
) -> tuple[str, int]:
    roles = queries.list_roles(me(), shop.id, PageQuery(limit=TEAM_SIZE)).items
    return render_template(
        "team/team.html",
        shop=shop,
        roles=roles,
        names=pages.user_names([shop.created_by, *(r.user_id for r in roles)]),
        scopes=scopes,
        may_do={
            r.id: ", ".join(
                str(label) for p, label in PERMISSION_LABELS.items() if p in r.permissions
            )
            for r in roles
        },
        form=form,
        problems=problems,
        defaults=role_defaults(),
        permission_labels=PERMISSION_LABELS,
        role_names=ROLE_NAMES,
        remove_form=ActionForm(),
    ), status


@bp.route("/shops/<int:shop_id>/team", methods=["GET", "POST"])
@route(Access.USER, action="role.manage")
def team(shop_id: int) -> Response | tuple[str, int]:
    shop = services.load_shop(me(), shop_id, "role.manage")
    form = NewRoleForm()
    choices, scopes = _scope_choices(shop_id)
    form.scope.choices = options(choices)
    unsaved = Unsaved([])
    if form.validate_on_submit():
        user_id, not_found = _find_person(shop, form.person.data or "")
        if user_id is None:
            form.person.errors = [not_found or ""]
        else:
            saved = save(
                validate(RoleIn, {"user_id": user_id, **_role_data(form)}, form, ROLE_FIELDS),
                lambda body: services.create_role(me(), shop_id, **body.model_dump(mode="json")),
                lambda error: _place_refusal(form, error),
            )
            if not isinstance(saved, Unsaved):
                name = pages.user_names([user_id]).get(user_id, "")
                flash(_("%(name)s joined the team.", name=name), "success")
                return redirect(url_for("team_pages.team", shop_id=shop_id), 303)
            unsaved = saved
    return _team_page(shop, form, scopes, unsaved.problems, unsaved.status(bool(form.errors)))


@bp.route("/roles/<int:role_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action="role.manage")
def edit_role(role_id: int) -> Response | tuple[str, int]:
    role, shop = queries.managed_role(me(), role_id)
    form = RoleForm(data={"role_type": role.role_type, "scope": _scope_of(role)})
    form.scope.choices = options(_scope_choices(shop.id)[0])
    unsaved = Unsaved([])
    if request.method == "GET":
        form.show_settings(role.permission_settings)
    elif form.validate_on_submit():
        saved = save(
            validate(RolePatch, _role_data(form), form, ROLE_FIELDS),
            lambda body: services.update_role(
                me(), role_id, body.model_dump(mode="json", exclude_unset=True)
            ),
            lambda error: _place_refusal(form, error),
        )
        if not isinstance(saved, Unsaved):
            flash(_("The role is saved."), "success")
            return redirect(url_for("team_pages.team", shop_id=shop.id), 303)
        unsaved = saved
    return render_template(
        "team/role.html",
        shop=shop,
        role=role,
        name=pages.user_names([role.user_id]).get(role.user_id, ""),
        form=form,
        problems=unsaved.problems,
        defaults=role_defaults(),
        permission_labels=PERMISSION_LABELS,
        role_names=ROLE_NAMES,
    ), unsaved.status(bool(form.errors))


@bp.post("/roles/<int:role_id>/delete")
@route(Access.USER, action="role.manage")
def remove_role(role_id: int) -> Response:
    """Remove someone from the team, or leave it oneself (as ``DELETE /roles/{id}``)."""
    role, shop = queries.removable_role(me(), role_id)
    own = role.user_id == me().id
    name = pages.user_names([role.user_id]).get(role.user_id, "")
    result = act(
        lambda: services.delete_role(me(), role_id),
        _("You left the team of %(shop)s.", shop=shop.name)
        if own
        else _("%(name)s is no longer in the team.", name=name),
        refused=say,
    )
    if own and not isinstance(result, AppError):
        return redirect(url_for("shop_pages.shop", shop_id=shop.id), 303)
    return redirect(url_for("team_pages.team", shop_id=shop.id), 303)


# --- Members of a program -------------------------------------------------------------------


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
        "team/members.html",
        program=program,
        shop=shop_of(program),
        members=found.items,
        wanted=wanted,
        statuses=MEMBERSHIP_STATUSES,
        status_words=dict(MEMBERSHIP_STATUSES),
        role_words=dict(MEMBERSHIP_ROLES),
        names=pages.user_names(m.user_id for m in found.items),
        may_adjust=sample is not None and can(actor, "membership.adjust", sample),
        more=more,
        customer_form=customer_form or CustomerForm(),
        invite_form=invite_form or ProgramInviteForm(),
        role_form=MemberRoleForm(),
        adjust_form=AdjustForm(),
        remove_form=ActionForm(),
        problems=problems or [],
        may_merge=can(actor, "program.merge", program),
    ), status


@bp.route("/programs/<int:program_id>/members/manage", methods=["GET", "POST"])
@route(Access.USER, action="membership.manage")
def members(program_id: int) -> Response | tuple[str, int]:
    """The members with their roles and balances; the POST adds an unclaimed customer."""
    program = programs.load_program(me(), program_id, "membership.manage")
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
                lambda error: place_errors(form, [("email", say(error))]),
            )
            if not isinstance(saved, Unsaved):
                flash(
                    _(
                        "%(who)s is a member now; their points wait for them.",
                        who=saved.email or saved.external_id,
                    ),
                    "success",
                )
                return redirect(url_for("team_pages.members", program_id=program_id), 303)
            unsaved = saved
    # A customer form that added nobody: 422, or the status of the service's refusal.
    return _members_page(
        program, customer_form=form, problems=unsaved.problems, status=unsaved.status(True)
    )


def _membership_to_manage(membership_id: int) -> tuple[Membership, Program]:
    """404 for a membership the viewer may not see, 403 for a program they may not manage."""
    membership = programs.load_membership(me(), membership_id)
    return membership, programs.load_program(me(), membership.program_id, "membership.manage")


def _back_to_members(program_id: int) -> Response:
    return redirect(safe_next(url_for("team_pages.members", program_id=program_id)), 303)


@bp.post("/memberships/<int:membership_id>/role")
@route(Access.USER, action="membership.manage")
def change_member_role(membership_id: int) -> Response:
    _membership, program = _membership_to_manage(membership_id)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the roles offered."), "danger")
        return _back_to_members(program.id)
    body, _problems = validate(MembershipPatch, {"role_type": form.role_type.data}, form)
    assert body is not None  # the select offers valid roles only
    changes = body.model_dump(mode="json", exclude_unset=True)
    act(
        lambda: programs.update_membership(me(), membership_id, changes),
        lambda changed: _("The member's role is now %(role)s.", role=_role_word(changed.role_type)),
        refused=say,
    )
    return _back_to_members(program.id)


def _role_word(role_type: str) -> str:
    return str(dict(MEMBERSHIP_ROLES).get(role_type, role_type))


@bp.post("/memberships/<int:membership_id>/remove")
@route(Access.USER, action="membership.leave")
def remove_member(membership_id: int) -> Response:
    """Remove a member (the team), or leave (one's own), as ``DELETE /memberships/{id}``."""
    membership = programs.load_membership(me(), membership_id)
    own = membership.user_id == me().id
    if not own:
        programs.load_program(me(), membership.program_id, "membership.manage")
    result = act(
        lambda: programs.end_membership(me(), membership_id),
        _("You left the program; your points and history stay.")
        if own
        else _("The member is removed; their points and history stay."),
        refused=say,
    )
    if own and not isinstance(result, AppError):
        return redirect(url_for("program_pages.program", program_id=membership.program_id), 303)
    return _back_to_members(membership.program_id)


@bp.post("/memberships/<int:membership_id>/adjust")
@route(Access.USER, action="membership.adjust", idempotent=True)
def adjust_points(membership_id: int) -> Response:
    """Add or remove points by hand with the reason (shop managers), as
    ``POST /memberships/{id}/adjustments``; the form's idempotency key (the guard's) makes a
    resend harmless."""
    membership = programs.load_membership(me(), membership_id, "membership.adjust")
    form = AdjustForm()
    if not form.validate_on_submit():
        flash(_("Say how many points (not zero) and why."), "danger")
        return _back_to_members(membership.program_id)
    body, _problems = validate(
        AdjustmentIn, {"amount": form.amount.data, "note": form.note.data}, form
    )
    if body is None:
        flash(_("Say how many points (not zero) and why."), "danger")
        return _back_to_members(membership.program_id)

    result = attempt(lambda: adjust(me(), membership_id, amount=body.amount, note=body.note))
    if isinstance(result, AppError):
        flash(say(result), "danger")
    else:
        flash(
            _(
                "%(amount)s points recorded: the balance is %(balance)s.",
                amount=f"{result.amount:+d}",
                balance=result.balance_after,
            ),
            "success",
        )
    return _back_to_members(membership.program_id)


# --- Invitations ----------------------------------------------------------------------------

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
        "team/invitations.html",
        shop=shop,
        invitations=found.items,
        names=pages.user_names(i.user_id for i in found.items),
        wanted=wanted,
        statuses=INVITATION_STATUSES,
        status_words=dict(INVITATION_STATUSES),
        role_words=dict(MEMBERSHIP_ROLES),
        more=more,
        form=form,
        revoke_form=ActionForm(),
    ), status


@bp.route("/shops/<int:shop_id>/invitations", methods=["GET", "POST"])
@route(Access.USER, action="shop.invite")
def shop_invitations(shop_id: int) -> Response | tuple[str, int]:
    """The shop's invitations (its own and its programs'), and the form to send one."""
    shop = services.load_shop(me(), shop_id, "shop.invite")
    form = InviteForm()
    form.target.choices = options(_invite_targets(shop))
    if request.method == "GET":
        return _invitations_page(shop, form)
    status = 422
    if form.validate_on_submit():
        result, problems = _send_invitation(shop_id, form)
        if result is not None and not isinstance(result, AppError):
            flash(_("%(email)s is invited.", email=form.email.data), "success")
            return redirect(url_for("team_pages.shop_invitations", shop_id=shop_id), 303)
        if isinstance(result, AppError):
            problems, status = [say(result)], result.status
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


@bp.post("/programs/<int:program_id>/invitations")
@route(Access.USER, action="membership.manage")
def invite_to_program(program_id: int) -> Response | tuple[str, int]:
    """Invite someone into the program, from its members page."""
    program = programs.load_program(me(), program_id, "membership.manage")
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
                return redirect(url_for("team_pages.members", program_id=program_id), 303)
            problems = [say(result)]
            status = result.status
        place_errors(form, [("email", p) for p in problems])
    return _members_page(program, invite_form=form, status=status)


@bp.post("/invitations/<int:invitation_id>/revoke")
@route(Access.USER, action="invitation.revoke")
def revoke_invitation(invitation_id: int) -> Response:
    invitation = queries.load_invitation(me(), invitation_id, "invitation.revoke")
    act(
        lambda: services.revoke_invitation(me(), invitation_id),
        _("The invitation is withdrawn."),
        refused=say,
    )
    back = url_for("team_pages.shop_invitations", shop_id=invitation.shop_id)
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
        "team/my_invitations.html",
        pending=pending,
        answered=answered,
        senders=pages.user_names(i.created_by for i in pending),
        status_words=dict(INVITATION_STATUSES),
        role_words=dict(MEMBERSHIP_ROLES),
        form=ActionForm(),
    ), 200


def _answer(invitation_id: int, call: Callable[[User, int], Any], *, accepted: bool) -> Response:
    queries.load_invitation(me(), invitation_id, "invitation.respond")
    result = act(
        lambda: call(me(), invitation_id),
        _("Welcome: you accepted the invitation.")
        if accepted
        else _("You declined the invitation."),
        refused=say,
    )
    if isinstance(result, AppError) or not accepted:
        return redirect(url_for("team_pages.my_invitations"), 303)
    target = (
        url_for("program_pages.program", program_id=result.program_id)
        if result.program_id
        else url_for("shop_pages.shop", shop_id=result.shop_id)
    )
    return redirect(target, 303)


@bp.post("/invitations/<int:invitation_id>/accept")
@route(Access.USER, action="invitation.respond")
def accept_invitation(invitation_id: int) -> Response:
    return _answer(invitation_id, services.accept_invitation, accepted=True)


@bp.post("/invitations/<int:invitation_id>/decline")
@route(Access.USER, action="invitation.respond")
def decline_invitation(invitation_id: int) -> Response:
    return _answer(invitation_id, services.decline_invitation, accepted=False)


# --- Merges ---------------------------------------------------------------------------------


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
        chooser.source.errors = [say(found)]
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
    return not isinstance(act(lambda: merge(source_id), said, refused=say), AppError)


@bp.route("/shops/<int:shop_id>/merge", methods=["GET", "POST"])
@route(Access.USER, action="shop.merge", idempotent=True)
def merge_shop(shop_id: int) -> Response | tuple[str, int]:
    """Choose a shop of one's own, read what will move, then merge it into this one."""
    shop = services.load_shop(me(), shop_id, "shop.merge")
    if request.method == "POST":
        merged = _merged(
            lambda source_id: services.merge_shops(me(), target_id=shop_id, source_id=source_id),
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
            return redirect(url_for("team_pages.merge_shop", shop_id=shop_id), 303)
        return redirect(url_for("shop_pages.shop", shop_id=shop_id), 303)
    chooser = ChooseForm(request.args)
    chosen, preview = _preview(
        chooser,
        dict(queries.mergeable_shops(me(), shop_id)),
        lambda source_id: queries.merge_preview(me(), target_id=shop_id, source_id=source_id),
    )
    return render_template(
        "team/merge_shop.html",
        shop=shop,
        chooser=chooser,
        preview=preview,
        form=MergeForm(data={"source": chosen}),
    ), 422 if chooser.errors else 200


@bp.route("/programs/<int:program_id>/merge", methods=["GET", "POST"])
@route(Access.USER, action="program.merge", idempotent=True)
def merge_program(program_id: int) -> Response | tuple[str, int]:
    """Choose another program of the shop, read what will move, then merge it into this one."""
    program = programs.load_program(me(), program_id, "program.merge")
    if request.method == "POST":
        merged = _merged(
            lambda source_id: programs.merge_programs(
                me(), target_id=program_id, source_id=source_id
            ),
            lambda result: _(
                "Merged. Memberships moved: %(moved)s; people in both: %(merged)s, who received "
                "%(points)s points; tasks moved: %(tasks)s.",
                moved=result.moved_memberships,
                merged=result.merged_memberships,
                points=result.points_moved,
                tasks=result.moved_tasks,
            ),
            _("Choose the program to merge in."),
        )
        if not merged:
            return redirect(url_for("team_pages.merge_program", program_id=program_id), 303)
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
        "team/merge_program.html",
        program=program,
        shop=shop_of(program),
        chooser=chooser,
        preview=preview,
        form=MergeForm(data={"source": chosen}),
    ), 422 if chooser.errors else 200
