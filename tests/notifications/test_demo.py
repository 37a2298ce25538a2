"""The demo regular's notifications, on top of the demo café."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.accounts.demo import PEOPLE
from stampbook.accounts.models import User
from stampbook.notifications.demo import add_demo_notifications
from stampbook.notifications.models import Notification
from stampbook.programs.models import Program
from stampbook.shops.demo import SHOP_NAME
from stampbook.shops.models import Shop


def test_the_demo_regular_has_notifications_one_unread(
    app: Flask, app_context: None, session: Session
) -> None:
    domains.load_demo()
    shop = session.scalars(select(Shop).where(Shop.name == SHOP_NAME)).one()
    regular = session.scalars(select(User).where(User.email == PEOPLE[2][0])).one()
    program = session.scalars(
        select(Program.id).where(Program.shop_id == shop.id).order_by(Program.id)
    ).first()
    assert program is not None

    def unread() -> int:
        return (
            session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.user_id == regular.id, Notification.read_at.is_(None)
                )
            )
            or 0
        )

    total = session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == regular.id)
    )
    assert total == 3
    assert unread() == 1
    add_demo_notifications(regular.id, shop.id, program)
    assert unread() == 1  # the second run changes nothing
