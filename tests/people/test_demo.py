"""The demo people, on top of the demo café."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.accounts.demo import PEOPLE
from stampbook.accounts.models import User
from stampbook.ledger.queries import find_discrepancies
from stampbook.people.demo import add_demo_people
from stampbook.people.models import Buddy, BuddyRequest, Message, Post, ReviewAward
from stampbook.programs.models import Program
from stampbook.shops.demo import SHOP_NAME
from stampbook.shops.models import Shop


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_demo_people(app: Flask, app_context: None, session: Session) -> None:
    domains.load_demo()
    shop = session.scalars(select(Shop).where(Shop.name == SHOP_NAME)).one()
    users = [session.scalars(select(User).where(User.email == e)).one().id for e, _ in PEOPLE]
    programs = list(
        session.scalars(select(Program.id).where(Program.shop_id == shop.id).order_by(Program.id))
    )
    add_demo_people(users, shop.id, programs)
    assert count(session, Buddy) == 1
    assert count(session, BuddyRequest) == 2
    assert count(session, Message) == 3
    assert count(session, Post) >= 2
    assert count(session, ReviewAward) == 1
    assert find_discrepancies() == []
    add_demo_people(users, shop.id, programs)
    assert count(session, Message) == 3  # the second run changes nothing
