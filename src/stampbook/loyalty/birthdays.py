"""Birthday points: each member with a birthday earns their program's birthday rule once a
year, on or after the day on their own wall clock. The hourly job credits whoever is due;
running it twice, or two at once, credits once (the year is in the credit's reference, and
each member is locked while decided).

A member is also credited when next seen, without waiting for the job: ``note_seen`` (called
on every authenticated request, ``flows.seen``) decides from the user's row alone, with no
query, whether this year's birthday has come; if it has, and this process has not looked at
the user today, ``credit_seen_birthdays`` is queued after the request's commit. That job and
the hourly one credit under the same reference, each member's row locked (memberships in the
order of their program, then id, in both), so neither credits what the other did.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict
from stampbook.core.jobs import job
from stampbook.core.unit_of_work import after_commit
from stampbook.core.zones import zone
from stampbook.loyalty.crediting import credit
from stampbook.loyalty.models import Credit, EarningRule, RuleKind
from stampbook.loyalty.rules import birthday_year_due, in_window
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import shop_of
from stampbook.schedules.periods import local_date
from stampbook.shops.models import Shop
from stampbook.tasks.queries import member_zone

# The zone whose date is the furthest ahead: a user's zone unknown to this tz database makes
# the member's zone their shop's, which the request does not read; asking with the earliest
# birthday anywhere misses none (the job decides in the member's real zone).
EARLIEST_ZONE = "Etc/GMT-14"
# Users whose birthday points this process looked at today (id -> their local date): each is
# queued at most once a day by each process, however many requests they make.
_LOOKED_AT: dict[int, date] = {}
MAX_REMEMBERED = 100_000


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
        # Programs in id order, members in id order within each: the order the job for one
        # member locks them in too (``credit_birthdays_of``), so the two never deadlock.
        .order_by(EarningRule.program_id, EarningRule.id)
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
        reference = _due_reference(membership, user, shop, now)
        if reference is not None:
            due[reference] = membership
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


def _due_reference(membership: Membership, user: User, shop: Shop, now: datetime) -> str | None:
    """The credit reference of the member's birthday points due at ``now`` on their wall
    clock (the year is in it: once a year), or None when none are due."""
    tz = member_zone(membership, shop)
    set_on = local_date(user.birthday_set_at, tz) if user.birthday_set_at else None
    assert user.birthday is not None
    year = birthday_year_due(user.birthday, set_on, local_date(now, tz))
    return None if year is None else f"birthday-{membership.id}-{year}"


def credit_birthdays_of(user_id: int, now: datetime | None = None) -> int:
    """Credit the user's birthday points due in each of their programs (the job queued when
    they are seen); how many were credited. One query finds their memberships with a live
    birthday rule, locked in the hourly job's order; each credit checks its reference."""
    now = now or clock.now()
    rows = db.session.execute(
        select(EarningRule, Membership, Program, User)
        .join(Membership, Membership.program_id == EarningRule.program_id)
        .join(Program, Program.id == EarningRule.program_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.user_id == user_id,
            Membership.status == MembershipStatus.ACTIVE,
            User.birthday.is_not(None),
            User.deleted_at.is_(None),
            EarningRule.kind == RuleKind.BIRTHDAY,
            EarningRule.deleted_at.is_(None),
            Program.archived_at.is_(None),
        )
        .order_by(EarningRule.program_id, Membership.id)
        .with_for_update(of=Membership)
    ).all()
    due: dict[str, tuple[EarningRule, Membership, Program]] = {}
    for birthday_rule, membership, program, user in rows:
        if in_window(birthday_rule.starts_at, birthday_rule.ends_at, now):
            reference = _due_reference(membership, user, shop_of(program), now)
            if reference is not None:
                due[reference] = (birthday_rule, membership, program)
    if not due:
        return 0
    done = set(
        db.session.scalars(
            select(Credit.reference).where(
                Credit.rule_id.in_({r.id for r, _m, _p in due.values()}),
                Credit.reference.in_(list(due)),
            )
        )
    )
    credited = 0
    for reference, (birthday_rule, membership, program) in due.items():
        if reference in done:
            continue
        with suppress(Conflict):  # a limit on the rule: not this year, then
            credit(birthday_rule, membership, program, reference=reference, actor_id=None, now=now)
            credited += 1
    return credited


@job
def credit_seen_birthdays(user_id: int) -> int:
    """The birthday points of a user just seen (``note_seen``)."""
    return credit_birthdays_of(user_id)


def note_seen(user: User, now: datetime | None = None) -> bool:
    """``user`` was seen (an authenticated request): queue their birthday points for after the
    commit if this year's are due on their wall clock and this process has not looked at
    them today. Decided from the user's row as authentication loaded it: no query, and
    nothing at all for a user without a birthday, or before it. True when queued."""
    if user.birthday is None:
        return False
    now = now or clock.now()
    own_zone = zone(user.time_zone, EARLIEST_ZONE)
    today = local_date(now, own_zone)
    if _LOOKED_AT.get(user.id) == today:
        return False
    set_on = local_date(user.birthday_set_at, own_zone) if user.birthday_set_at else None
    if birthday_year_due(user.birthday, set_on, today) is None:
        return False
    user_id = user.id

    def queue() -> None:
        if _LOOKED_AT.get(user_id) == today:
            return  # another request of this user was first
        if len(_LOOKED_AT) >= MAX_REMEMBERED:
            _LOOKED_AT.clear()
        _LOOKED_AT[user_id] = today
        credit_seen_birthdays.enqueue(user_id)

    after_commit(queue)
    return True
