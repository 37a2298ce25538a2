"""The in-memory model that the model-based test holds the services to (reliability case 10).

It is written from the documented behaviour (DESIGN.md sections 3 and 5, the services' and
rules' docstrings), not from the services' code. For each operation, ``check_*`` says whether
it must be refused and with which stable code (None: it must succeed); ``apply_*`` then
applies the effect a successful call must have had. The test compares the database with this
model after every step.

The world is small on purpose (one owner, three members, three shops, three programs), so that
random sequences keep running into each other: the same balance pays, is refunded, moves in a
merge and is taken back by a revocation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

ACTIVE, LEFT, ARCHIVED = "active", "left", "archived"
OPEN, COMPLETED, REFUNDED = "open", "completed", "refunded"
FIRST_TIME, COMPLETION = "first_time", "completion"


@dataclass
class Shop:
    id: int
    deleted: bool = False
    merged_into: int | None = None


@dataclass
class Program:
    id: int
    shop: int
    archived: bool = False
    merged_into: int | None = None


@dataclass
class Membership:
    id: int
    user: int
    program: int
    status: str = ACTIVE
    balance: int = 0


@dataclass(frozen=True)
class TaskSpec:
    """The options of a task the machine exercises: a maximum per stamp, a target with its
    completion bonus, a first-time bonus and partial credit."""

    point_value: int
    partial_value: int | None = None  # None: no partial credit
    max_per_stamp: int = 1  # above 1: allows_multiple with this max_multiple
    target: int | None = None
    reach_total: int = 0
    first_time: int = 0

    def fields(self) -> dict[str, Any]:
        """The task's options as the API and ``make_task`` take them."""
        fields: dict[str, Any] = {
            "point_value": self.point_value,
            "target": self.target,
            "bonus_values": {"reach_total": self.reach_total, "first_time_only": self.first_time},
        }
        if self.partial_value is not None:
            fields |= {"allows_partial": True, "point_value_partial": self.partial_value}
        if self.max_per_stamp > 1:
            fields |= {"allows_multiple": True, "max_multiple": self.max_per_stamp}
        return fields


@dataclass
class Task:
    id: int
    program: int
    spec: TaskSpec


@dataclass
class Stamp:
    id: int
    task: int
    membership: int
    quantity: int
    base: int  # the base value credited (its own ledger entry when not 0)
    points: int  # base plus the bonuses paid with it
    live: bool = True


@dataclass
class Award:
    stamp: int
    points: int


@dataclass(frozen=True)
class RewardSpec:
    cost: int
    stock: int | None = None
    user_limit: int | None = None
    group_limit: int | None = None
    giftable: bool = False
    is_group: bool = False

    def fields(self) -> dict[str, Any]:
        return {
            "cost": self.cost,
            "quantity": self.stock,
            "user_limit": self.user_limit,
            "group_limit": self.group_limit,
            "is_giftable": self.giftable,
            "is_group_reward": self.is_group,
        }


@dataclass
class Reward:
    id: int
    shop: int
    spec: RewardSpec
    stock: int | None = None
    deleted: bool = False
    progress: int = 0
    round: int = 1

    @property
    def cost(self) -> int:
        return self.spec.cost


@dataclass
class Redemption:
    id: int
    reward: int
    membership: int  # the membership that paid
    payer: int  # its user
    owner: int  # who holds the receipt (the recipient of a gift)
    quantity: int
    points: int
    round: int | None = None  # the completion of a group reward it belongs to
    cancelled: bool = False


@dataclass
class Contribution:
    id: int
    reward: int
    membership: int
    user: int
    points: int
    round: int
    status: str = OPEN
    receipt: int | None = None


