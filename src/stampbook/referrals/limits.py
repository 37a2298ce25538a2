"""How often a member may email their referral link: one shared limit drawn from by the
API's route and the page alike, counted per signed-in sender (the service also caps a
day's invitations, ``services.INVITATIONS_PER_DAY``)."""

from __future__ import annotations

from stampbook.accounts.auth import current_user
from stampbook.accounts.limits import WRITES
from stampbook.core.extensions import limiter


def per_user() -> str:
    user = current_user()
    return f"user:{user.id}" if user is not None else "anonymous"


invitations = limiter.shared_limit(
    "10 per hour", scope="referral_invitation", methods=WRITES, key_func=per_user
)
