"""How often a client address may try a password or register.

Each limit is one Flask-Limiter *shared* limit: the API's route and the page's draw from one
count, so nobody gets a limit twice by using both doors. A page's GET only shows its form and
counts nothing; failed attempts alone count where a password is checked.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_limiter import RouteLimit

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
register = limiter.shared_limit(configured("REGISTER_RATE_LIMIT"), scope="register", methods=WRITES)
