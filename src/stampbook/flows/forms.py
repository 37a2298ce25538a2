"""The forms of invitations and merges."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    SelectField,
)
from wtforms.validators import DataRequired, Length, Regexp

from stampbook.programs.forms import MEMBERSHIP_ROLES
from stampbook.programs.models import MembershipRole
from stampbook.ui.forms import (
    options,
)


class InviteForm(FlaskForm):  # type: ignore[misc]
    """Invite someone, by email, into the shop or into one of its programs."""

    target = SelectField(_l("Invite into"), choices=[])
    email = EmailField(
        _l("Their email"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("They find the invitation in their invitations once signed in."),
    )
    role_type = SelectField(
        _l("Role in the program"),
        choices=options(MEMBERSHIP_ROLES),
        default=MembershipRole.MEMBER.value,
        description=_l("For a program only."),
    )


INVITATION_STATUSES = [
    ("pending", _l("Pending")),
    ("accepted", _l("Accepted")),
    ("declined", _l("Declined")),
    ("revoked", _l("Withdrawn")),
]


class ChooseForm(FlaskForm):  # type: ignore[misc]
    """A GET form choosing what to merge: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    source = SelectField(_l("Merge this one in"), coerce=int, choices=[])


class MergeForm(FlaskForm):  # type: ignore[misc]
    """The confirmation: the source merged in, and the CSRF token."""

    source = HiddenField(validators=[DataRequired(), Regexp(r"^[1-9][0-9]{0,18}$")])
