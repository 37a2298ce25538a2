"""The points' clocks against an in-memory model (RELIABILITY-CASES 10, 23, 37, 38).

A hypothesis state machine drives two members of one program in a shop of Madrid (its
midnights move with summer time) through random steps on a pinned clock: earn (a credit),
spend (a debit the model may expect refused), hold an order's points for a window
(``book.hold``) and refund part of them (``book.cancel_held``), move the clock by minutes to
months or to the very moment of the next release or expiry (a microsecond before, at, or
after it), run the sweeping job (``ledger.jobs.mature_due_memberships``, as the worker runs
it) or the reminders' job (each reminder must name points the model says expire at that
date, once per membership, date and stage), read (``maturing.mature``, or
``GET /api/v1/memberships/{id}`` as the member, the lazy path of ``core.due``), and change
the program's expiry (``PATCH /api/v1/programs/{id}``: off, or by days, month, year or
inactivity, with their days). Every write runs in its own unit of work and commits for real
(the ``committed`` fixture).

The model knows nothing of due times, lots' ids or when a job ran: it applies each clock at
the moment it says, in order of time. What the database holds is checked after every step:

- as committed, before anything reads it: ``find_held_discrepancies()`` is empty, no balance
  is below zero, and each membership's ``due_at`` is no later than the model's next release
  or expiry (else a write could spend points that had expired, or miss points to release);
  after the sweeping job, nothing is left due;
- as it is read (the memberships matured in a transaction rolled back afterwards, so the
  check changes nothing the next steps see): ``find_discrepancies()`` and
  ``find_held_discrepancies()`` are empty, no ``balance_after`` is below zero, and the
  balance, pending points, the points expiring at each date, the sum of what expired (once,
  never points spent), how many releases were posted (each held row once), and each order's
  held points equal the model's; the API's answer, when the step read through it, too.

``STAMPBOOK_SOAK=1`` runs twenty times more examples. The module prints its figures (``-s``).
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import case, func, select

from stampbook.core import jobs, outbox, unit_of_work
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.ledger import book, maturing
from stampbook.ledger import jobs as ledger_jobs
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies, find_held_discrepancies
from stampbook.programs.models import ExpiryReminder, HeldPoints, Membership, PointLot
from tests.concurrency import committed_session
from tests.factories.accounts import make_token, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop

SOAK = os.environ.get("STAMPBOOK_SOAK", "0") not in ("", "0")
EXAMPLES = 25 * (20 if SOAK else 1)
STEPS = 40
# A Saturday evening before Madrid's clocks go forward (29 March 2026).
START = datetime(2026, 3, 28, 21, 30, tzinfo=UTC)
ZONE_NAME = "Europe/Madrid"
ZONE = ZoneInfo(ZONE_NAME)
MEMBERS = 2
LOT_MODES = ("days", "month", "year")
NEVER, INACTIVE = "never", "inactive"
RELEASED_KIND = EntryKind.PURCHASE  # what held points become; earning here is an adjustment
LIFETIME = timedelta(days=365 * 60)  # tokens outlive the pinned clock's wanderings

# --- The model -----------------------------------------------------------------------------


@dataclass
class Lot:
    expires_at: datetime
    remaining: int
    seq: int


@dataclass
class Held:
    source: str
    amount: int
    release_at: datetime
    seq: int
    released: bool = False


@dataclass
class Member:
    id: int
    balance: int = 0
    lots: list[Lot] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    last_activity: datetime | None = None
    expired: int = 0  # points expired, in all
    releases: int = 0  # release entries posted

    @property
    def pending(self) -> int:
        return sum(h.amount for h in self.held if not h.released)


@dataclass
class Model:
    """Every clock applied at the moment it says, in order of time."""

    members: dict[int, Member] = field(default_factory=dict)
    mode: str = NEVER
    days: int | None = None
    since: datetime | None = None
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def expires(self, earned_at: datetime) -> datetime:
        """When points earned at ``earned_at`` expire (or, by inactivity, fall due)."""
        assert self.days is not None and self.since is not None
        start = max(earned_at, self.since)
        if self.mode == INACTIVE:
            return start + timedelta(days=self.days)
        day = (start + timedelta(days=self.days)).astimezone(ZONE).date()
        if self.mode == "days":
            following = day + timedelta(days=1)
        elif self.mode == "month":
            following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        else:
            following = date(day.year + 1, 1, 1)
        # Madrid's clocks never change at midnight: the local midnight is one moment.
        return datetime.combine(following, clock_time(), tzinfo=ZONE).astimezone(UTC)

    def _credit_lot(self, member: Member, amount: int, earned_at: datetime) -> None:
        if self.mode in LOT_MODES:
            member.lots.append(Lot(self.expires(earned_at), amount, next(self.counter)))

    def _release(self, member: Member, held: Held) -> None:
        held.released = True
        if held.amount:
            member.balance += held.amount
            member.releases += 1
            self._credit_lot(member, held.amount, held.release_at)

    def _expire(self, member: Member, amount: int) -> None:
        member.balance -= amount
        member.expired += amount
        assert member.balance >= 0

    def mature(self, now: datetime) -> None:
        for member in self.members.values():
            due = sorted(
                (h for h in member.held if not h.released and h.release_at <= now),
                key=lambda h: (h.release_at, h.seq),
            )
            if self.mode == INACTIVE:
                assert self.days is not None and self.since is not None
                span = timedelta(days=self.days)
                start = max(member.last_activity or self.since, self.since)
                for held in due:
                    if start + span <= held.release_at and member.balance > 0:
                        self._expire(member, member.balance)
                    self._release(member, held)
                    start = max(start, held.release_at)
                if start + span <= now and member.balance > 0:
                    self._expire(member, member.balance)
                if due:
                    member.last_activity = start
                continue
            for held in due:
                self._release(member, held)
            if self.mode in LOT_MODES:
                for lot in member.lots:
                    if lot.remaining and lot.expires_at <= now:
                        self._expire(member, lot.remaining)
                        lot.remaining = 0

    def earn(self, member: Member, amount: int, now: datetime) -> None:
        member.balance += amount
        member.last_activity = now
        self._credit_lot(member, amount, now)

    def spend(self, member: Member, amount: int, now: datetime) -> bool:
        if member.balance < amount:
            return False
        member.balance -= amount
        member.last_activity = now
        if self.mode in LOT_MODES:
            left = amount
            for lot in sorted(member.lots, key=lambda lot: (lot.expires_at, lot.seq)):
                take = min(left, lot.remaining)
                lot.remaining -= take
                left -= take
        return True

    def hold(
        self, member: Member, source: str, amount: int, now: datetime, release_at: datetime
    ) -> None:
        member.held.append(Held(source, amount, release_at, next(self.counter)))
        member.last_activity = now  # holding is activity

    def cancel(self, source: str, amount: int) -> int:
        left = amount
        for member in self.members.values():
            for held in member.held:
                if held.source == source and not held.released:
                    take = min(left, held.amount)
                    held.amount -= take
                    left -= take
        return amount - left

    def configure(self, mode: str, days: int | None, now: datetime) -> None:
        """``programs.expiring.apply``: turning expiry on, or another mode, starts every
        clock now (what each member holds is one lot earned now); other days of a mode by
        lots apply to points earned after; off restores nothing."""
        before = (self.mode, self.days)
        self.mode = mode
        if days is not None:
            self.days = days
        if mode == NEVER:
            self.since = None
            return
        restart = before[0] != mode or (mode == INACTIVE and before[1] != self.days)
        if restart or self.since is None:
            self.since = now
            for member in self.members.values():
                member.lots = []
                if mode in LOT_MODES and member.balance > 0:
                    self._credit_lot(member, member.balance, now)

    def next_event(self, member: Member) -> datetime | None:
        """The next moment a clock changes the member's points."""
        times = [h.release_at for h in member.held if not h.released]
        if self.mode in LOT_MODES:
            times += [lot.expires_at for lot in member.lots if lot.remaining]
        elif self.mode == INACTIVE and member.balance > 0:
            times.append(self.next_event_of_inactivity(member))
        return min((at for at in times if at is not None), default=None)

    def coming(self, member: Member, now: datetime) -> dict[datetime, int]:
        """What expires within the reminders' window (30 days, the program's default)."""
        horizon = now + timedelta(days=30)
        if self.mode == INACTIVE:
            deadline = self.next_event_of_inactivity(member)
            return {deadline: member.balance} if deadline and now < deadline <= horizon else {}
        return {at: n for at, n in self.expiring(member).items() if now < at <= horizon}

    def next_event_of_inactivity(self, member: Member) -> datetime | None:
        if member.balance <= 0:
            return None
        assert self.days is not None and self.since is not None
        start = max(member.last_activity or self.since, self.since)
        return start + timedelta(days=self.days)

    def expiring(self, member: Member) -> dict[datetime, int]:
        """Points left to expire at each date (lot modes only)."""
        if self.mode not in LOT_MODES:
            return {}
        dates: Counter[datetime] = Counter()
        for lot in member.lots:
            if lot.remaining:
                dates[lot.expires_at] += lot.remaining
        return dict(sorted(dates.items()))


