"""A membership's role and status, in words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_WORDS = {
    "manager": _l("Manager"),
    "assistant": _l("Assistant"),
    "stamper": _l("Stamper"),
    "member": _l("Member"),
}
MEMBER_STATUSES = {
    "active": _l("Active"),
    "invited": _l("Invited"),
    "left": _l("Left"),
    "removed": _l("Removed"),
    "archived": _l("Archived"),
}
