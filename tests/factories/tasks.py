"""Tasks and stamps for tests, and a small world of a shop, a program and its people."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership, MembershipRole, Program
from stampbook.schedules.periods import local_date
from stampbook.shops.models import Shop
from stampbook.tasks.models import Stamp, Task
from stampbook.tasks.rules import TaskSettings
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop

_numbers = itertools.count(1)
DETAILS = ("name", "summary", "description", "color", "icon", "privacy_mode")


def make_task(session: Session, program: Program, **fields: Any) -> Task:
    """A task; option fields are validated as the API would (``TaskSettings``)."""
    task = Task(
        program_id=program.id,
        created_by=fields.pop("created_by", program.created_by),
        name=fields.pop("name", f"Task {next(_numbers)}"),
    )
    for name in DETAILS:
        if name in fields:
            setattr(task, name, fields.pop(name))
    fields.setdefault("point_value", 10)
    task.apply_settings(TaskSettings.model_validate(fields))
    session.add(task)
    session.flush()
    return task


def make_stamp(
    session: Session,
    task: Task,
    membership: Membership,
    *,
    at: datetime | None = None,
    quantity: int = 1,
    time_zone: str = "UTC",
    **fields: Any,
) -> Stamp:
    """A bare stamp row, without ledger entries (for histories and stats)."""
    at = at or datetime.now(UTC)
    stamp = Stamp(
        task_id=task.id,
        membership_id=membership.id,
        quantity=quantity,
        local_date=local_date(at, ZoneInfo(time_zone)),
        time_zone=time_zone,
        created_at=at,
        **fields,
    )
    session.add(stamp)
    session.flush()
    return stamp


@dataclass
class World:
    """A shop with a program, its team and two members."""

    owner: User  # the shop's creator
    shop: Shop
    program: Program
    manager: User  # a program manager (membership role)
    assistant: User  # a program assistant
    stamper: User  # a program stamper
    member: User
    other: User  # a second member
    outsider: User
    manager_membership: Membership
    assistant_membership: Membership
    stamper_membership: Membership
    membership: Membership  # the member's
    other_membership: Membership


def make_world(
    session: Session,
    *,
    stamp_system_type: str = "self",
    time_zone: str = "UTC",
    member_time_zone: str = "UTC",
    **program_fields: Any,
) -> World:
    owner = make_user(session)
    shop = make_shop(session, owner, time_zone=time_zone)
    program = make_program(session, shop, stamp_system_type=stamp_system_type, **program_fields)
    manager, assistant, stamper = make_user(session), make_user(session), make_user(session)
    member = make_user(session, time_zone=member_time_zone)
    other, outsider = make_user(session), make_user(session)
    return World(
        owner=owner,
        shop=shop,
        program=program,
        manager=manager,
        assistant=assistant,
        stamper=stamper,
        member=member,
        other=other,
        outsider=outsider,
        manager_membership=make_membership(
            session, program, manager, role_type=MembershipRole.MANAGER
        ),
        assistant_membership=make_membership(
            session, program, assistant, role_type=MembershipRole.ASSISTANT
        ),
        stamper_membership=make_membership(
            session, program, stamper, role_type=MembershipRole.STAMPER
        ),
        membership=make_membership(session, program, member),
        other_membership=make_membership(session, program, other),
    )