# --- What the database holds ---------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    balance: int
    pending: int
    expiring: dict[datetime, int]
    expired: int
    releases: int
    held: dict[str, tuple[int, bool]]


def _seen(ids: list[int], lot_mode: bool) -> dict[int, Seen]:
    """What the database holds for each membership, in four statements."""
    rows = db.session.execute(
        select(Membership.id, Membership.balance, Membership.pending).where(Membership.id.in_(ids))
    ).all()
    expiring: dict[int, dict[datetime, int]] = {i: {} for i in ids}
    for membership_id, at, points in db.session.execute(
        select(PointLot.membership_id, PointLot.expires_at, func.sum(PointLot.remaining))
        .where(PointLot.membership_id.in_(ids), PointLot.remaining > 0)
        .group_by(PointLot.membership_id, PointLot.expires_at)
        .order_by(PointLot.membership_id, PointLot.expires_at)
    ):
        expiring[membership_id][at] = int(points)
    expired = case((LedgerEntry.kind == EntryKind.EXPIRY, -LedgerEntry.amount), else_=0)
    released = case((LedgerEntry.kind == RELEASED_KIND, 1), else_=0)
    sums = {
        membership_id: (int(a), int(b))
        for membership_id, a, b in db.session.execute(
            select(LedgerEntry.membership_id, func.sum(expired), func.sum(released))
            .where(LedgerEntry.membership_id.in_(ids))
            .group_by(LedgerEntry.membership_id)
        )
    }
    held: dict[int, dict[str, tuple[int, bool]]] = {i: {} for i in ids}
    for membership_id, source, amount, released_at in db.session.execute(
        select(
            HeldPoints.membership_id,
            HeldPoints.source_id,
            HeldPoints.amount,
            HeldPoints.released_at,
        ).where(HeldPoints.membership_id.in_(ids))
    ):
        held[membership_id][source] = (amount, released_at is not None)
    return {
        membership_id: Seen(
            balance=balance,
            pending=pending,
            expiring=expiring[membership_id] if lot_mode else {},
            expired=sums.get(membership_id, (0, 0))[0],
            releases=sums.get(membership_id, (0, 0))[1],
            held=held[membership_id],
        )
        for membership_id, balance, pending in rows
    }


