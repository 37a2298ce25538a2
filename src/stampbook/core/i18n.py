"""Languages and time zones of the pages (Flask-Babel).

The language is the one the visitor chose with the switcher (a cookie), else the best match
of the browser's ``Accept-Language``, else English. Times are shown in the signed-in user's
own zone (UTC for visitors).
"""

from __future__ import annotations

from flask import g, request

from stampbook.core.zones import zone

# The languages with a catalogue in ``translations/``, in the switcher's order.
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "stampbook_lang"


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def select_timezone() -> str | None:
    user = g.get("user")
    return zone(user.time_zone).key if user is not None and user.time_zone else None
