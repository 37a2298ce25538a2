"""Forms of the shop team's pages: the shop itself, its arrangement, the team's roles, the
members of a program, invitations, merges and the receipts' filters.

Like ``forms.py``: they read what a person types, and the API's input models (``ShopIn``,
``RoleIn``, ``AdjustmentIn``...) then check it, so a page and the API accept the same things.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from stampbook.core.schemas import MAX_URL, URL_PATTERN
from stampbook.shops.models import ShopPrivacy, ShopRoleType
from stampbook.shops.policy import ROLE_DEFAULTS, ShopPermission
from stampbook.shops.schemas import MAX_ADDRESS, MAX_SCHEDULES
from stampbook.ui.forms import (
    MAX_POINTS,
    IdentityFields,
    TimeZoneField,
    color_field,
    icon_field,
    options,
    summary_field,
)
from stampbook.ui.schedule_forms import ScheduleList, WindowForm

MAX_POSITION = 1000

SHOP_PRIVACY = [
    (ShopPrivacy.PUBLIC.value, _l("Everyone (public)")),
    (ShopPrivacy.INVITE.value, _l("Invited people and members (invite only)")),
    (ShopPrivacy.PRIVATE.value, _l("The team and members (private)")),
]


def _address_lines(typed: str | None) -> str | None:
    """The address as typed, its line ends (a browser sends CRLF) as one newline each and
    stripped: a line end counts as one character, and spaces alone clear the address."""
    return typed.replace("\r\n", "\n").replace("\r", "\n").strip() if typed else typed


class ShopForm(IdentityFields, FlaskForm):  # type: ignore[misc]
    """Every field of ``ShopIn``/``ShopPatch`` but the ordering, which has its own page
    (``arrange_form``); the opening hours through the schedule form."""

    summary = summary_field(_l("One line shown under the name."))
    color = color_field(render_kw={"placeholder": "#6f4e37", "maxlength": 7})
    icon = icon_field(_l("Optional: an icon name or an emoji, e.g. cup or ☕."))
    address = TextAreaField(
        _l("Address"),
        filters=[_address_lines],
        validators=[Optional(), Length(max=MAX_ADDRESS)],
        description=_l(
            "Optional: the shop's postal address, on as many lines as it takes. It shows on "
            "the shop's page and on the back of its wallet passes."
        ),
        render_kw={"rows": 3},
    )
    image_url = URLField(
        _l("Picture"),
        validators=[Optional(), Length(max=500)],
        description=_l("Optional: the address of a picture, starting with https://."),
    )
    time_zone = TimeZoneField(
        _l("Time zone"),
        refuse=False,  # ShopIn refuses it, beside the other fields' errors
        description=_l(
            "Days and opening hours are read in it. Type to search the list, e.g. Madrid."
        ),
    )
    privacy_mode = SelectField(
        _l("Who sees the shop"), choices=options(SHOP_PRIVACY), default=ShopPrivacy.PUBLIC.value
    )
    review_points = IntegerField(
        _l("Points per review"),
        validators=[Optional(), NumberRange(min=1, max=MAX_POINTS)],
        description=_l(
            "Optional: what a member earns for reviewing an item (once each), in programs "
            "without a review earning rule (a program's rule pays instead)."
        ),
    )
    chat_webhook_url = URLField(
        _l("Chat webhook address"),
        filters=[lambda typed: typed.strip() if typed else typed],
        validators=[
            Optional(),
            Length(max=MAX_URL),
            Regexp(
                URL_PATTERN,
                message=_l("Paste the whole address your chat gave you, starting with https://."),
            ),
        ],
        description=_l(
            "Optional: the incoming-webhook address of your community's chat (Slack, "
            "Discord, Mattermost...), where announcements such as “Ana reached level 3” "
            "are posted. Keep it secret: whoever has it may post there."
        ),
    )
    availability_schedule = ScheduleList(
        WindowForm,
        _l("Opening hours"),
        description=_l("When the shop is open, in its time zone. None: always open."),
        max_entries=MAX_SCHEDULES,
    )


class ArrangeForm(FlaskForm):  # type: ignore[misc]
    """One position field per program and per reward, added by :func:`arrange_form`."""


def arrange_form(
    programs: Iterable[tuple[int, str]], rewards: Iterable[tuple[int, str]], **kwargs: Any
) -> ArrangeForm:
    """A form with ``program_<id>`` and ``reward_<id>`` positions, numbered as shown now."""

    class Arrangement(ArrangeForm):
        pass

    for prefix, items in (("program", programs), ("reward", rewards)):
        for position, (item_id, name) in enumerate(items, start=1):
            setattr(
                Arrangement,
                f"{prefix}_{item_id}",
                IntegerField(
                    name,  # the template says "Place of ...": a name is never markup
                    default=position,
                    validators=[Optional(), NumberRange(min=1, max=MAX_POSITION)],
                ),
            )
    return Arrangement(**kwargs)


# --- The team: roles ------------------------------------------------------------------------

ROLE_TYPES = [
    (ShopRoleType.MANAGER.value, _l("Manager: runs the whole shop")),
    (ShopRoleType.ASSISTANT.value, _l("Assistant: their own programs and rewards, and stamping")),
    (ShopRoleType.VIEWER.value, _l("Viewer: sees the team's views and analytics")),
]
ROLE_NAMES = {
    "creator": _l("Creator"),
    ShopRoleType.MANAGER.value: _l("Manager"),
    ShopRoleType.ASSISTANT.value: _l("Assistant"),
    ShopRoleType.VIEWER.value: _l("Viewer"),
}
PERMISSION_LABELS = {
    ShopPermission.EDIT_SHOP: _l("Edit the shop"),
    ShopPermission.MANAGE_ROLES: _l("Manage the team (managers only)"),
    ShopPermission.CREATE_PROGRAMS: _l("Create programs"),
    ShopPermission.EDIT_PROGRAMS: _l("Edit every program"),
    ShopPermission.CREATE_REWARDS: _l("Create rewards"),
    ShopPermission.EDIT_REWARDS: _l("Edit every reward"),
    ShopPermission.MANAGE_MEMBERS: _l("Manage members and invitations"),
    ShopPermission.STAMP: _l("Stamp members"),
    ShopPermission.CANCEL_REDEMPTIONS: _l("Cancel receipts"),
    ShopPermission.SEE_ANALYTICS: _l("See the analytics"),
}
SAME_AS_ROLE, ALLOWED, NOT_ALLOWED = "", "on", "off"
PERMISSION_CHOICES = [
    (SAME_AS_ROLE, _l("As the role says")),
    (ALLOWED, _l("Allowed")),
    (NOT_ALLOWED, _l("Not allowed")),
]
NO_SCOPE = ""


def permission_field(permission: ShopPermission) -> str:
    return f"perm_{permission.value}"


def role_defaults() -> dict[str, set[str]]:
    """For the table that says what each role may do unless a setting says otherwise."""
    return {kind.value: {p.value for p in ROLE_DEFAULTS[kind]} for kind in ShopRoleType}


class RoleForm(FlaskForm):  # type: ignore[misc]
    """A role's type, scope and permission settings (one select per permission)."""

    role_type = SelectField(
        _l("Role"), choices=options(ROLE_TYPES), default=ShopRoleType.ASSISTANT.value
    )
    scope = SelectField(
        _l("Works on"),
        choices=[],
        default=NO_SCOPE,
        description=_l("Scope an assistant or a viewer to one reward or one task."),
    )

    def permission_fields(self) -> list[Any]:
        return [getattr(self, permission_field(p)) for p in ShopPermission]

    def permission_settings(self) -> dict[str, bool]:
        return {
            p.value: getattr(self, permission_field(p)).data == ALLOWED
            for p in ShopPermission
            if getattr(self, permission_field(p)).data in (ALLOWED, NOT_ALLOWED)
        }

    def show_settings(self, settings: dict[str, Any]) -> None:
        for name, on in settings.items():
            field = getattr(self, f"perm_{name}", None)
            if field is not None:
                field.data = ALLOWED if on else NOT_ALLOWED


for _permission in ShopPermission:
    setattr(
        RoleForm,
        permission_field(_permission),
        SelectField(
            PERMISSION_LABELS[_permission],
            choices=options(PERMISSION_CHOICES),
            default=SAME_AS_ROLE,
        ),
    )


class NewRoleForm(RoleForm):
    person = StringField(
        _l("Person"),
        validators=[DataRequired(), Length(max=254)],
        description=_l(
            "Their email, or the start of their name if they are a member of one of the "
            "shop's programs."
        ),
    )


# --- Members of a program -------------------------------------------------------------------


# --- Invitations ----------------------------------------------------------------------------


# --- Merges ---------------------------------------------------------------------------------


# --- Receipts -------------------------------------------------------------------------------