@dataclass
class Model:
    owner: int = 0
    users: list[int] = field(default_factory=list)
    shops: dict[int, Shop] = field(default_factory=dict)
    programs: dict[int, Program] = field(default_factory=dict)
    memberships: dict[int, Membership] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    stamps: dict[int, Stamp] = field(default_factory=dict)
    # (task, membership) -> bonus key -> the award paid
    awards: defaultdict[tuple[int, int], dict[str, Award]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    rewards: dict[int, Reward] = field(default_factory=dict)
    redemptions: dict[int, Redemption] = field(default_factory=dict)
    contributions: dict[int, Contribution] = field(default_factory=dict)

    # --- Queries ----------------------------------------------------------------------------

    def row_of(self, user: int, program: int) -> Membership | None:
        """The user's membership in the program, whatever its status (one row per user)."""
        return next(
            (m for m in self.memberships.values() if m.user == user and m.program == program),
            None,
        )

    def live_stamps(self, task: int, membership: int) -> list[Stamp]:
        return [
            s
            for s in self.stamps.values()
            if s.live and (s.task, s.membership) == (task, membership)
        ]

    def used(self, reward: Reward, payer: int | None = None) -> int:
        """What counts against a limit: units redeemed, or completions of a group reward."""
        receipts = [
            r
            for r in self.redemptions.values()
            if r.reward == reward.id and not r.cancelled and payer in (None, r.payer)
        ]
        if reward.spec.is_group:
            return len({r.round for r in receipts})
        return sum(r.quantity for r in receipts)

    def usage(self) -> dict[tuple[int, int | None], int]:
        """What counts against the limits of each limited reward that was paid for, per
        payer and in all (payer None)."""
        counts: dict[tuple[int, int | None], int] = {}
        for reward in self.rewards.values():
            if reward.spec.user_limit is None and reward.spec.group_limit is None:
                continue
            for user in {r.payer for r in self.redemptions.values() if r.reward == reward.id}:
                counts[(reward.id, user)] = self.used(reward, user)
                counts[(reward.id, None)] = self.used(reward)
        return {key: value for key, value in counts.items() if value}

    def open_pot(self, reward: int) -> list[Contribution]:
        return [c for c in self.contributions.values() if c.reward == reward and c.status == OPEN]

    def _payer_refusal(self, membership: Membership, reward: Reward) -> str | None:
        """Paying needs one's own active membership in a program of the reward's shop."""
        if reward.deleted:
            return "not_found"
        in_shop = self.programs[membership.program].shop == reward.shop
        return None if in_shop and membership.status == ACTIVE else "forbidden"

    # --- Programs and memberships ---------------------------------------------------------

    def check_join(self, user: int, program: int) -> str | None:
        row, target = self.row_of(user, program), self.programs[program]
        if target.archived:
            # Read-only; seen by former members and by whoever sees the live program it
            # was merged into.
            into = target.merged_into
            seen = row is not None or (into is not None and not self.programs[into].archived)
            return "archived" if seen else "not_found"
        if row is not None and row.status == ACTIVE:
            return "already_member"
        return None

    def apply_join(self, user: int, program: int, membership_id: int) -> None:
        row = self.row_of(user, program)
        if row is None:
            self.memberships[membership_id] = Membership(membership_id, user, program)
            return
        assert row.id == membership_id, "rejoining must reuse the membership row"
        row.status = ACTIVE

    def check_leave(self, membership: int) -> str | None:
        return None if self.memberships[membership].status == ACTIVE else "forbidden"

    def apply_leave(self, membership: int) -> None:
        self.memberships[membership].status = LEFT

    def check_adjust(self, membership: int, amount: int) -> str | None:
        return "insufficient_points" if self.memberships[membership].balance + amount < 0 else None

    def apply_adjust(self, membership: int, amount: int) -> None:
        self.memberships[membership].balance += amount

    def check_merge_programs(self, target: int, source: int) -> str | None:
        if target == source:
            return "same_program"
        into, away = self.programs[target], self.programs[source]
        if into.shop != away.shop:
            return "different_shops"
        if into.archived or away.archived:
            return "archived"
        return None

    def apply_merge_programs(self, target: int, source: int) -> None:
        """Members of the source only move; a member of both keeps everything in the target
        membership: the sum of the balances (the source's moves by a transfer), its stamps,
        bonuses, receipts and contributions; and is active if active in either."""
        in_target = {m.user: m for m in self.memberships.values() if m.program == target}
        moved: dict[int, int] = {}
        for membership in sorted(
            (m for m in self.memberships.values() if m.program == source), key=lambda m: m.id
        ):
            twin = in_target.get(membership.user)
            if twin is None:
                membership.program = target
                continue
            twin.balance += membership.balance
            membership.balance = 0
            if ACTIVE in (twin.status, membership.status):
                twin.status = ACTIVE
            membership.status = ARCHIVED
            moved[membership.id] = twin.id
        # What the member paid from the source membership follows them too: a refund
        # (cancelled receipt, deleted or expired pot) lands where their points are now.
        for receipt in self.redemptions.values():
            receipt.membership = moved.get(receipt.membership, receipt.membership)
        for part in self.contributions.values():
            part.membership = moved.get(part.membership, part.membership)
        # Tasks move with their stamps and bonuses, which follow the member to the twin.
        for task in self.tasks.values():
            if task.program != source:
                continue
            task.program = target
            for stamp in self.stamps.values():
                if stamp.task == task.id and stamp.membership in moved:
                    stamp.membership = moved[stamp.membership]
            for old, new in moved.items():
                if (task.id, old) in self.awards:
                    self.awards[(task.id, new)] = self.awards.pop((task.id, old))
        self.programs[source].archived = True
        self.programs[source].merged_into = target

    def check_merge_shops(self, target: int, source: int) -> str | None:
        if self.shops[target].deleted or self.shops[source].deleted:
            return "not_found"  # a deleted shop is seen by nobody
        return "same_shop" if target == source else None

    def apply_merge_shops(self, target: int, source: int) -> None:
        for program in self.programs.values():
            if program.shop == source:
                program.shop = target
        for reward in self.rewards.values():
            if reward.shop == source:
                reward.shop = target
        self.shops[source].deleted = True
        self.shops[source].merged_into = target

    # --- Stamps ----------------------------------------------------------------------------

    def check_stamp(self, membership: int, task: int, quantity: int, partial: bool) -> str | None:
        member, stamped = self.memberships[membership], self.tasks[task]
        if member.program != stamped.program:
            return "not_found"
        if member.status != ACTIVE:
            return "membership_inactive"
        spec = stamped.spec
        if partial and spec.partial_value is None:
            return "partial_not_allowed"
        if quantity > spec.max_per_stamp:
            return "max_reached"
        done = sum(s.quantity for s in self.live_stamps(task, membership))
        if spec.target is not None and quantity > max(spec.target - done, 0):
            return "max_reached"
        return None

    def apply_stamp(
        self, membership: int, task: int, quantity: int, partial: bool, stamp_id: int
    ) -> Stamp:
        spec = self.tasks[task].spec
        history = self.live_stamps(task, membership)
        awarded = self.awards[(task, membership)]
        unit = (spec.partial_value or 0) if partial else spec.point_value
        base = unit * quantity
        paid: dict[str, int] = {}
        if spec.first_time and not history and FIRST_TIME not in awarded:
            paid[FIRST_TIME] = spec.first_time
        total = sum(s.quantity for s in history) + quantity
        reached = spec.target is not None and total >= spec.target
        if spec.reach_total and reached and COMPLETION not in awarded:
            paid[COMPLETION] = spec.reach_total
        for key, points in paid.items():
            awarded[key] = Award(stamp_id, points)
        stamp = Stamp(stamp_id, task, membership, quantity, base, base + sum(paid.values()))
        self.stamps[stamp_id] = stamp
        self.memberships[membership].balance += stamp.points
        return stamp

    def revocation(self, stamp: Stamp) -> tuple[int, set[str]]:
        """What revoking takes back: the base, the stamp's own bonuses, and the one-time
        bonuses (first time, completion) that the remaining stamps no longer earn."""
        spec = self.tasks[stamp.task].spec
        awarded = self.awards[(stamp.task, stamp.membership)]
        own = {key for key, award in awarded.items() if award.stamp == stamp.id}
        remaining = [s for s in self.live_stamps(stamp.task, stamp.membership) if s.id != stamp.id]
        lost = set()
        if FIRST_TIME in awarded and not remaining:
            lost.add(FIRST_TIME)
        left = sum(s.quantity for s in remaining)
        if COMPLETION in awarded and spec.target is not None and left < spec.target:
            lost.add(COMPLETION)
        keys = own | lost
        return stamp.base + sum(awarded[key].points for key in keys), keys

    def check_revoke(self, stamp_id: int) -> str | None:
        stamp = self.stamps[stamp_id]
        if not stamp.live:
            return "already_revoked"
        taken, _ = self.revocation(stamp)
        # The points are taken from the membership that holds the stamp now.
        if self.memberships[stamp.membership].balance < taken:
            return "insufficient_points"
        return None

    def apply_revoke(self, stamp_id: int) -> None:
        stamp = self.stamps[stamp_id]
        taken, keys = self.revocation(stamp)
        awarded = self.awards[(stamp.task, stamp.membership)]
        for key in keys:
            del awarded[key]
        stamp.live = False
        self.memberships[stamp.membership].balance -= taken

    # --- Rewards ---------------------------------------------------------------------------

    def check_create_reward(self, shop: int) -> str | None:
        return "not_found" if self.shops[shop].deleted else None

    def apply_create_reward(self, shop: int, spec: RewardSpec, reward_id: int) -> None:
        self.rewards[reward_id] = Reward(reward_id, shop, spec, stock=spec.stock)

    def check_redeem(
        self, membership: int, reward: int, quantity: int, gift_to: int | None
    ) -> str | None:
        member, wanted = self.memberships[membership], self.rewards[reward]
        refused = self._payer_refusal(member, wanted)
        if refused is not None:
            return refused
        if gift_to is not None:
            if not wanted.spec.giftable:
                return "not_giftable"
            if gift_to == member.user:
                return "gift_to_self"
        if wanted.spec.is_group:
            return "group_reward"
        # The documented order: points, stock, group limit, user limit.
        if member.balance < wanted.cost * quantity:
            return "insufficient_points"
        if wanted.stock is not None and wanted.stock < quantity:
            return "out_of_stock"
        limit = wanted.spec.group_limit
        if limit is not None and self.used(wanted) + quantity > limit:
            return "limit_reached"
        limit = wanted.spec.user_limit
        if limit is not None and self.used(wanted, member.user) + quantity > limit:
            return "limit_reached"
        return None

    def apply_redeem(
        self,
        membership: int,
        reward: int,
        quantity: int,
        gift_to: int | None,
        redemption_id: int,
    ) -> None:
        member, wanted = self.memberships[membership], self.rewards[reward]
        price = wanted.cost * quantity
        member.balance -= price
        if wanted.stock is not None:
            wanted.stock -= quantity
        owner = gift_to if gift_to is not None else member.user
        self.redemptions[redemption_id] = Redemption(
            redemption_id, reward, membership, member.user, owner, quantity, price
        )

    def check_contribute(self, membership: int, reward: int, points: int) -> str | None:
        member, pot = self.memberships[membership], self.rewards[reward]
        refused = self._payer_refusal(member, pot)
        if refused is not None:
            return refused
        if not pot.spec.is_group:
            return "not_contributable"
        take = min(points, pot.cost - pot.progress)
        if member.balance < take:
            return "insufficient_points"
        if pot.stock is not None and pot.stock < 1:
            return "out_of_stock"
        limit = pot.spec.group_limit
        if limit is not None and self.used(pot) + 1 > limit:
            return "limit_reached"
        limit = pot.spec.user_limit
        if limit is not None and self.used(pot, member.user) + 1 > limit:
            return "limit_reached"
        return None

    def apply_contribute(
        self, membership: int, reward: int, points: int, contribution_id: int
    ) -> dict[int, int]:
        """Returns, when the pot filled, the receipt each contributing membership must get
        (membership -> points it put in)."""
        member, pot = self.memberships[membership], self.rewards[reward]
        take = min(points, pot.cost - pot.progress)
        member.balance -= take
        self.contributions[contribution_id] = Contribution(
            contribution_id, reward, membership, member.user, take, pot.round
        )
        pot.progress += take
        if pot.progress < pot.cost:
            return {}
        shares: Counter[int] = Counter()
        for part in self.open_pot(reward):
            shares[part.membership] += part.points
        return dict(shares)

    def complete_round(self, reward: int, receipts: dict[int, int]) -> None:
        """The pot filled: one unit of stock, a receipt per membership (``receipts``:
        membership -> receipt id), and a new empty round."""
        pot = self.rewards[reward]
        if pot.stock is not None:
            pot.stock -= 1
        parts = self.open_pot(reward)
        for membership, receipt_id in receipts.items():
            mine = [c for c in parts if c.membership == membership]
            self.redemptions[receipt_id] = Redemption(
                receipt_id,
                reward,
                membership,
                mine[0].user,
                mine[0].user,
                1,
                sum(c.points for c in mine),
                round=pot.round,
            )
            for part in mine:
                part.status, part.receipt = COMPLETED, receipt_id
        pot.progress, pot.round = 0, pot.round + 1

    def check_cancel(self, redemption: int) -> str | None:
        return "already_cancelled" if self.redemptions[redemption].cancelled else None

    def apply_cancel(self, redemption: int) -> None:
        """Refund and restock once; a group receipt cancels its whole completion."""
        receipt = self.redemptions[redemption]
        reward = self.rewards[receipt.reward]
        if receipt.round is None:
            self.memberships[receipt.membership].balance += receipt.points
            receipts = [receipt]
            units = receipt.quantity
        else:
            receipts = [
                r
                for r in self.redemptions.values()
                if r.reward == receipt.reward and r.round == receipt.round
            ]
            ids = {r.id for r in receipts}
            for part in self.contributions.values():
                if part.receipt in ids:
                    self.memberships[part.membership].balance += part.points
                    part.status = REFUNDED
            units = 1
        if reward.stock is not None:
            reward.stock += units
        for each in receipts:
            each.cancelled = True

    def check_delete_reward(self, reward: int) -> str | None:
        return "not_found" if self.rewards[reward].deleted else None

    def apply_delete_reward(self, reward: int) -> None:
        """A group reward's open contributions are refunded with the deletion."""
        doomed = self.rewards[reward]
        for part in self.open_pot(reward):
            self.memberships[part.membership].balance += part.points
            part.status = REFUNDED
        doomed.progress = 0
        doomed.deleted = True
