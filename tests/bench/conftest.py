from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import fresh_postgres_database


@pytest.fixture
def bench_database() -> Iterator[str]:
    """A database of its own, loaded as the bench loads its data (outside any savepoint)."""
    with fresh_postgres_database("stampbook_bench") as url:
        yield url
