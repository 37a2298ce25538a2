"""Work a clock made due, found by a read: it is done in a write transaction of its own, then
the read runs again.

Some state changes with time alone (held points released, points expiring: ``ledger.maturing``).
A job sweeps it, but a reader must never see what the clock has already changed: a read that
finds such work due calls :func:`settle`. Inside a write (or outside the unit of work, as in
tests and jobs) the domain's refresher runs at once; inside a read-only transaction it cannot
write, so :class:`Due` unwinds to ``unit_of_work.run``, which runs the refresher in a short
write transaction and then the read again.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Sequence

# Set by the unit of work while a read-only transaction runs.
reading: contextvars.ContextVar[bool] = contextvars.ContextVar("reading", default=False)

_REFRESHERS: dict[str, Callable[[Sequence[int]], None]] = {}


class Due(Exception):
    """Raised by a read that found work due on ``ids`` of ``kind``."""

    def __init__(self, kind: str, ids: Sequence[int]) -> None:
        super().__init__(kind, ids)
        self.kind, self.ids = kind, ids


def register(kind: str, refresher: Callable[[Sequence[int]], None]) -> None:
    """``refresher(ids)`` does the work due on those objects (in the caller's transaction)."""
    _REFRESHERS[kind] = refresher


def settle(kind: str, ids: Iterable[int]) -> None:
    """Have the work due on ``ids`` done before going on."""
    pending = sorted(set(ids))
    if not pending:
        return
    if reading.get():
        raise Due(kind, pending)
    refresh(kind, pending)


def refresh(kind: str, ids: Sequence[int]) -> None:
    _REFRESHERS[kind](ids)
