"""The member's own pages: home, password; and what every template may use."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from stampbook.accounts.auth import current_user
from stampbook.core.i18n import LANGUAGE_COOKIE, LANGUAGES
from stampbook.core.idempotency import form_key_field
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.ledger import queries as ledger_queries
from stampbook.programs import queries as programs_queries
from stampbook.rewards import queries as rewards_queries
from stampbook.shops import queries as shops_queries
from stampbook.tasks import words
from stampbook.ui.helpers import local_time, safe_next

bp = PageBlueprint("pages", __name__)
bp.add_app_template_filter(local_time, "local_time")
bp.add_app_template_filter(words.task_rules, "task_rules")
# A global, not a context variable: macros imported without context use it too.
bp.add_app_template_global(form_key_field, "form_key_field")


@bp.app_context_processor
def _shared() -> dict[str, Any]:
    return {
        "status_words": STATUS_WORDS,
        "kind_words": KIND_WORDS,
        "languages": LANGUAGES,
        "get_locale": get_locale,
    }


STATUS_WORDS = {
    "redeemable": _l("Redeemable"),
    "too_expensive": _l("Not enough points"),
    "unavailable": _l("Not available now"),
    "expired": _l("Expired"),
    "out_of_stock": _l("Out of stock"),
}

# What moved points, in a word (``LedgerEntry.kind``).
KIND_WORDS = {
    "stamp": _l("stamp"),
    "bonus": _l("bonus"),
    "purchase": _l("purchase"),
    "signup": _l("sign-up"),
    "birthday": _l("birthday"),
    "review": _l("review"),
    "referral": _l("referral"),
    "campaign": _l("campaign"),
    "redemption": _l("redemption"),
    "contribution": _l("contribution"),
    "refund": _l("refund"),
    "reversal": _l("reversal"),
    "adjustment": _l("adjustment"),
    "expiry": _l("expiry"),
    "transfer": _l("transfer"),
    "merge": _l("merge"),
}


@bp.get("/")
@route(Access.PUBLIC)
def home() -> str:
    user = current_user()
    if user is None:
        return render_template("home/home.html")
    return render_template(
        "home/home.html",
        memberships=programs_queries.membership_lines(user.id),
        favourites=rewards_queries.favourite_rewards(user.id),
        starred_shop=shops_queries.shop_name(user.starred_shop_id),
        activity=ledger_queries.recent_activity(user.id),
    )


LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


@bp.post("/language")
@route(Access.PUBLIC)
def choose_language() -> Response:
    """The switcher in every page's footer: remember the choice, go back where one was."""
    response = redirect(safe_next(url_for("pages.home")), 303)
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response
