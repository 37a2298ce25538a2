"""A shop's API keys for tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.accounts.tokens import digest
from stampbook.apikeys import rules
from stampbook.apikeys.models import ApiKey
from stampbook.core.db import utcnow
from stampbook.shops.models import Shop

_numbers = itertools.count(1)


def make_api_key(
    session: Session,
    shop: Shop,
    maker: User | None = None,
    *,
    scopes: Iterable[str] = ("write",),
    name: str | None = None,
) -> tuple[str, ApiKey]:
    """A live key of ``shop`` made by ``maker`` (its creator by default), and its secret."""
    secret = rules.new_secret()
    key = ApiKey(
        shop_id=shop.id,
        created_by=maker.id if maker is not None else shop.created_by,
        name=name or f"Key {next(_numbers)}",
        scopes=rules.with_implied(scopes),
        secret_hash=digest(secret),
        prefix=rules.visible_part(secret),
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return secret, key


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
