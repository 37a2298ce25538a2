"""The points' clocks under real parallel clients on PostgreSQL (RELIABILITY-CASES 23, 37).

Two sweeping jobs, members' reads through the API (the lazy path: a read that finds the
membership due has it matured in a write of its own) and members' writes race at the moment
a clock comes due: points expire once, held points are released once, and points spent are
never expired. The clock is pinned, per thread where the race needs two servers whose
clocks disagree by a millisecond.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core import jobs, unit_of_work
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.ledger import book
from stampbook.ledger import jobs as ledger_jobs
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies, find_held_discrepancies
from stampbook.programs import expiring
from stampbook.programs.models import HeldPoints, Membership, PointLot
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop

pytestmark = [pytest.mark.concurrency, pytest.mark.postgres]

START = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
# 14 April + 1 day, at the end of that day in the shop's zone (UTC).
EXPIRES = datetime(2026, 4, 16, 0, 0, tzinfo=UTC)
LIFETIME = timedelta(days=365 * 60)


class ThreadClock:
    """``clock.now`` for every thread, or a thread's own (a server whose clock is off)."""

    def __init__(self) -> None:
        self.now = START
        self.local = threading.local()

    def __call__(self) -> datetime:
        return getattr(self.local, "now", self.now)

    @contextmanager
    def at(self, when: datetime) -> Iterator[None]:
        self.local.now = when
        try:
            yield
        finally:
            del self.local.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ThreadClock:
    pinned = ThreadClock()
    monkeypatch.setattr("stampbook.core.clock.now", pinned)
    return pinned


@dataclass
class World:
    shop_id: int
    program_id: int
    reward_id: int
    members: list[int]
    tokens: list[str]


def _world(app: Flask, count: int, *, settings: dict[str, Any], cost: int = 5) -> World:
    with committed_session(app) as session:
        owner = make_user(session)
        shop = make_shop(session, owner, time_zone="UTC")
        program = make_program(session, shop)
        expiring.apply(program, settings, START)
        reward = make_reward(session, shop, cost=cost, created_at=START)
        users = [make_user(session) for _ in range(count)]
        members = [make_membership(session, program, user) for user in users]
        tokens = [make_token(session, user, lifetime=LIFETIME) for user in users]
        return World(shop.id, program.id, reward.id, [m.id for m in members], tokens)


def _in_a_request(app: Flask, work: Callable[[], Any]) -> str:
    with app.app_context():
        try:
            unit_of_work.run(work)
        except AppError as error:
            return error.code
    return "ok"


def _sweep(app: Flask) -> str:
    """The sweeping job as the worker runs it: one unit of work of its own."""
    with app.app_context():
        jobs.run_in_app(ledger_jobs.mature_due_memberships)
    return "swept"


def _read(app: Flask, world: World, index: int) -> tuple[int, int]:
    answer = app.test_client().get(
        f"/api/v1/memberships/{world.members[index]}",
        headers={"Authorization": f"Bearer {world.tokens[index]}"},
    )
    assert answer.status_code == 200, answer.json
    return answer.json["balance"], answer.json["pending"]


def _redeem(app: Flask, world: World, index: int) -> str:
    answer = app.test_client().post(
        f"/api/v1/rewards/{world.reward_id}/redemptions",
        json={"membership_id": world.members[index]},
        headers={"Authorization": f"Bearer {world.tokens[index]}"},
    )
    if answer.status_code == 201:
        return "ok"
    assert answer.status_code == 409, answer.json
    return str(answer.json["code"])


def _sums(app: Flask, ids: list[int]) -> dict[int, Counter[str]]:
    """Per membership: points by entry kind, the number of entries by kind."""
    with app.app_context():
        rows = db.session.execute(
            select(
                LedgerEntry.membership_id,
                LedgerEntry.kind,
                func.sum(LedgerEntry.amount),
                func.count(),
            )
            .where(LedgerEntry.membership_id.in_(ids))
            .group_by(LedgerEntry.membership_id, LedgerEntry.kind)
        ).all()
    sums: dict[int, Counter[str]] = {i: Counter() for i in ids}
    for membership_id, kind, amount, count in rows:
        sums[membership_id][kind] = int(amount)
        sums[membership_id][f"{kind} entries"] = int(count)
    return sums


