"""Forms of the referral pages: the team's settings and a member's invitations by email.
The API's own models (``ReferralSettingsIn``, ``InvitationsIn``) check what is typed."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from stampbook.referrals.words import CAP_PERIOD, COMPLETES
from stampbook.ui.forms import MAX_POINTS, options

# Escalation as typed: "3:200, 5:500" (from the 3rd referral on 200 points, from the 5th 500).
_STEP = re.compile(r"^\s*(-?\d{1,6})\s*:\s*(\d{1,7})\s*$")


class SettingsForm(FlaskForm):  # type: ignore[misc]
    enabled = BooleanField(_l("Referrals are on"))
    completes = SelectField(_l("A referral completes"), choices=options(COMPLETES.items()))
    minimum_amount = StringField(
        _l("Minimum first order"),
        validators=[Optional(), Length(max=20)],
        description=_l("In the program's currency, e.g. 20.00 (on first purchase only)."),
    )
    advocate_points = IntegerField(
        _l("Points for the advocate"), validators=[Optional(), NumberRange(0, MAX_POINTS)]
    )
    friend_points = IntegerField(
        _l("Points for the friend"), validators=[Optional(), NumberRange(0, MAX_POINTS)]
    )
    escalation = StringField(
        _l("Escalation"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "From the advocate's Nth referral on, other points: write N:points, separated "
            "by commas (3:200, 5:500)."
        ),
    )
    expiry_days = IntegerField(
        _l("Days a pending referral waits"), validators=[Optional(), NumberRange(1, 365)]
    )
    cap_count = IntegerField(
        _l("Most referrals per advocate"), validators=[Optional(), NumberRange(1, 10_000)]
    )
    cap_period = SelectField(_l("Per"), choices=options(CAP_PERIOD.items()))
    email_sharing = BooleanField(_l("Members may email their link"))


def steps(text: str | None) -> list[dict[str, Any]] | None:
    """The escalation typed, as the API's steps; None when it cannot be read."""
    out = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _STEP.match(part)
        if match is None:
            return None
        out.append({"from_count": int(match[1]), "points": int(match[2])})
    return out


class ShareForm(FlaskForm):  # type: ignore[misc]
    emails = TextAreaField(
        _l("Friends' email addresses"),
        validators=[Length(max=1300)],
        description=_l("Up to 5, separated by commas or on their own lines."),
    )


def addresses(text: str | None) -> list[str]:
    return [a.strip() for a in re.split(r"[,\s;]+", text or "") if a.strip()]
