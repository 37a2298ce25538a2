"""Random sequences of operations agree with an in-memory model at every step (case 10).

A hypothesis state machine joins and leaves programs, stamps tasks (with a maximum per stamp,
a target and its completion bonus, a first-time bonus, partial credit), revokes stamps,
redeems and gifts rewards (stock, user and group limits, cost), contributes to group rewards,
cancels receipts, deletes rewards (group rewards with open contributions too), merges
programs and shops, adjusts balances by hand and creates rewards. Every operation runs
through the real service inside ``unit_of_work.run`` in an app context of its own, so it
commits or rolls back exactly as a request would, on real commits (the ``committed``
fixture). The model (``tests/reliability/model_world.py``) predicts each refusal and its
code, and each effect.

After every step: the database equals the model (balances, statuses, stock, group pots,
receipts, contributions, stamps and bonuses, where programs and rewards live); the usage
of each limited reward, per payer and in all, as the service counts it for its limits,
equals the model's; ``find_discrepancies() == []``; no balance
and no ``balance_after`` is negative; no ledger entry changed or vanished; a refused
operation changed nothing at all.

Each hypothesis example builds a fresh world (users, three shops, three programs, tasks,
rewards) and the model only knows those ids, so examples never see each other's rows. The
figures of the run (examples, steps, operations and refusals per kind, discrepancies) are
printed at the end and written to ``model_based_figures.json`` in the test's tmp dir.
``STAMPBOOK_SOAK=1`` runs twenty times more examples.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
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

from stampbook.accounts.models import User
from stampbook.core import unit_of_work
from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.flows import merges as flows_merges
from stampbook.ledger import services as ledger_services
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs import services as programs
from stampbook.rewards import contributing, loading, redeeming
from stampbook.rewards import services as rewards
from stampbook.rewards.models import Reward
from stampbook.rewards.rules import load_settings
from stampbook.tasks import stamping as tasks
from tests.concurrency import committed_session
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task
from tests.reliability import model_snapshot
from tests.reliability.model_world import (
    ACTIVE,
    Model,
    Program,
    RewardSpec,
    Shop,
    Task,
    TaskSpec,
)

T = TypeVar("T")

SOAK = os.environ.get("STAMPBOOK_SOAK", "0") not in ("", "0")
SCALE = 20 if SOAK else 1
EXAMPLES = 20 * SCALE
STEPS = 60
START = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
MEMBERS = 3
UTC_ZONE = ZoneInfo("UTC")

# --- What the machine draws --------------------------------------------------------------

PICK = st.integers(min_value=0, max_value=2**16)
# Most choices aim at something that can work; one in five picks anything at all.
STRAY = st.integers(min_value=0, max_value=4).map(lambda n: n == 0)
POINTS = st.integers(min_value=0, max_value=8)


@st.composite
def task_specs(draw: st.DrawFn) -> TaskSpec:
    kind = draw(st.sampled_from(["plain", "max", "target", "first_time"]))
    point_value = draw(POINTS)
    partial = draw(st.none() | st.integers(min_value=0, max_value=point_value))
    if kind == "max":
        return TaskSpec(point_value, partial, max_per_stamp=draw(st.integers(2, 4)))
    if kind == "target":
        return TaskSpec(
            point_value,
            partial,
            max_per_stamp=draw(st.integers(1, 3)),
            target=draw(st.integers(1, 5)),
            reach_total=draw(st.integers(1, 20)),
        )
    if kind == "first_time":
        return TaskSpec(point_value, partial, first_time=draw(st.integers(1, 10)))
    return TaskSpec(point_value, partial)


reward_specs = st.builds(
    RewardSpec,
    cost=st.integers(min_value=1, max_value=20),
    stock=st.none() | st.integers(min_value=0, max_value=4),
    user_limit=st.none() | st.integers(min_value=1, max_value=3),
    group_limit=st.none() | st.integers(min_value=1, max_value=5),
    giftable=st.booleans(),
    is_group=st.booleans(),
)


def pick(options: list[T], index: int) -> T:
    return options[index % len(options)]


def prefer(index: int, stray: bool, *tiers: list[T]) -> T:
    """One of the first non-empty tier (the first ones hold what can work); one of the last
    (everything) when stray."""
    options = tiers[-1] if stray else next((tier for tier in tiers if tier), tiers[-1])
    return pick(options, index)


# --- Figures of a run --------------------------------------------------------------------


@dataclass
class Figures:
    examples: int = 0
    steps: int = 0
    tried: Counter[str] = field(default_factory=Counter)
    succeeded: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)  # "kind: code"
    discrepancies: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "steps": self.steps,
            "tried": dict(sorted(self.tried.items())),
            "succeeded": dict(sorted(self.succeeded.items())),
            "refusals": dict(sorted(self.refusals.items())),
            "discrepancies": self.discrepancies,
            "seconds": round(self.seconds, 1),
        }

    def report(self, backend: str) -> str:
        lines = [
            f"model-based run on {backend}: {self.examples} examples, {self.steps} steps, "
            f"{sum(self.refusals.values())} refusals, {self.discrepancies} discrepancies, "
            f"{self.seconds:.1f} s"
        ]
        for kind in sorted(self.tried):
            refused = {
                key.split(": ")[1]: n
                for key, n in sorted(self.refusals.items())
                if key.startswith(kind + ":")
            }
            lines.append(
                f"  {kind:<16} tried {self.tried[kind]:>5}  ok {self.succeeded[kind]:>5}  "
                f"refused {refused}"
            )
        return "\n".join(lines)


class Clock:
    """The pinned clock (``stampbook.core.clock.now`` reads it); each step moves it a minute."""

    def __init__(self) -> None:
        self.now = START

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


# --- The machine -------------------------------------------------------------------------


class StampbookMachine(RuleBasedStateMachine):
    def __init__(self, app: Flask, figures: Figures, clock: Clock) -> None:
        super().__init__()
        self.app, self.figures, self.clock = app, figures, clock
        self.model = Model()
        self.seen: model_snapshot.Snapshot | None = None
        self.refused = False
        figures.examples += 1
        clock.now = START

    # --- Building the world ----------------------------------------------------------------

    @initialize(
        task_list=st.lists(task_specs(), min_size=6, max_size=6),
        reward_list=st.lists(reward_specs, min_size=4, max_size=4),
        balances=st.lists(st.integers(0, 60), min_size=2 * MEMBERS, max_size=2 * MEMBERS),
        elsewhere=st.lists(st.none() | st.integers(0, 60), min_size=MEMBERS, max_size=MEMBERS),
    )
    def build(
        self,
        task_list: list[TaskSpec],
        reward_list: list[RewardSpec],
        balances: list[int],
        elsewhere: list[int | None],
    ) -> None:
        """Three shops of one owner: S1 with programs P1 and P2 and two rewards, S2 with P3
        and a reward, S3 with only a reward. Two tasks per program. Every member is in P1
        and P2 (so that merging them folds memberships together), some in P3, each
        membership with some points."""
        model = self.model
        with committed_session(self.app) as session:
            owner = make_user(session)
            users = [make_user(session) for _ in range(MEMBERS)]
            shop_list = [make_shop(session, owner) for _ in range(3)]
            program_list = [make_program(session, shop_list[i]) for i in (0, 0, 1)]
            model.owner, model.users = owner.id, [u.id for u in users]
            for shop in shop_list:
                model.shops[shop.id] = Shop(shop.id)
            for program in program_list:
                model.programs[program.id] = Program(program.id, program.shop_id)
            for index, spec in enumerate(task_list):
                task = make_task(session, program_list[index // 2], **spec.fields())
                model.tasks[task.id] = Task(task.id, task.program_id, spec)
            for index, reward_spec in enumerate(reward_list):
                shop = shop_list[(0, 0, 1, 2)[index]]
                reward = make_reward(session, shop, created_at=START, **reward_spec.fields())
                model.apply_create_reward(shop.id, reward_spec, reward.id)
            for index, points in enumerate([*balances, *elsewhere]):
                if points is None:
                    continue
                user, program = users[index % MEMBERS], program_list[index // MEMBERS]
                membership = make_membership(session, program, user)
                if points:
                    give_points(session, membership, points)
                model.apply_join(user.id, program.id, membership.id)
                model.apply_adjust(membership.id, points)

    # --- Running one operation ---------------------------------------------------------------

    def attempt(self, kind: str, expected: str | None, work: Callable[[], T]) -> tuple[bool, T]:
        """Run ``work`` as a request would; its outcome must be the one the model expects."""
        self.clock.tick()
        self.figures.steps += 1
        self.figures.tried[kind] += 1
        result: Any = None
        with self.app.app_context():
            try:
                result = unit_of_work.run(work)
                outcome = None
            except AppError as error:
                outcome = error.code
        self.refused = outcome is not None
        if outcome is None:
            self.figures.succeeded[kind] += 1
        else:
            self.figures.refusals[f"{kind}: {outcome}"] += 1
        if outcome != expected:
            self.figures.discrepancies += 1
            raise AssertionError(
                f"{kind}: the model expected {expected or 'success'}, "
                f"the service answered {outcome or 'success'}"
            )
        return outcome is None, result

    @staticmethod
    def user(user_id: int) -> User:
        found = db.session.get(User, user_id)
        assert found is not None
        return found

    def memberships(self, *, active: bool = False) -> list[int]:
        return sorted(
            m.id for m in self.model.memberships.values() if not active or m.status == ACTIVE
        )

    def member(self, index: int, stray: bool) -> int:
        return prefer(index, stray, self.memberships(active=True), self.memberships())

    def joinable(self) -> list[tuple[int, int]]:
        """(user, live program) pairs where the user is not an active member."""
        return [
            (user, program)
            for user in self.model.users
            for program in self.live_programs()
            if getattr(self.model.row_of(user, program), "status", None) != ACTIVE
        ]

    def live_programs(self) -> list[int]:
        return sorted(p.id for p in self.model.programs.values() if not p.archived)

    def partners(self, program: int) -> list[int]:
        """The other live programs of the program's shop: what it may merge with."""
        shop = self.model.programs[program].shop
        return [
            p for p in self.live_programs() if p != program and self.model.programs[p].shop == shop
        ]

    def offered(self, *, group: bool) -> list[int]:
        return sorted(
            r.id for r in self.model.rewards.values() if not r.deleted and r.spec.is_group == group
        )

    def shop_of(self, membership: int) -> int:
        return self.model.programs[self.model.memberships[membership].program].shop

    def live_rewards(self, shop: int, *, group: bool) -> list[int]:
        return sorted(
            r.id
            for r in self.model.rewards.values()
            if r.shop == shop and not r.deleted and r.spec.is_group == group
        )

    # --- Programs and points -----------------------------------------------------------------

    @precondition(lambda self: self.joinable())
    @rule(which=PICK, stray=STRAY)
    def join(self, which: int, stray: bool) -> None:
        model = self.model
        everything = [(u, p) for u in model.users for p in sorted(model.programs)]
        user, program = prefer(which, stray, self.joinable(), everything)
        ok, membership_id = self.attempt(
            "join",
            model.check_join(user, program),
            lambda: programs.join(self.user(user), program, now=self.clock.now).id,
        )
        if ok:
            model.apply_join(user, program, membership_id)

    @precondition(lambda self: self.memberships(active=True))
    @rule(which=PICK, stray=STRAY)
    def leave(self, which: int, stray: bool) -> None:
        membership = self.member(which, stray)
        user = self.model.memberships[membership].user
        ok, _ = self.attempt(
            "leave",
            self.model.check_leave(membership),
            lambda: programs.end_membership(self.user(user), membership, now=self.clock.now),
        )
        if ok:
            self.model.apply_leave(membership)

    @rule(which=PICK, amount=st.integers(-30, 30).filter(bool))
    def adjust(self, which: int, amount: int) -> None:
        membership = pick(self.memberships(), which)
        ok, _ = self.attempt(
            "adjust",
            self.model.check_adjust(membership, amount),
            lambda: ledger_services.adjust(
                self.user(self.model.owner), membership, amount=amount, note="model adjustment"
            ),
        )
        if ok:
            self.model.apply_adjust(membership, amount)

    @precondition(lambda self: any(self.partners(p) for p in self.live_programs()))
    @rule(into=PICK, away=PICK, stray=STRAY)
    def merge_programs(self, into: int, away: int, stray: bool) -> None:
        live, everything = self.live_programs(), sorted(self.model.programs)
        target = prefer(into, stray, [p for p in live if self.partners(p)], everything)
        source = prefer(away, stray, self.partners(target), everything)
        ok, _ = self.attempt(
            "merge_programs",
            self.model.check_merge_programs(target, source),
            lambda: flows_merges.merge_programs(
                self.user(self.model.owner),
                target_id=target,
                source_id=source,
                now=self.clock.now,
            ),
        )
        if ok:
            self.model.apply_merge_programs(target, source)

    @precondition(lambda self: sum(not s.deleted for s in self.model.shops.values()) > 1)
    @rule(into=PICK, away=PICK, stray=STRAY)
    def merge_shops(self, into: int, away: int, stray: bool) -> None:
        everything = sorted(self.model.shops)
        live = [s for s in everything if not self.model.shops[s].deleted]
        target = prefer(into, stray, live, everything)
        source = prefer(away, stray, [s for s in live if s != target], everything)
        ok, _ = self.attempt(
            "merge_shops",
            self.model.check_merge_shops(target, source),
            lambda: flows_merges.merge_shops(
                self.user(self.model.owner),
                target_id=target,
                source_id=source,
                now=self.clock.now,
            ),
        )
        if ok:
            self.model.apply_merge_shops(target, source)

    # --- Stamps ------------------------------------------------------------------------------

    @precondition(lambda self: self.memberships(active=True))
    @rule(
        which=PICK,
        what=PICK,
        stray=STRAY,
        quantity=st.sampled_from([1, 1, 1, 2, 3, 4]),
        partial=st.integers(0, 4).map(lambda n: n == 0),
        by_owner=st.booleans(),
    )
    def stamp(
        self, which: int, what: int, stray: bool, quantity: int, partial: bool, by_owner: bool
    ) -> None:
        """Stamped by the shop's owner, or by the member (in a program where members stamp
        themselves, the default)."""
        membership = self.member(which, stray)
        program = self.model.memberships[membership].program
        mine = sorted(t.id for t in self.model.tasks.values() if t.program == program)
        task = prefer(what, stray, mine, sorted(self.model.tasks))
        actor = self.model.owner if by_owner else self.model.memberships[membership].user
        ok, result = self.attempt(
            "stamp",
            self.model.check_stamp(membership, task, quantity, partial),
            lambda: tasks.stamp_task(
                self.user(actor),
                task_id=task,
                membership_id=membership,
                quantity=quantity,
                partial=partial,
                now=self.clock.now,
            ),
        )
        if ok:
            made = self.model.apply_stamp(membership, task, quantity, partial, result.stamp.id)
            assert result.points == made.points, (result.points, made)

    @precondition(lambda self: any(s.live for s in self.model.stamps.values()))
    @rule(which=PICK, stray=STRAY)
    def revoke(self, which: int, stray: bool) -> None:
        live = sorted(s.id for s in self.model.stamps.values() if s.live)
        stamp_id = prefer(which, stray, live, sorted(self.model.stamps))
        ok, _ = self.attempt(
            "revoke",
            self.model.check_revoke(stamp_id),
            lambda: tasks.revoke_stamp(
                self.user(self.model.owner), stamp_id=stamp_id, now=self.clock.now
            ),
        )
        if ok:
            self.model.apply_revoke(stamp_id)

    # --- Rewards -----------------------------------------------------------------------------

    @precondition(lambda self: self.memberships(active=True) and self.offered(group=False))
    @rule(which=PICK, what=PICK, stray=STRAY, quantity=st.integers(1, 3))
    def redeem(self, which: int, what: int, stray: bool, quantity: int) -> None:
        self._redeem("redeem", which, what, stray, quantity, None)

    @precondition(lambda self: self.memberships(active=True) and self.offered(group=False))
    @rule(which=PICK, what=PICK, stray=STRAY, to=PICK)
    def gift(self, which: int, what: int, stray: bool, to: int) -> None:
        self._redeem("gift", which, what, stray, 1, to)

    def _redeem(
        self, kind: str, which: int, what: int, stray: bool, quantity: int, to: int | None
    ) -> None:
        """Redeem, or with ``to`` give as a gift to someone (else, unless stray)."""
        model = self.model
        membership = self.member(which, stray)
        user = model.memberships[membership].user
        offered = self.live_rewards(self.shop_of(membership), group=False)
        giftable = [r for r in offered if to is None or model.rewards[r].spec.giftable]
        reward = prefer(
            what, stray, giftable, offered, self.offered(group=False), sorted(model.rewards)
        )
        gift_to = None
        if to is not None:
            people = [model.owner, *model.users]
            gift_to = prefer(to, stray, [p for p in people if p != user], people)
        ok, redemption_id = self.attempt(
            kind,
            self.model.check_redeem(membership, reward, quantity, gift_to),
            lambda: (
                redeeming.redeem(
                    self.user(user),
                    reward_id=reward,
                    membership_id=membership,
                    quantity=quantity,
                    gift_to_user_id=gift_to,
                    now=self.clock.now,
                ).id
            ),
        )
        if ok:
            self.model.apply_redeem(membership, reward, quantity, gift_to, redemption_id)

    @precondition(lambda self: self.memberships(active=True) and self.offered(group=True))
    @rule(which=PICK, what=PICK, stray=STRAY, points=st.integers(1, 30))
    def contribute(self, which: int, what: int, stray: bool, points: int) -> None:
        membership = self.member(which, stray)
        pots = self.live_rewards(self.shop_of(membership), group=True)
        reward = prefer(what, stray, pots, self.offered(group=True), sorted(self.model.rewards))
        user = self.model.memberships[membership].user

        def work() -> tuple[int, dict[int, int]]:
            done = contributing.contribute(
                self.user(user),
                reward_id=reward,
                membership_id=membership,
                points=points,
                now=self.clock.now,
            )
            receipts = {r.paid_by_membership_id: r.id for r in done.receipts}
            return done.contribution.id, receipts

        ok, result = self.attempt(
            "contribute", self.model.check_contribute(membership, reward, points), work
        )
        if ok:
            contribution_id, receipts = result
            shares = self.model.apply_contribute(membership, reward, points, contribution_id)
            assert receipts.keys() == shares.keys(), (receipts, shares)
            if shares:
                self.model.complete_round(reward, receipts)

    @precondition(lambda self: any(not r.cancelled for r in self.model.redemptions.values()))
    @rule(which=PICK, stray=STRAY)
    def cancel(self, which: int, stray: bool) -> None:
        issued = sorted(r.id for r in self.model.redemptions.values() if not r.cancelled)
        redemption = prefer(which, stray, issued, sorted(self.model.redemptions))
        ok, _ = self.attempt(
            "cancel",
            self.model.check_cancel(redemption),
            lambda: redeeming.cancel_redemption(
                self.user(self.model.owner),
                redemption_id=redemption,
                reason="model",
                now=self.clock.now,
            ),
        )
        if ok:
            self.model.apply_cancel(redemption)

    @precondition(lambda self: self.offered(group=False) or self.offered(group=True))
    @rule(which=PICK, stray=STRAY)
    def delete_reward(self, which: int, stray: bool) -> None:
        # Group rewards with points in their pot first: their refund is what is at stake.
        live = sorted(r.id for r in self.model.rewards.values() if not r.deleted)
        pots = [r for r in live if self.model.rewards[r].progress]
        reward = prefer(which, stray, pots, live, sorted(self.model.rewards))
        ok, _ = self.attempt(
            "delete_reward",
            self.model.check_delete_reward(reward),
            lambda: rewards.delete_reward(
                self.user(self.model.owner), reward_id=reward, now=self.clock.now
            ),
        )
        if ok:
            self.model.apply_delete_reward(reward)

    @precondition(lambda self: len(self.offered(group=False) + self.offered(group=True)) < 6)
    @rule(where=PICK, spec=reward_specs)
    def create_reward(self, where: int, spec: RewardSpec) -> None:
        shop = pick(sorted(self.model.shops), where)
        ok, reward_id = self.attempt(
            "create_reward",
            self.model.check_create_reward(shop),
            lambda: (
                rewards.create_reward(
                    self.user(self.model.owner),
                    shop_id=shop,
                    fields={"name": "Model reward", **spec.fields()},
                    now=self.clock.now,
                ).id
            ),
        )
        if ok:
            self.model.apply_create_reward(shop, spec, reward_id)

    # --- After every step --------------------------------------------------------------------

    @invariant()
    def agrees_with_the_model(self) -> None:
        model = self.model
        with self.app.app_context():
            now = model_snapshot.read(model)
            discrepancies = find_discrepancies()
            usage = self._usage()
        problems: dict[str, Any] = {}
        if discrepancies:
            problems["ledger"] = discrepancies
        differences = now.differences(model_snapshot.expected(model, now.entries))
        if differences:
            problems["model"] = differences
        if usage != model.usage():
            problems["usage"] = (usage, model.usage())
        negative = [e for e in now.entries.values() if e[2] < 0] + [
            m for m in now.memberships.values() if m[3] < 0
        ]
        if negative:
            problems["negative"] = negative
        pots = Counter[int]()
        for reward, _, _, points, _, status, _ in now.contributions.values():
            if status == "open":
                pots[reward] += points
        if {r: row[2] for r, row in now.rewards.items() if row[2]} != dict(pots):
            problems["pots"] = (now.rewards, dict(pots))
        if self.seen is not None:
            changed = {
                i: (row, now.entries.get(i))
                for i, row in self.seen.entries.items()
                if now.entries.get(i) != row
            }
            if changed:
                problems["entries_changed"] = changed
            if self.refused and self.seen != now:
                problems["refusal_changed"] = self.seen.differences(now)
        if problems:
            self.figures.discrepancies += 1
            raise AssertionError(f"the database and the model disagree: {problems}")
        self.seen = now

    def _usage(self) -> dict[tuple[int, int | None], int]:
        """The usage of each limited reward, per payer and in all (payer None), as counted
        by the service that enforces the limits."""
        payers: dict[int, set[int]] = {}
        for receipt in self.model.redemptions.values():
            spec = self.model.rewards[receipt.reward].spec
            if spec.user_limit is not None or spec.group_limit is not None:
                payers.setdefault(receipt.payer, set()).add(receipt.reward)
        counts: dict[tuple[int, int | None], int] = {}
        for user, reward_ids in payers.items():
            paid = [db.session.get(Reward, reward_id) for reward_id in sorted(reward_ids)]
            found = [reward for reward in paid if reward is not None]
            settings_of = {r.id: load_settings(r.schedule_settings) for r in found}
            usage = loading.usage_of(found, settings_of, UTC_ZONE, self.clock.now, user)
            counts |= {(r, user): u.user_used for r, u in usage.items() if u.user_used}
            counts |= {(r, None): u.group_used for r, u in usage.items() if u.group_used}
        return counts


def test_random_sequences_agree_with_the_model(
    committed: Flask,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock, figures = Clock(), Figures()
    monkeypatch.setattr("stampbook.core.clock.now", lambda: clock.now)

    class Machine(StampbookMachine):
        def __init__(self) -> None:
            super().__init__(committed, figures, clock)

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
        figures.seconds = time.monotonic() - started
        with committed.app_context():
            backend = db.dialect
        (tmp_path / "model_based_figures.json").write_text(
            json.dumps({"backend": backend, "soak": SOAK, **figures.as_dict()}, indent=2)
        )
        with capsys.disabled():
            print("\n" + figures.report(backend))
    assert figures.discrepancies == 0
    assert figures.examples >= 1
