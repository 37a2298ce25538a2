"""Reads that the pages need, each in one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from stampbook.db import db
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops.models import Shop


@dataclass(frozen=True)
class MembershipLine:
    membership_id: int
    shop_name: str
    program_name: str
    balance: int


def my_memberships(user_id: int) -> list[MembershipLine]:
    rows = db.session.execute(
        select(Membership.id, Shop.name, Program.name, Membership.balance)
        .join(Program, Program.id == Membership.program_id)
        .join(Shop, Shop.id == Program.shop_id)
        .where(Membership.user_id == user_id, Membership.status == MembershipStatus.ACTIVE)
        .order_by(Shop.name, Program.name)
    ).all()
    return [MembershipLine(*row) for row in rows]
