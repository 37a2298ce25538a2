"""The tiers' tests use loyalty's store (a café with a point per dollar, through the API)."""

from tests.loyalty.conftest import store  # noqa: F401 (fixture)
