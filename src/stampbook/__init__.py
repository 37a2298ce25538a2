"""stampbook: a points-and-rewards platform."""

from stampbook.app import create_app

__all__ = ["create_app"]