def _expected(model: Model, member: Member) -> Seen:
    return Seen(
        balance=member.balance,
        pending=member.pending,
        expiring=model.expiring(member),
        expired=member.expired,
        releases=member.releases,
        held={h.source: (h.amount, h.released) for h in member.held},
    )


# --- Figures of a run ----------------------------------------------------------------------


@dataclass
class Figures:
    examples: int = 0
    steps: int = 0
    tried: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    points: Counter[str] = field(default_factory=Counter)  # expired, cancelled; releases
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "steps": self.steps,
            "tried": dict(sorted(self.tried.items())),
            "refused": dict(sorted(self.refused.items())),
            "points": dict(sorted(self.points.items())),
            "seconds": round(self.seconds, 1),
        }

    def report(self, backend: str) -> str:
        lines = [
            f"clocks model on {backend}: {self.examples} examples, {self.steps} steps, "
            f"{self.seconds:.1f} s, 0 discrepancies"
        ]
        for kind, count in sorted(self.tried.items()):
            lines.append(f"  {kind:<22} {count:>5}  refused {self.refused[kind]:>4}")
        lines.append("  points: " + ", ".join(f"{k} {v}" for k, v in sorted(self.points.items())))
        return "\n".join(lines)


class Clock:
    def __init__(self) -> None:
        self.now = START


