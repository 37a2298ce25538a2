"""Search keys that ignore accents and case, the same on SQLite and PostgreSQL.

``fold("Café Luna") == "cafe luna"``: Unicode NFKD, combining marks dropped, case folded.
The keys are computed here in Python (never by the database's ``lower()``, which on SQLite
folds ASCII only), stored beside the text they stand for, and a query folds what is typed the
same way.

A name in plain ASCII needs no stored key: its key is its lower case, which both databases
compute alike. :func:`search_key` is therefore None for it, and readers take
``coalesce(key, lower(text))``; so rows written by plain SQL (fixtures, the bench's bulk
inserts) are still found by ASCII names.
"""

from __future__ import annotations

import unicodedata

#: The widest key stored (the memberships' ``search_name`` column).
MAX_KEY = 254


def fold(text: str) -> str:
    """``text`` without accents and in case-folded form: what search compares."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))[:MAX_KEY]


def search_key(text: str | None) -> str | None:
    """The key stored for ``text``: None where lower case is enough (plain ASCII)."""
    if text is None or text.isascii():
        return None
    return fold(text)
