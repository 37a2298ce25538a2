"""Deleting a shop or an account: each domain ends its own part, and no point is lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from stampbook.accounts import services as accounts
from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.people import services as people
from stampbook.programs import services as programs
from stampbook.programs.models import Program
from stampbook.shops import queries as shops_queries
from stampbook.shops import services as shops
from stampbook.shops.policy import ShopAction


def delete_shop(actor: User, shop_id: int, *, now: datetime | None = None) -> None:
    """Soft-delete (creator only): programs archived, memberships archived, nothing lost."""
    now = now or utcnow()
    shop = shops_queries.load_shop(actor, shop_id, ShopAction.SHOP_DELETE)
    programs.archive_programs(
        db.session.scalars(select(Program.id).where(Program.shop_id == shop.id)), now
    )
    shops.close_shop(shop, now)


def delete_account(user: User) -> None:
    """Anonymise the user and end their memberships (status ``left``): the memberships, their
    balances and ledger entries stay, so every point is accounted for. Friendships, pending
    buddy requests and blocks go; messages and posts stay under the anonymised name."""
    accounts.anonymise(user)
    programs.end_memberships(user.id)
    people.forget_user(user.id, now=user.deleted_at)
