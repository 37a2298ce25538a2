"""Icons drawn as pictures: a shop's, program's, task's or reward's ``icon`` is a name
("cup", as the demo data and the API's examples give it) or a picture typed in (an emoji).

:func:`icon_glyph` gives the emoji a name stands for, the typed-in picture as it is, and
nothing for a word it does not know, so that a page never shows an icon's name next to the
thing it adorns ("cup Corner Café"). Emoji need no font or file from elsewhere.
"""

from __future__ import annotations

ICONS: dict[str, str] = {
    "apple": "🍎",
    "bag": "🛍️",
    "bike": "🚲",
    "book": "📖",
    "bread": "🍞",
    "cake": "🍰",
    "calendar": "📅",
    "camera": "📷",
    "car": "🚗",
    "cart": "🛒",
    "check": "✅",
    "clock": "🕒",
    "coffee": "☕",
    "cookie": "🍪",
    "cup": "☕",
    "dumbbell": "🏋️",
    "fire": "🔥",
    "flower": "🌸",
    "gift": "🎁",
    "heart": "❤️",
    "home": "🏠",
    "ice-cream": "🍦",
    "leaf": "🍃",
    "medal": "🏅",
    "music": "🎵",
    "people": "👥",
    "pizza": "🍕",
    "recycle": "♻️",
    "run": "🏃",
    "scissors": "✂️",
    "shop": "🏪",
    "star": "⭐",
    "tea": "🍵",
    "ticket": "🎟️",
    "trophy": "🏆",
    "wine": "🍷",
}


def icon_glyph(name: str | None) -> str:
    """The picture for an icon's name ("cup" gives "☕"); a typed-in picture (no letters
    in it) as it is; "" for nothing, or for a word this list does not know."""
    if not name:
        return ""
    text = name.strip()
    known = ICONS.get(text.lower())
    if known is not None:
        return known
    if any(character.isascii() and character.isalnum() for character in text):
        return ""
    return text
