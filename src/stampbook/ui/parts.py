"""Parts of a page that a later domain adds to an earlier domain's page, without the earlier
one importing it: the program's page (``programs``) shows the VIP tiers of ``tiers``, which
sits above it.

A domain registers a maker under a stable name (once, when its pages module is imported:
the app imports every domain's pages); the page asks for its parts, each a template to
include and the values it reads. A maker costs the page its statements: keep it to one, and
answer None when there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Part:
    template: str  # included by the page, with ``part`` (this) in its context
    values: dict[str, Any] = field(default_factory=dict)


# (actor, program, the actor's membership or None) -> a part, or None
ProgramPart = Callable[[Any, Any, Any], Part | None]

_PROGRAM_PARTS: dict[str, ProgramPart] = {}


def program_part(name: str) -> Callable[[ProgramPart], ProgramPart]:
    """Register a maker of a part of the program's page under ``name``."""

    def register(maker: ProgramPart) -> ProgramPart:
        _PROGRAM_PARTS[name] = maker
        return maker

    return register


def program_parts(actor: Any, program: Any, membership: Any) -> list[Part]:
    """The parts the registered domains add to a program's page, in registration order."""
    made = (maker(actor, program, membership) for maker in _PROGRAM_PARTS.values())
    return [part for part in made if part is not None]
