"""How often one account may ask for buddies, write messages and publish posts: one
Flask-Limiter shared limit each, drawn from by the API's route and the pages' alike, and
counted per signed-in sender whatever address they come from."""

from __future__ import annotations

from flask_limiter import RouteLimit

from stampbook.accounts.auth import current_user
from stampbook.accounts.limits import WRITES, configured
from stampbook.core.extensions import limiter


def per_user() -> str:
    user = current_user()
    return f"user:{user.id}" if user is not None else "anonymous"


def _per_sender(setting: str, scope: str) -> RouteLimit:
    return limiter.shared_limit(configured(setting), scope=scope, methods=WRITES, key_func=per_user)


buddy_request = _per_sender("BUDDY_REQUEST_RATE_LIMIT", "buddy_request")
message = _per_sender("MESSAGE_RATE_LIMIT", "message")
post = _per_sender("POST_RATE_LIMIT", "post")
