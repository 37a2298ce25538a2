"""The one answer to "in which time zone?": of a shop, a member or a viewer.

Names come from the database (validated when written), but a zone can vanish from a newer
tz database; an unknown name falls through to the next preference, and UTC is the last.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = ZoneInfo("UTC")


@lru_cache(maxsize=1024)
def _known(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone(*preferences: str | None) -> ZoneInfo:
    """The first of ``preferences`` that names a known IANA zone; UTC when none does.

    ``zone(user.time_zone, shop.time_zone)``: the member's own zone, else their shop's.
    """
    for name in preferences:
        if name and (found := _known(name)) is not None:
            return found
    return UTC