# --- The machine ---------------------------------------------------------------------------

AMOUNT = st.integers(min_value=1, max_value=40)
SPAN = st.one_of(
    st.integers(1, 59).map(lambda n: timedelta(minutes=n)),
    st.integers(1, 47).map(lambda n: timedelta(hours=n)),
    st.integers(1, 45).map(lambda n: timedelta(days=n)),
    st.integers(1, 14).map(lambda n: timedelta(days=30 * n, hours=n)),
)
WINDOW = st.one_of(
    st.integers(1, 59).map(lambda n: timedelta(minutes=n)),
    st.integers(1, 60).map(lambda n: timedelta(days=n)),
)
SETTINGS = st.one_of(
    st.just((NEVER, None)),
    st.tuples(st.just("days"), st.integers(1, 60)),
    st.tuples(st.just("month"), st.integers(0, 40)),
    st.tuples(st.just("year"), st.integers(0, 400)),
    st.tuples(st.just(INACTIVE), st.integers(1, 90)),
)


class ClocksMachine(RuleBasedStateMachine):
    def __init__(self, app: Flask, figures: Figures, clock: Clock) -> None:
        super().__init__()
        self.app, self.figures, self.clock = app, figures, clock
        self.client: FlaskClient = app.test_client()
        self.model = Model()
        self.orders = itertools.count(1)
        self.sources: list[str] = []
        self.tokens: dict[int, str] = {}
        self.owner_token = ""
        self.reminders = 0
        self.program_id = self.shop_id = 0
        figures.examples += 1
        clock.now = START

    @initialize(
        mode=SETTINGS,
        balances=st.lists(st.integers(0, 30), min_size=MEMBERS, max_size=MEMBERS),
    )
    def build(self, mode: tuple[str, int | None], balances: list[int]) -> None:
        with committed_session(self.app) as session:
            owner = make_user(session)
            shop = make_shop(session, owner, time_zone=ZONE_NAME)
            program = make_program(session, shop)
            self.program_id, self.shop_id = program.id, shop.id
            self.owner_token = make_token(session, owner, lifetime=LIFETIME)
            for _ in range(MEMBERS):
                user = make_user(session)
                membership = make_membership(session, program, user)
                self.tokens[membership.id] = make_token(session, user, lifetime=LIFETIME)
                self.model.members[membership.id] = Member(membership.id)
        self.configure(mode)
        for member, amount in zip(self.model.members.values(), balances, strict=True):
            if amount:
                self.credit(member, amount)

    # --- Running one step ----------------------------------------------------------------

    def step(self, kind: str) -> None:
        self.figures.steps += 1
        self.figures.tried[kind] += 1

    def run(self, work: Any) -> tuple[Any, str | None]:
        with self.app.app_context():
            try:
                return unit_of_work.run(work), None
            except AppError as error:
                return None, error.code

    def member(self, index: int) -> Member:
        members = list(self.model.members.values())
        return members[index % len(members)]

    @property
    def owner(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.owner_token}"}

    # --- Steps ---------------------------------------------------------------------------

    @rule(index=st.integers(0, MEMBERS - 1), amount=AMOUNT)
    def earn(self, index: int, amount: int) -> None:
        self.step("earn")
        self.credit(self.member(index), amount)

    def credit(self, member: Member, amount: int) -> None:
        _, refused = self.run(
            lambda: book.post(
                membership_id=member.id,
                amount=amount,
                kind=EntryKind.ADJUSTMENT,
                actor_id=None,
            )
        )
        assert refused is None
        self.model.earn(member, amount, self.clock.now)

    @rule(index=st.integers(0, MEMBERS - 1), amount=st.integers(1, 60))
    def spend(self, index: int, amount: int) -> None:
        member = self.member(index)
        self.step("spend")
        _, refused = self.run(
            lambda: book.post(
                membership_id=member.id,
                amount=-amount,
                kind=EntryKind.REDEMPTION,
                actor_id=None,
            )
        )
        expected = self.model.spend(member, amount, self.clock.now)
        assert refused == (None if expected else "insufficient_points"), (expected, refused)
        if refused:
            self.figures.refused["spend"] += 1

    @rule(index=st.integers(0, MEMBERS - 1), amount=AMOUNT, window=WINDOW)
    def hold(self, index: int, amount: int, window: timedelta) -> None:
        member = self.member(index)
        self.step("hold")
        source = f"order-{self.program_id}-{next(self.orders)}"
        release_at = self.clock.now + window
        _, refused = self.run(
            lambda: book.hold(
                membership_id=member.id,
                amount=amount,
                kind=RELEASED_KIND,
                cause_type="order",
                cause_id=source,
                source_type="order",
                source_id=source,
                release_at=release_at,
            )
        )
        assert refused is None
        self.model.hold(member, source, amount, self.clock.now, release_at)
        self.sources.append(source)

    @precondition(lambda self: bool(self.sources))
    @rule(pick=st.integers(0, 2**16), amount=st.integers(1, 50))
    def refund(self, pick: int, amount: int) -> None:
        source = self.sources[pick % len(self.sources)]
        self.step("refund")
        cancelled, refused = self.run(
            lambda: book.cancel_held(source_type="order", source_id=source, amount=amount)
        )
        assert refused is None
        expected = self.model.cancel(source, amount)
        assert cancelled == expected, (cancelled, expected)
        self.figures.points["cancelled"] += cancelled
        if not cancelled:
            self.figures.refused["refund"] += 1  # released already, or cancelled before

    @rule(span=SPAN)
    def advance(self, span: timedelta) -> None:
        self.step("advance")
        self.clock.now += span
        self.model.mature(self.clock.now)

    @precondition(lambda self: any(self.model.next_event(m) for m in self.model.members.values()))
    @rule(offset=st.sampled_from([-1, 0, 1]))
    def advance_to_the_next_event(self, offset: int) -> None:
        """To a microsecond before, at, or after the next release or expiry."""
        self.step("advance to the edge")
        upcoming = [self.model.next_event(m) for m in self.model.members.values()]
        edge = min(at for at in upcoming if at is not None)
        target = edge + timedelta(microseconds=offset)
        if target > self.clock.now:
            self.clock.now = target
            self.model.mature(self.clock.now)

    @rule()
    def remind(self) -> None:
        """The reminders' job: each names points the model says expire then, and each
        (membership, date, stage) is announced once."""
        self.step("remind (job)")
        ids = list(self.model.members)
        with self.app.app_context():
            mark = db.session.scalar(select(func.coalesce(func.max(Occurrence.id), 0)))
            db.session.rollback()  # read what the job commits, not this snapshot
            jobs.run_in_app(ledger_jobs.remind_expiring_points)
            announced = db.session.scalars(
                select(Occurrence.payload).where(
                    Occurrence.id > mark,
                    Occurrence.type == OccurrenceType.POINTS_EXPIRING,
                    Occurrence.shop_id == self.shop_id,
                )
            ).all()
            reminders = db.session.scalar(
                select(func.count())
                .select_from(ExpiryReminder)
                .where(ExpiryReminder.membership_id.in_(ids))
            )
            db.session.rollback()
        for payload in announced:
            member = self.model.members[payload["membership_id"]]
            at = datetime.fromisoformat(payload["expires_at"])
            coming = self.model.coming(member, self.clock.now)
            assert coming.get(at) == payload["amount"], (payload, coming)
        self.reminders += len(announced)
        assert reminders == self.reminders, "a reminder announced twice, or not at all"
        self.figures.points["reminders"] += len(announced)

    @rule()
    def sweep(self) -> None:
        """The sweeping job, as the worker runs it (one unit of work of its own)."""
        self.step("sweep (job)")
        with self.app.app_context():
            jobs.run_in_app(ledger_jobs.mature_due_memberships)
            left = db.session.scalars(
                select(Membership.id).where(
                    Membership.id.in_(list(self.model.members)), Membership.due_at <= self.clock.now
                )
            ).all()
        assert left == [], f"still due after the sweep: {left}"

    @rule(index=st.integers(0, MEMBERS - 1))
    def mature(self, index: int) -> None:
        member = self.member(index)
        self.step("read (mature)")
        self.run(lambda: maturing.mature(member.id))
        with self.app.app_context():
            due_at = db.session.scalar(select(Membership.due_at).where(Membership.id == member.id))
        assert due_at is None or due_at > self.clock.now

    @rule(index=st.integers(0, MEMBERS - 1))
    def read_through_the_api(self, index: int) -> None:
        member = self.member(index)
        self.step("read (API)")
        answer = self.client.get(
            f"/api/v1/memberships/{member.id}",
            headers={"Authorization": f"Bearer {self.tokens[member.id]}"},
        )
        assert answer.status_code == 200, answer.json
        body = answer.json
        assert body is not None
        expiring = list(self.model.expiring(member).items())[:3]
        assert (body["balance"], body["pending"]) == (member.balance, member.pending)
        assert [
            (datetime.fromisoformat(e["expires_at"]), e["points"]) for e in body["expiring"]
        ] == expiring

    @rule(mode=SETTINGS)
    def change_settings(self, mode: tuple[str, int | None]) -> None:
        self.step("settings: " + mode[0])
        self.configure(mode)

    def configure(self, mode: tuple[str, int | None]) -> None:
        name, days = mode
        body: dict[str, Any] = {"expiry_mode": name}
        if days is not None:
            body["expiry_days"] = days
        answer = self.client.patch(
            f"/api/v1/programs/{self.program_id}", json=body, headers=self.owner
        )
        assert answer.status_code == 200, answer.json
        self.model.configure(name, days, self.clock.now)

    def teardown(self) -> None:
        for member in self.model.members.values():
            self.figures.points["expired"] += member.expired
            self.figures.points["releases"] += member.releases

    # --- After every step ------------------------------------------------------------------

    @invariant()
    def agrees(self) -> None:
        model, now = self.model, self.clock.now
        ids = list(model.members)
        with self.app.app_context():
            # As committed, before anyone reads it: lots and pending points add up, and no
            # membership is due later than its clock says.
            assert find_held_discrepancies() == []
            rows = db.session.execute(
                select(Membership.id, Membership.balance, Membership.due_at).where(
                    Membership.id.in_(ids)
                )
            ).all()
            for membership_id, balance, due_at in rows:
                assert balance >= 0
                upcoming = model.next_event(model.members[membership_id])
                if upcoming is not None:
                    assert due_at is not None and due_at <= upcoming, (
                        f"membership {membership_id} is due at {due_at}, "
                        f"its clock changes its points at {upcoming}"
                    )
            db.session.rollback()
            # As read: matured in a transaction that is then rolled back.
            try:
                maturing.mature_all(ids)
                assert find_discrepancies() == []
                assert find_held_discrepancies() == []
                lowest = db.session.scalar(
                    select(func.min(LedgerEntry.balance_after)).where(
                        LedgerEntry.membership_id.in_(ids)
                    )
                )
                assert lowest is None or lowest >= 0
                seen = _seen(ids, model.mode in LOT_MODES)
                for member in model.members.values():
                    assert seen[member.id] == _expected(model, member), (
                        f"membership {member.id} at {now.isoformat()}"
                    )
            finally:
                db.session.rollback()
                db.session.info.pop("after_commit", None)


