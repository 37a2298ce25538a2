"""Reading request bodies as JSON with a nesting limit.

Python's decoder recurses once per level, so a body of a few thousand nested arrays (well under
the size limit) exhausts the stack and would answer 500. No body this API takes nests beyond a
handful of levels: a body nested deeper than ``MAX_DEPTH`` is refused as a client error
(``core.schemas`` reads every body through ``loads``, and so does the idempotency
fingerprint). The depth is measured after decoding by a walk without recursion, and a decoder
that runs out of stack first is read as the same refusal.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class NestedTooDeep(ValueError):
    """A body nested deeper than MAX_DEPTH (a ValueError, as Flask expects from a decoder)."""


def depth(value: Any) -> int:
    """How many arrays and objects nest in ``value`` at the deepest point (0 for a scalar)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        pending.extend((child, level) for child in children)
    return deepest


def loads(data: str | bytes, **options: Any) -> Any:
    """``json.loads`` that raises NestedTooDeep for a body nested deeper than MAX_DEPTH."""
    try:
        value = json.loads(data, **options)
    except RecursionError:
        raise NestedTooDeep() from None
    if depth(value) > MAX_DEPTH:
        raise NestedTooDeep()
    return value
