"""Count the SQL statements a block of code sends, to pin hot endpoints against N+1 queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


class Statements(list[str]):
    @property
    def count(self) -> int:
        # Savepoints are the test harness's, not the endpoint's.
        return sum(
            1
            for s in self
            if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))
        )


@contextmanager
def count_statements(engine: Engine) -> Iterator[Statements]:
    seen = Statements()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
