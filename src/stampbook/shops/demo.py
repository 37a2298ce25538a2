"""The demo's café, with the barista on its team."""

from __future__ import annotations

from sqlalchemy import select

from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.shops.models import Role, Shop, ShopRoleType

SHOP_NAME = "Corner Café"


def load(world: DemoWorld) -> None:
    """Make the café once; finding it means the demo was loaded."""
    if db.session.scalar(select(Shop.id).where(Shop.name == SHOP_NAME)) is not None:
        world.already_loaded = True
        return
    owner_id, barista_id, _regular_id = world.user_ids
    shop = Shop(
        name=SHOP_NAME,
        created_by=owner_id,
        summary="Coffee, cake and a stamp card.",
        address="Calle de la Esquina 12\n28004 Madrid\nSpain",
        color="#6f4e37",
        icon="cup",
        time_zone="Europe/Madrid",
    )
    db.session.add(shop)
    db.session.flush()
    db.session.add(
        Role(
            shop_id=shop.id,
            user_id=barista_id,
            created_by=owner_id,
            role_type=ShopRoleType.ASSISTANT,
        )
    )
    world.shop_id = shop.id
