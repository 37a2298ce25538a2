"""Rewards and paying members for tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.db import utcnow
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.rewards.rules import ScheduleSettings
from stampbook.shops.models import Shop
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program

_numbers = itertools.count(1)


def make_reward(session: Session, shop: Shop, **fields: Any) -> Reward:
    """A reward of ``shop``; ``schedule_settings`` may be a dict or a ScheduleSettings."""
    settings = ScheduleSettings.model_validate(fields.pop("schedule_settings", {}))
    created_at: datetime = fields.pop("created_at", utcnow())
    reward = Reward(
        shop_id=shop.id,
        created_by=fields.pop("created_by", shop.created_by),
        name=fields.pop("name", f"Reward {next(_numbers)}"),
        cost=fields.pop("cost", 10),
        schedule_settings=settings.model_dump(mode="json"),
        created_at=created_at,
        last_renewed_at=fields.pop("last_renewed_at", created_at),
        **fields,
    )
    session.add(reward)
    session.flush()
    return reward


def make_member(
    session: Session,
    shop: Shop,
    points: int = 0,
    *,
    user: User | None = None,
    program: Program | None = None,
    **fields: Any,
) -> Membership:
    """A user with an active membership in a program of ``shop`` holding ``points``."""
    membership = make_membership(
        session,
        program or make_program(session, shop),
        user or make_user(session),
        **fields,
    )
    if points:
        give_points(session, membership, points)
    return membership
