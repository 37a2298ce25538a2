"""What a user may put in order on their own pages (``User.order_settings``): their shops and
their programs' tasks, in the order they chose."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from stampbook.accounts.models import User
from stampbook.accounts.policy import shops_of
from stampbook.core.db import db
from stampbook.people import rules
from stampbook.people.policy import seen_tasks, team_shops
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task


@dataclass(frozen=True)
class OrderedPrograms:
    program_id: int
    name: str
    tasks: list[tuple[int, str]]  # in the user's order


@dataclass(frozen=True)
class OrderChoices:
    """What a user may order on their own pages (``order_settings``), in their order now."""

    shops: list[tuple[int, str]]
    programs: list[OrderedPrograms]


def order_choices(user: User) -> OrderChoices:
    """The user's shops (member, team or creator) and the tasks of their programs (active
    member, or in the shop's team), each in the order the user chose, then by name. Two
    queries."""
    settings = user.order_settings or {}
    shop_order = rules.positions(i for i in settings.get("shop_ids", []) if isinstance(i, int))
    program_tasks = settings.get("program_task_ids", {})
    task_order = rules.task_positions(program_tasks if isinstance(program_tasks, dict) else {})
    mine = shops_of(user.id).subquery()
    shops = db.session.execute(
        select(Shop.id, Shop.name).where(Shop.id.in_(select(mine.c[0]))).order_by(Shop.name)
    ).all()
    member_of = select(Membership.program_id).where(
        Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE
    )
    rows = db.session.execute(
        select(Program.id, Program.name, Task.id, Task.name)
        .outerjoin(Task, and_(Task.program_id == Program.id, seen_tasks(user)))
        .where(
            Program.archived_at.is_(None),
            or_(Program.id.in_(member_of), Program.shop_id.in_(team_shops(user))),
        )
        .order_by(Program.name, Program.id, Task.name, Task.id)
    ).all()
    programs: dict[int, OrderedPrograms] = {}
    for program_id, program_name, task_id, task_name in rows:
        entry = programs.setdefault(program_id, OrderedPrograms(program_id, program_name, []))
        if task_id is not None:
            entry.tasks.append((task_id, task_name))
    last = len(task_order)
    for entry in programs.values():
        entry.tasks.sort(key=lambda t: task_order.get(t[0], last))
    return OrderChoices(
        shops=sorted(
            ((int(i), str(name)) for i, name in shops),
            key=lambda s: shop_order.get(s[0], len(shop_order)),
        ),
        programs=list(programs.values()),
    )