def test_the_clocks_agree_with_the_model(
    committed: Flask,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock, figures = Clock(), Figures()
    monkeypatch.setattr("stampbook.core.clock.now", lambda: clock.now)

    class Machine(ClocksMachine):
        def __init__(self) -> None:
            super().__init__(committed, figures, clock)

    # The consumers of what the ledger announces are not under test here: the occurrences
    # are recorded and stored as dispatched, with no job.
    consumers = outbox.use(())
    started = time.monotonic()
    try:
        run_state_machine_as_test(
            Machine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            ),
        )
    finally:
        outbox.use(consumers)
        figures.seconds = time.monotonic() - started
        with committed.app_context():
            backend = db.dialect
        (tmp_path / "clocks_model_figures.json").write_text(
            json.dumps({"backend": backend, "soak": SOAK, **figures.as_dict()}, indent=2)
        )
        with capsys.disabled():
            print("\n" + figures.report(backend))
    assert figures.examples >= 1


# --- What the machine found, pinned ---------------------------------------------------------


class PinnedClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> PinnedClock:
    clock = PinnedClock()
    monkeypatch.setattr("stampbook.core.clock.now", clock)
    return clock


def _shop_program(session: Any, mode: str, days: int | None) -> tuple[Any, Any, Membership]:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner, time_zone=ZONE_NAME))
    member = make_membership(session, program, make_user(session))
    _set(owner, program.id, mode, days)
    return owner, program, member


