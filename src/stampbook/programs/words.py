"""A membership's role and status, and a program's points, in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from babel import Locale
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from stampbook.core.i18n import DEFAULT_LANGUAGE
from stampbook.ui.words import ngettext

ROLE_WORDS = {
    "manager": _l("Manager"),
    "assistant": _l("Assistant"),
    "stamper": _l("Stamper"),
    "member": _l("Member"),
}
MEMBER_STATUSES = {
    "active": _l("Active"),
    "invited": _l("Invited"),
    "left": _l("Left"),
    "removed": _l("Removed"),
    "archived": _l("Archived"),
}


# --- A program's points, counted in its own words -------------------------------------------


class PointsNamed(Protocol):
    """Whatever holds a program's names for its points: the program, a row of a list that
    read them with it, a notification's values (:class:`PointsNames`)."""

    @property
    def points_currency_singular(self) -> str | None: ...

    @property
    def points_currency_plural(self) -> str | None: ...


@dataclass(frozen=True)
class PointsNames:
    """A program's names for its points where no program is at hand; empty: the default."""

    points_currency_singular: str | None = None
    points_currency_plural: str | None = None

    @classmethod
    def of(cls, named: PointsNamed | None) -> PointsNames:
        if named is None:
            return DEFAULT_NAMES
        return cls(named.points_currency_singular, named.points_currency_plural)

    @classmethod
    def common(cls, programs: Iterable[PointsNamed]) -> PointsNames:
        """The names several programs share (a shop's rewards are paid from any of them),
        else the default: a shop whose programs all count stars says its rewards cost stars."""
        found = {cls.of(program) for program in programs}
        return found.pop() if len(found) == 1 else DEFAULT_NAMES

    def values(self) -> dict[str, str]:
        """As a message's values (plain strings: ``notifications.rendering``'s ``points``)."""
        return {
            "points_name": self.points_currency_singular or "",
            "points_name_plural": self.points_currency_plural or "",
        }

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> PointsNames:
        return cls(
            str(values.get("points_name") or "") or None,
            str(values.get("points_name_plural") or "") or None,
        )


DEFAULT_NAMES = PointsNames()


def points(num: int, named: PointsNamed | None = None, language: str | None = None) -> str:
    """``num`` points of a program in the reader's language (``language``, else the
    request's): its own names as the merchant typed them, singular or plural by the
    language's plural rules ("1 star", "5 stars"; "0 estrellas"), else the translated
    default ("1 point", "5 puntos"). Also the ``points`` filter and global of the pages:
    ``{{ m.balance | points(program) }}``."""
    if language is not None:
        with force_locale(language):
            return points(num, named)
    singular = named.points_currency_singular if named is not None else None
    plural = named.points_currency_plural if named is not None else None
    if not singular or not plural:
        return ngettext("%(num)s point", "%(num)s points", num)
    locale = get_locale() or Locale.parse(DEFAULT_LANGUAGE)
    return f"{num} {singular if locale.plural_form(abs(num)) == 'one' else plural}"
