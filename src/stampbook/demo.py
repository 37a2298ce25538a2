"""Demo data for ``make run``: a café with two programs, tasks, rewards and three people.

Idempotent: the second run finds the café and changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from stampbook.accounts import services as accounts
from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.ledger import services as ledger
from stampbook.ledger.models import EntryKind
from stampbook.people.demo import add_demo_people
from stampbook.programs.models import (
    Membership,
    MembershipMode,
    MembershipRole,
    Program,
    StampSystem,
)
from stampbook.rewards.demo import add_demo_rewards
from stampbook.shops.models import Role, Shop, ShopRoleType
from stampbook.tasks.demo import add_demo_tasks

PASSWORD = "stampbook-demo"
PEOPLE = [
    ("ada@example.com", "Ada (café owner)"),
    ("grace@example.com", "Grace (barista)"),
    ("linus@example.com", "Linus (regular)"),
]
SHOP_NAME = "Corner Café"


def accounts_list() -> list[tuple[str, str]]:
    return [(email, PASSWORD) for email, _ in PEOPLE]


def load() -> list[tuple[str, str]]:
    """Create the demo data unless it exists; return the demo accounts either way."""
    if db.session.scalar(select(Shop.id).where(Shop.name == SHOP_NAME)) is not None:
        return accounts_list()
    owner, barista, regular = (
        accounts.find_by_email(email)
        or accounts.register(email=email, name=name, password=PASSWORD)
        for email, name in PEOPLE
    )
    shop = Shop(
        name=SHOP_NAME,
        created_by=owner.id,
        summary="Coffee, cake and a stamp card.",
        color="#6f4e37",
        icon="cup",
        time_zone="Europe/Madrid",
    )
    db.session.add(shop)
    db.session.flush()
    db.session.add(
        Role(
            shop_id=shop.id,
            user_id=barista.id,
            created_by=owner.id,
            role_type=ShopRoleType.ASSISTANT,
        )
    )
    card = Program(
        shop_id=shop.id,
        created_by=owner.id,
        name="Coffee card",
        summary="A stamp for every coffee.",
        stamp_system_type=StampSystem.STAMPERS,
        membership_mode=MembershipMode.PUBLIC,
    )
    club = Program(
        shop_id=shop.id,
        created_by=owner.id,
        name="Book club",
        summary="Read, discuss, earn.",
        stamp_system_type=StampSystem.SELF,
        membership_mode=MembershipMode.INVITE,
    )
    db.session.add_all([card, club])
    db.session.flush()
    _join(card, barista, MembershipRole.STAMPER)
    regular_card = _join(card, regular, MembershipRole.MEMBER)
    regular_club = _join(club, regular, MembershipRole.MEMBER)
    ledger.post(
        membership_id=regular_card.id,
        amount=120,
        kind=EntryKind.ADJUSTMENT,
        actor_id=owner.id,
        note="Welcome gift",
    )
    ledger.post(
        membership_id=regular_club.id,
        amount=40,
        kind=EntryKind.ADJUSTMENT,
        actor_id=owner.id,
        note="Founding member",
    )
    add_demo_tasks([card.id, club.id], owner.id)
    add_demo_rewards(shop.id, owner.id)
    add_demo_people([owner.id, barista.id, regular.id], shop.id, [card.id, club.id])
    return accounts_list()


def _join(program: Program, user: User, role: MembershipRole) -> Membership:
    membership = Membership(program_id=program.id, user_id=user.id, role_type=role)
    db.session.add(membership)
    db.session.flush()
    return membership
