"""Birthday points: each member with a birthday earns their program's birthday rule once a
year, on or after the day on their own wall clock. The daily job credits whoever is due;
running it twice, or two at once, credits once (the year is in the credit's reference, and
each member is locked while decided)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict
from stampbook.loyalty.crediting import credit
from stampbook.loyalty.models import Credit, EarningRule, RuleKind
from stampbook.loyalty.rules import birthday_year_due, in_window
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import shop_of
from stampbook.schedules.periods import local_date
from stampbook.tasks.queries import member_zone


def credit_birthdays(now: datetime | None = None) -> int:
    """Credit every member whose birthday points are due; how many were credited."""
    now = now or utcnow()
    credited = 0
    rules = db.session.scalars(
        select(EarningRule)
        .join(Program, Program.id == EarningRule.program_id)
        .where(
            EarningRule.kind == RuleKind.BIRTHDAY,
            EarningRule.deleted_at.is_(None),
            Program.archived_at.is_(None),
        )
    ).all()
    for birthday_rule in rules:
        if in_window(birthday_rule.starts_at, birthday_rule.ends_at, now):
            credited += _credit_program(birthday_rule, now)
    return credited


def _credit_program(birthday_rule: EarningRule, now: datetime) -> int:
    program = db.session.get(Program, birthday_rule.program_id)
    assert program is not None
    shop = shop_of(program)
    members = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.program_id == program.id,
            Membership.status == MembershipStatus.ACTIVE,
            User.birthday.is_not(None),
            User.deleted_at.is_(None),
        )
        .order_by(Membership.id)
        .with_for_update(of=Membership)
    ).all()
    due: dict[str, Membership] = {}
    for membership, user in members:
        zone = member_zone(membership, shop)
        set_on = local_date(user.birthday_set_at, zone) if user.birthday_set_at else None
        assert user.birthday is not None
        year = birthday_year_due(user.birthday, set_on, local_date(now, zone))
        if year is not None:
            due[f"birthday-{membership.id}-{year}"] = membership
    # What earlier runs credited, in one query: an hourly run mostly finds everyone done.
    done = set(
        db.session.scalars(
            select(Credit.reference).where(
                Credit.rule_id == birthday_rule.id, Credit.reference.in_(list(due))
            )
        )
    )
    credited = 0
    for reference, membership in due.items():
        if reference in done:
            continue
        with suppress(Conflict):  # a limit on the rule: not this year, then
            credit(birthday_rule, membership, program, reference=reference, actor_id=None, now=now)
            credited += 1
    return credited
