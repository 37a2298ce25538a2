"""The API keys domain's part of the authorization suites (tests/reliability/authz_*.py): a
key of the world's shop made by its creator, and the bodies that make one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stampbook.shops.models import Shop
from tests.factories.apikeys import make_api_key

KEY = {"key_id": "api_key"}
NEW_KEY = {"name": "Online store", "scopes": ["read"]}
NEW_KEY_FORM = {"name": "Online store", "access": "read"}


def api_key_objects(session: Session, shop: Shop) -> dict[str, Any]:
    """The creator's key of the world's shop (see ``build_world``)."""
    _secret, key = make_api_key(session, shop)
    return {"api_key": key.id}
