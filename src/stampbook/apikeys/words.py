"""API keys in words: what a key may do, said at display time in the viewer's language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l

from stampbook.apikeys.models import ApiKeyScope

# The page's choice, by the scope asked for (``write`` implies ``read``).
ACCESS_WORDS: dict[str, Any] = {
    ApiKeyScope.READ: _l("Read only"),
    ApiKeyScope.WRITE: _l("Read and write"),
}


def access_of(scopes: Iterable[str]) -> Any:
    """What a key with ``scopes`` may do, in words."""
    held = set(scopes)
    return ACCESS_WORDS[ApiKeyScope.WRITE if ApiKeyScope.WRITE in held else ApiKeyScope.READ]