def _sound(app: Flask, ids: list[int]) -> dict[int, Membership]:
    """Doctor passes, nothing is left due, and the memberships as they are."""
    with app.app_context():
        assert find_discrepancies() == []
        assert find_held_discrepancies() == []
        lowest = db.session.scalar(
            select(func.min(LedgerEntry.balance_after)).where(LedgerEntry.membership_id.in_(ids))
        )
        assert lowest is None or lowest >= 0
        members = {
            m.id: m for m in db.session.scalars(select(Membership).where(Membership.id.in_(ids)))
        }
        db.session.expunge_all()
    return members


def test_two_sweeps_racing_members_reads_and_writes_expire_each_lot_once(
    committed: Flask, clock: ThreadClock
) -> None:
    """Case 23: the expiry job run twice at once, with each member reading and writing at
    the same moment: every lot expires once, what was spent before never expires, and no
    read ever shows points that had expired."""
    world = _world(committed, 20, settings={"expiry_mode": "days", "expiry_days": 1})
    with committed_session(committed):
        for membership_id in world.members:
            book.post(
                membership_id=membership_id, amount=10, kind=EntryKind.ADJUSTMENT, actor_id=None
            )
            book.post(
                membership_id=membership_id, amount=-3, kind=EntryKind.REDEMPTION, actor_id=None
            )
    clock.now = EXPIRES + timedelta(hours=1)
    count = len(world.members)

    def work(index: int) -> tuple[str, int, Any]:
        if index < 2:
            return ("sweep", index, _sweep(committed))
        member = (index - 2) % count
        if index - 2 >= count:
            return ("read", member, _read(committed, world, member))
        # Even members earn a point; odd ones try to spend more than is left once the 7
        # points they hold have expired.
        amount = -5 if member % 2 else 1
        kind = EntryKind.REDEMPTION if amount < 0 else EntryKind.ADJUSTMENT
        membership_id = world.members[member]
        return (
            "write",
            member,
            _in_a_request(
                committed,
                lambda: book.post(
                    membership_id=membership_id, amount=amount, kind=kind, actor_id=None
                ),
            ),
        )

    outcomes = run_parallel(2 + 2 * count, work)

    writes = Counter(outcome for kind, _, outcome in outcomes if kind == "write")
    assert writes == {"ok": count // 2, "insufficient_points": count // 2}, writes
    for kind, member, seen in outcomes:
        if kind == "read":
            assert seen in {(0, 0), (1, 0)}, (member, seen)  # never the 7 that expired
    sums = _sums(committed, world.members)
    members = _sound(committed, world.members)
    for index, membership_id in enumerate(world.members):
        entries = sums[membership_id]
        assert entries[EntryKind.EXPIRY] == -7, (membership_id, entries)
        assert entries[f"{EntryKind.EXPIRY} entries"] == 1
        assert members[membership_id].balance == (0 if index % 2 else 1)
        due_at = members[membership_id].due_at
        assert due_at is None or due_at > clock.now
    # A third run finds nothing left to do.
    with committed.app_context():
        from stampbook.ledger import clocks

        assert clocks.mature_due() == 0
        db.session.rollback()


def test_held_points_are_released_once_when_sweeps_a_read_and_a_redemption_race(
    committed: Flask, clock: ThreadClock
) -> None:
    """Case 37: at the very moment held points are released, two sweeps, the member's read
    and the member's redemption race: one release entry each, and the redemption, which
    matures the membership first, spends the released points."""
    world = _world(committed, 15, settings={"expiry_mode": "days", "expiry_days": 30}, cost=5)
    release_at = START + timedelta(days=14)
    with committed_session(committed):
        for membership_id in world.members:
            book.hold(
                membership_id=membership_id,
                amount=10,
                kind=EntryKind.PURCHASE,
                cause_type="order",
                cause_id=f"o-{membership_id}",
                source_type="order",
                source_id=f"o-{membership_id}",
                release_at=release_at,
            )
    clock.now = release_at
    count = len(world.members)

    def work(index: int) -> Any:
        if index < 2:
            return ("sweep", _sweep(committed))
        member, kind = divmod(index - 2, 2)
        if kind:
            return ("read", _read(committed, world, member))
        return ("redeem", _redeem(committed, world, member))

    outcomes = run_parallel(2 + 2 * count, work)

    assert Counter(o[1] for o in outcomes if o[0] == "redeem") == {"ok": count}
    for _, seen in (o for o in outcomes if o[0] == "read"):
        assert seen in {(10, 0), (5, 0)}, seen  # released before anyone reads
    sums = _sums(committed, world.members)
    members = _sound(committed, world.members)
    with committed.app_context():
        held = db.session.execute(
            select(HeldPoints.membership_id, HeldPoints.released_at, HeldPoints.entry_id).where(
                HeldPoints.membership_id.in_(world.members)
            )
        ).all()
        lots = dict(
            db.session.execute(
                select(PointLot.membership_id, func.sum(PointLot.remaining))
                .where(PointLot.membership_id.in_(world.members))
                .group_by(PointLot.membership_id)
            ).all()
        )
    assert len(held) == count
    assert all(at == release_at and entry is not None for _, at, entry in held)
    for membership_id in world.members:
        entries = sums[membership_id]
        assert entries[EntryKind.PURCHASE] == 10
        assert entries[f"{EntryKind.PURCHASE} entries"] == 1, entries
        assert entries[EntryKind.REDEMPTION] == -5
        assert (members[membership_id].balance, members[membership_id].pending) == (5, 0)
        assert lots[membership_id] == 5


def test_points_spent_are_never_expired_when_a_redemption_races_the_expiry(
    committed: Flask, clock: ThreadClock
) -> None:
    """A redemption on a server whose clock is a millisecond before the expiry races two
    sweeps (and reads) a second after it: each member either spent 6 and then had the 4
    left expire, or had the 10 expire and the redemption refused; never both."""
    world = _world(committed, 20, settings={"expiry_mode": "days", "expiry_days": 1}, cost=6)
    with committed_session(committed):
        for membership_id in world.members:
            book.post(
                membership_id=membership_id, amount=10, kind=EntryKind.ADJUSTMENT, actor_id=None
            )
    clock.now = EXPIRES + timedelta(seconds=1)
    count = len(world.members)

    def work(index: int) -> Any:
        if index < 2:
            return ("sweep", None, _sweep(committed))
        member, kind = divmod(index - 2, 2)
        if kind:
            return ("read", member, _read(committed, world, member))
        with clock.at(EXPIRES - timedelta(milliseconds=1)):
            return ("redeem", member, _redeem(committed, world, member))

    outcomes = run_parallel(2 + 2 * count, work)

    redeemed = {member: outcome for kind, member, outcome in outcomes if kind == "redeem"}
    for kind, member, seen in outcomes:
        if kind == "read":
            assert seen == (0, 0), (member, seen)  # a second after the expiry: nothing left
    # Whatever is left to expire (none if the sweeps ran first) expires at the next read.
    with committed.app_context():
        from stampbook.ledger import maturing

        unit_of_work.run(lambda: maturing.mature_all(world.members))
    sums = _sums(committed, world.members)
    members = _sound(committed, world.members)
    ways: Counter[str] = Counter()
    for index, membership_id in enumerate(world.members):
        entries = sums[membership_id]
        spent, expired = -entries[EntryKind.REDEMPTION], -entries[EntryKind.EXPIRY]
        assert members[membership_id].balance == 0
        assert entries[f"{EntryKind.EXPIRY} entries"] == 1
        if redeemed[index] == "ok":
            assert (spent, expired) == (6, 4), entries
            ways["spent, then the rest expired"] += 1
        else:
            assert redeemed[index] == "insufficient_points"
            assert (spent, expired) == (0, 10), entries
            ways["expired, then refused"] += 1
    assert sum(ways.values()) == count
