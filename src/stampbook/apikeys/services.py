"""Use cases of a shop's API keys: make one (its secret is returned this once, and only its
digest kept) and revoke one (kept, and listed with when). Both check the shop's policy."""

from __future__ import annotations

from datetime import datetime

from stampbook.accounts.models import User
from stampbook.accounts.tokens import digest
from stampbook.apikeys import queries, rules
from stampbook.apikeys.models import ApiKey
from stampbook.apikeys.policy import ApiKeyAction, makes_keys
from stampbook.apikeys.schemas import ApiKeyCreated
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Forbidden


def create_key(
    actor: User, shop_id: int, *, name: str, scopes: list[str], now: datetime | None = None
) -> ApiKeyCreated:
    shop = queries.load_shop(actor, shop_id, ApiKeyAction.API_KEY_CREATE)
    if not makes_keys(actor, shop):
        # An admin outside the team: the key would be refused from its first call.
        raise Forbidden(action=ApiKeyAction.API_KEY_CREATE)
    secret = rules.new_secret()
    key = ApiKey(
        shop_id=shop.id,
        created_by=actor.id,
        name=name,
        scopes=rules.with_implied(scopes),
        secret_hash=digest(secret),
        prefix=rules.visible_part(secret),
        created_at=now or clock.now(),
    )
    db.session.add(key)
    db.session.flush()
    return ApiKeyCreated(**queries.key_out(key).model_dump(), key=secret)


def revoke_key(actor: User, key_id: int, *, now: datetime | None = None) -> ApiKey:
    """Refused from the next request on; revoking a revoked key keeps its first date."""
    key, _shop = queries.load_key(actor, key_id)
    if key.revoked_at is None:
        key.revoked_at = now or clock.now()
        db.session.flush()
    return key
