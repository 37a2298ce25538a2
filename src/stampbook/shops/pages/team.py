"""The shop team's management pages: the team's roles, a program's members (roles, balances,
unclaimed customers, points adjustments), invitations (sent and received) and merges.

Each page checks what the matching API route checks, with the same services: an object the
viewer may not see answers 404, one they see but may not change 403; a refusal of the
service itself (a conflict, an escalation) is shown in words next to the field it is about.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import me
from stampbook.accounts.queries import find_by_email
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.shops import queries, services
from stampbook.shops import queries as shops_queries
from stampbook.shops.forms import (
    NO_SCOPE,
    PERMISSION_LABELS,
    ROLE_NAMES,
    NewRoleForm,
    RoleForm,
    role_defaults,
)
from stampbook.shops.models import Role, Shop
from stampbook.shops.policy import ShopAction
from stampbook.shops.schemas import (
    MemberSearchQuery,
    RoleIn,
    RolePatch,
)
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    Unsaved,
    act,
    attempt,
    place_errors,
    save,
    validate,
)

bp = PageBlueprint("team_pages", __name__)

TEAM_SIZE = 200
NAME_MATCHES = 10


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
    if target == "scope" and error.code == "not_found" and error.params.get("thing") == "user":
        target = "person"
    return place_errors(form, [(target, error.detail)], fallback="role_type")


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
        "shops/team.html",
        shop=shop,
        roles=roles,
        names=accounts_queries.user_names([shop.created_by, *(r.user_id for r in roles)]),
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
@route(Access.USER, action=ShopAction.ROLE_MANAGE)
def team(shop_id: int) -> Response | tuple[str, int]:
    shop = shops_queries.load_shop(me(), shop_id, ShopAction.ROLE_MANAGE)
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
                name = accounts_queries.user_names([user_id]).get(user_id, "")
                flash(_("%(name)s joined the team.", name=name), "success")
                return redirect(url_for("team_pages.team", shop_id=shop_id), 303)
            unsaved = saved
    return _team_page(shop, form, scopes, unsaved.problems, unsaved.status(bool(form.errors)))


@bp.route("/roles/<int:role_id>/edit", methods=["GET", "POST"])
@route(Access.USER, action=ShopAction.ROLE_MANAGE)
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
        "shops/role.html",
        shop=shop,
        role=role,
        name=accounts_queries.user_names([role.user_id]).get(role.user_id, ""),
        form=form,
        problems=unsaved.problems,
        defaults=role_defaults(),
        permission_labels=PERMISSION_LABELS,
        role_names=ROLE_NAMES,
    ), unsaved.status(bool(form.errors))


@bp.post("/roles/<int:role_id>/delete")
@route(Access.USER, action=ShopAction.ROLE_MANAGE)
def remove_role(role_id: int) -> Response:
    """Remove someone from the team, or leave it oneself (as ``DELETE /roles/{id}``)."""
    role, shop = queries.removable_role(me(), role_id)
    own = role.user_id == me().id
    name = accounts_queries.user_names([role.user_id]).get(role.user_id, "")
    result = act(
        lambda: services.delete_role(me(), role_id),
        _("You left the team of %(shop)s.", shop=shop.name)
        if own
        else _("%(name)s is no longer in the team.", name=name),
    )
    if own and not isinstance(result, AppError):
        return redirect(url_for("shop_pages.shop", shop_id=shop.id), 303)
    return redirect(url_for("team_pages.team", shop_id=shop.id), 303)


# --- Members of a program -------------------------------------------------------------------


# --- Invitations ----------------------------------------------------------------------------


# --- Merges ---------------------------------------------------------------------------------
