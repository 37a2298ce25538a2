"""Translated words for pages, typed: ``_`` and ``ngettext`` as Flask-Babel's, returning ``str``.

Every sentence is marked for translation whole, with placeholders (never words glued
together), and ``ngettext`` wherever a number decides the form of a word; ``make
translations`` extracts the texts of ``_`` and ``ngettext`` calls.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import ngettext as babel_ngettext


def _(text: str, **values: Any) -> str:
    """``gettext``, typed."""
    return str(gettext(text, **values))


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """``ngettext``, typed: the form for ``num``, with ``%(num)s`` filled in."""
    return str(babel_ngettext(singular, plural, num, **values))
