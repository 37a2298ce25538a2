"""Fixtures shared with the shop tests."""

from tests.loyalty.fake_shopify_admin import fake_store
from tests.shops.conftest import discrepancies, in_app

__all__ = ["discrepancies", "fake_store", "in_app"]
