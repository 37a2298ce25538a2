"""Task pages: the task page with stamping and revoking (``task``), and the team's task forms
and members' own settings of a task (``settings``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

MEMBER_CHOICES = 200  # the members a page offers to choose from, at most


def member_label(membership: Any, names: Mapping[int, str]) -> str:
    """How a page names a membership: its owner's name (``names``), email, external id or id."""
    return (
        names.get(membership.id)
        or membership.email
        or membership.external_id
        or _("Member %(id)s", id=membership.id)
    )