def _set(owner: Any, program_id: int, mode: str, days: int | None) -> None:
    from stampbook.programs import services as programs

    changes: dict[str, Any] = {"expiry_mode": mode}
    if days is not None:
        changes["expiry_days"] = days
    programs.update_program(owner, program_id, changes)


def _post(member: Membership, amount: int) -> None:
    book.post(membership_id=member.id, amount=amount, kind=EntryKind.ADJUSTMENT, actor_id=None)


@pytest.mark.usefixtures("app_context")
@pytest.mark.parametrize(("mode", "days"), [(NEVER, None), ("month", 0), (INACTIVE, 30)])
def test_a_settings_change_after_points_expired_unread_keeps_them_expired(
    session: Any, pinned: PinnedClock, mode: str, days: int | None
) -> None:
    """Found by the machine: points whose expiry had passed, with no read and no sweep since,
    were kept by turning expiry off (or restarted as a fresh lot by another mode)."""
    owner, program, member = _shop_program(session, "year", 0)
    _post(member, 15)
    pinned.now = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)  # past the end of 2026 in Madrid
    _set(owner, program.id, mode, days)
    maturing.mature(member.id)
    session.refresh(member)
    assert member.balance == 0
    assert find_discrepancies() == []
    assert find_held_discrepancies() == []


