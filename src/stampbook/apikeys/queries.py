"""Reads of API keys: loaders that check the caller may manage them, lists, and the lookup
that authenticates a key (``accounts.auth``)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select

from stampbook.accounts.models import User
from stampbook.accounts.tokens import digest
from stampbook.apikeys import rules
from stampbook.apikeys.models import ApiKey
from stampbook.apikeys.policy import ApiKeyAction, makes_keys
from stampbook.apikeys.schemas import ApiKeyOut, ApiKeyPage
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.pagination import PageQuery, newest_first
from stampbook.core.policy import require
from stampbook.shops.models import Role, Shop
from stampbook.shops.policy import remember_role


def load_shop(actor: User | None, shop_id: int, action: str = ApiKeyAction.API_KEY_MANAGE) -> Shop:
    """The shop whose keys ``actor`` may ``action`` (404 or 403 otherwise)."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(thing="shop")
    require(actor, action, shop)
    return shop


def load_key(actor: User | None, key_id: int) -> tuple[ApiKey, Shop]:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(thing="api_key")
    return key, load_shop(actor, key.shop_id)


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(key)


def list_keys(actor: User | None, shop_id: int, page: PageQuery) -> ApiKeyPage:
    """The shop's keys, newest first, revoked ones too; never a secret (none is kept)."""
    load_shop(actor, shop_id)
    query = select(ApiKey).where(ApiKey.shop_id == shop_id)
    items, cursor = newest_first(query, ApiKey.id, page)
    return ApiKeyPage(items=[key_out(k) for k in items], next_cursor=cursor)


# Built once: every request with a key runs it (see ``stampbook.core.db.with_parents``). The
# key with its maker, its shop and its maker's role there: what deciding whether it still
# works needs, in one statement, which also seeds the permission checks that follow.
_BY_SECRET = (
    select(ApiKey, User, Shop, Role)
    .join(User, User.id == ApiKey.created_by)
    .join(Shop, Shop.id == ApiKey.shop_id)
    .outerjoin(Role, and_(Role.shop_id == ApiKey.shop_id, Role.user_id == ApiKey.created_by))
    .where(ApiKey.secret_hash == bindparam("secret_hash"))
)


def find_live(secret: str) -> tuple[ApiKey, User] | None:
    """The key ``secret`` is, with its maker, if it still works: not revoked, its shop not
    deleted, its maker not deleted and still its shop's creator or a manager. None otherwise,
    whichever the reason (the caller hears one refusal)."""
    if not rules.looks_like_key(secret):
        return None
    row = db.session.execute(_BY_SECRET, {"secret_hash": digest(secret)}).first()
    if row is None:
        return None
    key, maker, shop, role = row
    remember_role(maker.id, shop.id, role)
    if key.is_revoked or maker.is_deleted or shop.is_deleted or not makes_keys(maker, shop):
        return None
    return key, maker
