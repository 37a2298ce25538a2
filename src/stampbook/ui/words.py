"""Translated words for pages, typed: ``_`` and ``ngettext`` as Flask-Babel's, returning ``str``.

Every sentence is marked for translation whole, with placeholders (never words glued
together), and ``ngettext`` wherever a number decides the form of a word; ``make
translations`` extracts the texts of ``_`` and ``ngettext`` calls.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext as babel_ngettext
from werkzeug.exceptions import default_exceptions

from stampbook.core import wording


def _(text: str, **values: Any) -> str:
    """``gettext``, typed."""
    return str(gettext(text, **values))


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """``ngettext``, typed: the form for ``num``, with ``%(num)s`` filled in."""
    return str(babel_ngettext(singular, plural, num, **values))


# --- An error page's words ------------------------------------------------------------------

# Its heading by status (the API's ``title`` stays as it is: clients may read it).
ERROR_TITLES = {
    400: _l("Bad request"),
    401: _l("Sign in first"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not possible this way"),
    409: _l("Not possible now"),
    413: _l("Too large"),
    415: _l("Unsupported format"),
    422: _l("Something to correct"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("Try again shortly"),
}

# What it says when the error brings no words of its own (Werkzeug's English descriptions).
ERROR_DETAILS = {
    405: _l("This address does not take this kind of request."),
    413: _l("What was sent is too large."),
    429: _l("Too many attempts in a short time; wait a little and try again."),
}

# Flask-WTF's refusals of a form without a valid CSRF token (in English only).
CSRF_REFUSALS = frozenset(
    {
        "The CSRF session token is missing.",
        "The CSRF token has expired.",
        "The CSRF token is invalid.",
        "The CSRF token is missing.",
        "The CSRF tokens do not match.",
        "The referrer does not match the host.",
        "The referrer header is missing.",
    }
)


def error_title(status: int, title: str) -> str:
    """An error page's heading in the reader's language."""
    return str(ERROR_TITLES.get(status, title))


def error_detail(status: int, code: str, detail: str) -> str:
    """An error page's words: the error's own (translated by ``core.wording``), or, for
    Werkzeug's English descriptions, the code's wording or the status's words."""
    if detail in CSRF_REFUSALS:
        return _(
            "This form has expired or was not sent from this site: reload the page and send "
            "it again."
        )
    if status == 429:  # Flask-Limiter's description is the limit ("5 per 1 minute")
        return str(ERROR_DETAILS[429])
    werkzeug = default_exceptions.get(status)
    if werkzeug is None or detail != werkzeug.description:
        return detail
    if code in wording.MESSAGES:
        return wording.text(code)
    return str(ERROR_DETAILS.get(status, ERROR_TITLES.get(status, detail)))
