"""The wallets in words: the pass's labels (said per language in its ``pass.strings``) and
the names of the two wallets' buttons, in the wording each platform gives."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from stampbook.core.i18n import LANGUAGES

LABELS = {
    "points": _l("points"),
    "balance": _l("Balance"),
    "stamps": _l("Stamps"),
    "next_reward": _l("Next reward"),
    "address": _l("Address"),
    "hours": _l("Opening hours"),
    "about": _l("About"),
    "card_code": _l("Card code"),
}


def labels_by_language() -> dict[str, dict[str, str]]:
    """``{language: {label key: words}}`` for every language the app speaks."""
    said = {}
    for language in LANGUAGES:
        with force_locale(language):
            said[language] = {key: str(text) for key, text in LABELS.items()}
    return said
