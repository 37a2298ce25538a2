"""Fixtures shared with the shop tests."""

from tests.shops.conftest import discrepancies, in_app

__all__ = ["discrepancies", "in_app"]
