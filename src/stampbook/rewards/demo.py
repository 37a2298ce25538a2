"""Demo rewards for a demo shop: one of each kind the reward rules support."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.rewards.services import create_reward

DEMO_REWARDS: list[dict[str, Any]] = [
    {
        "name": "Slice of cake",
        "summary": "Ten a day, while they last.",
        "icon": "cake",
        "color": "#c0392b",
        "cost": 40,
        "quantity": 10,
        "schedule_settings": {
            "quantity_renewal": [
                {"schedule": {"times": ["08:00"]}, "renewal_quantity": 10, "cap": 10}
            ],
        },
    },
    {
        "name": "Free coffee",
        "summary": "One a week per member.",
        "icon": "cup",
        "color": "#6f4e37",
        "cost": 50,
        "user_limit": 1,
        "schedule_settings": {
            "limit_reset": [{"schedule": {"days_of_week": [0]}, "limit_type": "user"}],
        },
    },
    {
        "name": "Team breakfast",
        "summary": "Pool your points: breakfast for everyone who chipped in.",
        "icon": "people",
        "color": "#27ae60",
        "cost": 300,
        "is_group_reward": True,
    },
    {
        "name": "Coffee for a friend",
        "summary": "Redeem it as a gift for someone else.",
        "icon": "gift",
        "color": "#8e44ad",
        "cost": 60,
        "is_giftable": True,
    },
]


def add_demo_rewards(shop_id: int, owner_id: int) -> None:
    """Create the demo rewards in ``shop_id`` as its owner (who must be on its team)."""
    owner = db.session.get(User, owner_id)
    for fields in DEMO_REWARDS:
        create_reward(owner, shop_id=shop_id, fields=fields)


def load(world: DemoWorld) -> None:
    add_demo_rewards(world.at()[0], world.owner_id)