@pytest.mark.usefixtures("app_context")
def test_a_mode_change_after_a_release_came_due_unread_releases_it_under_the_old_mode(
    session: Any, pinned: PinnedClock
) -> None:
    """Held points due for release before the change are released (and their lot dated) by
    the settings they came due under, as the sweep would have done."""
    owner, program, member = _shop_program(session, "days", 2)
    book.hold(
        membership_id=member.id,
        amount=9,
        kind=RELEASED_KIND,
        cause_type="order",
        cause_id="o-1",
        source_type="order",
        source_id="o-1",
        release_at=START + timedelta(days=1),
    )
    pinned.now = START + timedelta(days=10)  # released on day 1, expired on day 3
    _set(owner, program.id, "month", 0)
    maturing.mature(member.id)
    session.refresh(member)
    assert (member.balance, member.pending) == (0, 0)
    assert find_discrepancies() == []


@pytest.mark.usefixtures("app_context")
def test_reminders_speak_of_points_as_they_are_after_a_release_no_one_read(
    session: Any, pinned: PinnedClock
) -> None:
    """Found by the machine: a release no read or sweep had posted yet (activity, in a
    program expiring by inactivity) was left out of the reminder, which named an earlier date
    and fewer points. The reminders' job matures what is due first."""
    from stampbook.ledger import clocks
    from tests.occurrences import last_id, recorded

    _, _, member = _shop_program(session, INACTIVE, 60)
    _post(member, 10)
    book.hold(
        membership_id=member.id,
        amount=5,
        kind=RELEASED_KIND,
        cause_type="order",
        cause_id="o-2",
        source_type="order",
        source_id="o-2",
        release_at=START + timedelta(days=10),
    )
    mark = last_id(session)
    pinned.now = START + timedelta(days=35)  # the release moved the deadline to day 70
    assert clocks.remind() == 0
    pinned.now = START + timedelta(days=41)
    assert clocks.remind() == 1
    [payload] = [p for kind, _, p in recorded(session, mark) if kind == "points.expiring"]
    assert (payload["stage"], payload["amount"], payload["expires_at"]) == (
        "warning",
        15,
        (START + timedelta(days=70)).isoformat(),
    )
