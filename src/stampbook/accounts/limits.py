"""How often a client address may try a password or register.

Each limit is one Flask-Limiter *shared* limit: the API's route and the page's draw from one
count, so nobody gets a limit twice by using both doors. A page's GET only shows its form and
counts nothing; failed attempts alone count where a password is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_limiter import RouteLimit
from werkzeug.datastructures import MultiDict

from stampbook.accounts.queries import normalise_email
from stampbook.core import json_body
from stampbook.core.extensions import failed, limiter

WRITES = ["POST", "PUT", "PATCH", "DELETE"]


def configured(name: str) -> Callable[[], str]:
    """The limit set in the app's configuration (README lists the settings)."""
    return lambda: str(current_app.config[name])


def _password_check(scope: str) -> RouteLimit:
    return limiter.shared_limit(
        configured("LOGIN_RATE_LIMIT"), scope=scope, methods=WRITES, deduct_when=failed
    )


login = _password_check("login")
change_password = _password_check("change_password")
change_email = _password_check("change_email")
delete_account = _password_check("delete_account")
use_reset_link = _password_check("use_reset_link")
use_confirmation_link = _password_check("use_confirmation_link")
register = limiter.shared_limit(configured("REGISTER_RATE_LIMIT"), scope="register", methods=WRITES)


def _asked_address() -> str:
    """The address a password reset is asked for (the API's body or the page's form), as
    accounts store it: each address has its own count, whoever asks and whether or not it
    has an account, so the limit says nothing about which addresses exist."""
    body: Any = request.form
    if request.is_json:
        try:
            body = json_body.loads(request.get_data(cache=True))
        except ValueError:  # refused by the route itself (malformed, too deep): no address
            body = None
    email = body.get("email") if isinstance(body, dict | MultiDict) else None
    return "reset:" + normalise_email(email if isinstance(email, str) else "")


# A reset request sends an email: limited per client and, apart, per address asked about.
password_reset = limiter.shared_limit(
    configured("PASSWORD_RESET_RATE_LIMIT"), scope="password_reset", methods=WRITES
)
password_reset_address = limiter.shared_limit(
    configured("PASSWORD_RESET_RATE_LIMIT"),
    scope="password_reset_address",
    methods=WRITES,
    key_func=_asked_address,
)

# Sending a confirmation link again: an email each, per client.
email_confirmation = limiter.shared_limit(
    configured("EMAIL_CONFIRMATION_RATE_LIMIT"), scope="email_confirmation", methods=WRITES
)
