"""Flask extensions, created unbound and ``init_app``-ed by the app factory."""

from __future__ import annotations

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

limiter = Limiter(key_func=get_remote_address)
csrf = CSRFProtect()
bootstrap = Bootstrap5()
babel = Babel()


def failed(response: object) -> bool:
    """Count only refused attempts against a login limit."""
    return int(getattr(response, "status_code", 200)) >= 400
