"""Shops, roles, invitations and a whole team for tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership, Program
from stampbook.shops.models import Role, Shop, ShopInvitation
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program

_numbers = itertools.count(1)


def make_shop(session: Session, creator: User, **fields: Any) -> Shop:
    shop = Shop(name=fields.pop("name", f"Shop {next(_numbers)}"), created_by=creator.id, **fields)
    session.add(shop)
    session.flush()
    return shop


def make_role(session: Session, shop: Shop, user: User, role_type: str, **fields: Any) -> Role:
    role = Role(
        shop_id=shop.id, user_id=user.id, role_type=role_type, created_by=shop.created_by, **fields
    )
    session.add(role)
    session.flush()
    return role


def make_invitation(
    session: Session,
    shop: Shop,
    *,
    user: User | None = None,
    email: str | None = None,
    program: Program | None = None,
    **fields: Any,
) -> ShopInvitation:
    """A pending invitation into ``shop`` (or into ``program``), sent by the shop's creator."""
    invitation = ShopInvitation(
        shop_id=shop.id,
        program_id=program.id if program else None,
        user_id=user.id if user else None,
        email=email,
        created_by=fields.pop("created_by", shop.created_by),
        **fields,
    )
    session.add(invitation)
    session.flush()
    return invitation


@dataclass
class Team:
    """A shop with one program and someone in every part: the permission matrix's cast."""

    shop: Shop
    program: Program
    creator: User
    manager: User  # shop role manager
    assistant: User  # shop role assistant
    viewer: User  # shop role viewer
    stamper: User  # program membership, role stamper
    member: User  # program membership, role member
    outsider: User
    roles: dict[str, Role]
    memberships: dict[str, Membership]

    def actor(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


ACTORS = ("creator", "manager", "assistant", "viewer", "stamper", "member", "outsider", "anonymous")


def make_team(
    session: Session,
    *,
    shop_fields: dict[str, Any] | None = None,
    program_fields: dict[str, Any] | None = None,
) -> Team:
    creator = make_user(session)
    shop = make_shop(session, creator, **(shop_fields or {}))
    program = make_program(session, shop, **(program_fields or {}))
    people = {name: make_user(session) for name in ACTORS[1:-1]}
    roles = {
        name: make_role(session, shop, people[name], name)
        for name in ("manager", "assistant", "viewer")
    }
    memberships = {
        name: make_membership(session, program, people[name], role_type=name)
        for name in ("stamper", "member")
    }
    return Team(shop, program, creator, **people, roles=roles, memberships=memberships)
