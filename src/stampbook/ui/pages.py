"""What every page may use: the language switcher in each page's footer, and the template
filters and globals that the domains' templates share."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from stampbook.core.i18n import LANGUAGE_COOKIE, LANGUAGES
from stampbook.core.idempotency import form_key_field
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.ui import words
from stampbook.ui.helpers import local_time, safe_next
from stampbook.ui.icons import icon_glyph

bp = PageBlueprint("ui", __name__)
bp.add_app_template_filter(local_time, "local_time")
bp.add_app_template_filter(icon_glyph, "icon")
# A global, not a context variable: macros imported without context use it too.
bp.add_app_template_global(form_key_field, "form_key_field")
bp.add_app_template_global(words.error_title, "error_title")
bp.add_app_template_global(words.error_detail, "error_detail")


@bp.app_context_processor
def _shared() -> dict[str, Any]:
    return {"languages": LANGUAGES, "get_locale": get_locale}


LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


@bp.post("/language")
@route(Access.PUBLIC)
def choose_language() -> Response:
    """The switcher in every page's footer: remember the choice, go back where one was."""
    response = redirect(safe_next(url_for("pages.home")), 303)
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        user = g.get("user")
        if user is not None:
            user.language = chosen  # emails and notifications to them follow the choice
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response
