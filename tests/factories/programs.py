"""Programs and memberships for tests."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership, Program
from stampbook.shops.models import Shop

_numbers = itertools.count(1)


def make_program(session: Session, shop: Shop, **fields: Any) -> Program:
    program = Program(
        shop_id=shop.id,
        created_by=fields.pop("created_by", shop.created_by),
        name=fields.pop("name", f"Program {next(_numbers)}"),
        **fields,
    )
    session.add(program)
    session.flush()
    return program


def make_membership(
    session: Session, program: Program, user: User | None, **fields: Any
) -> Membership:
    membership = Membership(program_id=program.id, user_id=user.id if user else None, **fields)
    session.add(membership)
    session.flush()
    return membership
