"""Demo notifications: the café's regular has a few notices in their centre, one unread,
and accepts the café's news (so a team post reaches them, by email too)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.notifications.kinds import KINDS, Channel
from stampbook.notifications.models import MarketingConsent, Notification
from stampbook.notifications.overrides import template_for
from stampbook.notifications.recipients import path
from stampbook.notifications.rendering import render
from stampbook.programs.models import Program
from stampbook.shops.models import Shop


def add_demo_notifications(user_id: int, shop_id: int, program_id: int) -> None:
    """Once: a second call finds the regular's notices and changes nothing."""
    if db.session.scalar(select(Notification.id).where(Notification.user_id == user_id)):
        return
    regular = db.session.get_one(User, user_id)
    shop = db.session.get_one(Shop, shop_id)
    program = db.session.get_one(Program, program_id)
    now = clock.now()
    base = {"user_name": regular.name, "shop_name": shop.name, "program_name": program.name}
    notices = [
        ("points_earned", {"amount": 10, "balance": 10}, now - timedelta(days=2), True),
        ("points_earned", {"amount": 20, "balance": 30}, now - timedelta(days=1), True),
        ("points_earned", {"amount": 10, "balance": 40}, now - timedelta(hours=1), False),
    ]
    for kind, values, at, read in notices:
        context = {**base, **values}
        words = render(template_for(shop.id, kind, Channel.IN_APP, "en"), context)
        db.session.add(
            Notification(
                user_id=regular.id,
                shop_id=shop.id,
                kind=KINDS[kind].name,
                title=words.subject,
                body=words.text,
                link=path("program_pages.program", program_id=program.id),
                created_at=at,
                read_at=at + timedelta(minutes=5) if read else None,
                context=context,
            )
        )
    db.session.add(MarketingConsent(user_id=regular.id, shop_id=shop.id, granted_at=now))
    db.session.flush()


def load(world: DemoWorld) -> None:
    shop_id, program_ids = world.at()
    add_demo_notifications(world.user_ids[2], shop_id, program_ids[0])
