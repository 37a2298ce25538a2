"""What VIP tiers cost a stamp and an order (issue 17): the same load on two programs alike
but for their tiers.

A shop of its own (after the lot shop, so no other scenario sees it) runs two twin programs:
the same 20 tasks (5 points, members stamp themselves), the same purchase rule (a point a
dollar), the same members (the dataset's users 1..history_members, each a member of both).
One has tiers on points earned (Silver from 10 points at x1.25, Gold from 100,000 at x1.5,
lifetime): its members rise into Silver during the warm-up, so the measured orders pay the
multiplier as an entry of its own and record it on the order (a stamp is not multiplied:
tiers multiply purchases and activities), and both add to the qualifying totals. The other
has none. Each figure is measured in alternation with its twin (``alternate``), so the
ratio compares like with like. Loaded after the lot shop with explicit ids, derived from the
size, through set-based inserts as the rest of the bench data.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text

from stampbook.bench.dataset import Size, owner_id, token_secret
from stampbook.bench.lots import world as lot_world
from stampbook.bench.wrk import PreparedRequest

TASKS = 20
POINTS = 5
TIERS = (("Silver", 10, 125), ("Gold", 100_000, 150))  # name, threshold, multiplier %


@dataclass(frozen=True)
class TierWorld:
    shop: int
    with_tiers: int  # program ids
    without_tiers: int
    members: int  # users 1..members, a membership of each program each
    first_task: int  # of the program with tiers; its twin's follow
    first_membership: int  # likewise

    def membership(self, program: int, user: int) -> int:
        first = self.first_membership + (0 if program == self.with_tiers else self.members)
        return first + user - 1

    def task(self, program: int, user: int) -> int:
        first = self.first_task + (0 if program == self.with_tiers else TASKS)
        return first + user % TASKS


def world(size: Size) -> TierWorld:
    lots = lot_world(size)
    return TierWorld(
        shop=lots.shop + 1,
        with_tiers=lots.program + 1,
        without_tiers=lots.program + 2,
        members=size.history_members,
        first_task=size.shops * size.tasks_per_shop + 1,
        first_membership=lots.one[-1] + 1,
    )


def _sql(connection: Connection, statement: str, **params: object) -> None:
    connection.execute(text(statement), params)


def load(connection: Connection, size: Size) -> None:
    """Add the tier shop and its twin programs to a database ``lots.load`` filled."""
    tiers = world(size)
    owner = owner_id(size)
    _sql(
        connection,
        """
        INSERT INTO shops (id, created_by, name, privacy_mode, time_zone, availability_schedule,
                           order_reward_ids, order_program_ids, created_at)
        VALUES (:shop, :owner, 'Tier shop', 'public', 'Europe/Madrid', '[]', '[]', '[]', now())
    """,
        shop=tiers.shop,
        owner=owner,
    )
    for program, name in ((tiers.with_tiers, "With tiers"), (tiers.without_tiers, "Without")):
        _sql(
            connection,
            """
            INSERT INTO programs (id, shop_id, created_by, name, privacy_mode, membership_mode,
                                  stamp_system_type, created_at)
            VALUES (:program, :shop, :owner, :name, 'public', 'public', 'self', now())
        """,
            program=program,
            shop=tiers.shop,
            owner=owner,
            name=name,
        )
        first = tiers.membership(program, 1)
        _sql(
            connection,
            """
            INSERT INTO memberships (id, program_id, user_id, role_type, permission_settings,
                                     status, balance, card_code, created_at)
            SELECT :first + u - 1, :program, u, 'member', '{}', 'active', 0,
                   'TIER' || lpad((:first + u - 1)::text, 28, '0'), now()
            FROM generate_series(1, CAST(:members AS bigint)) AS u
        """,
            first=first,
            program=program,
            members=tiers.members,
        )
        _sql(
            connection,
            """
            INSERT INTO tasks (id, program_id, created_by, name, privacy_mode, point_value,
                               allows_partial, allows_multiple, availability_settings,
                               bonus_values, created_at)
            SELECT :first + t - 1, :program, :owner, 'Task ' || t, 'public', :points, false,
                   false, '{}', '{}', now()
            FROM generate_series(1, :tasks) AS t
        """,
            first=tiers.task(program, 0),
            program=program,
            owner=owner,
            points=POINTS,
            tasks=TASKS,
        )
        _sql(
            connection,
            """
            INSERT INTO earning_rules (program_id, kind, points, per_amount, include_shipping,
                include_taxes, created_at)
            VALUES (:program, 'purchase', 1, 100, false, false, now())
        """,
            program=program,
        )
    _sql(
        connection,
        """
        INSERT INTO tier_settings (program_id, basis, period, demote_on_refund,
                                   retention_percent, created_at)
        VALUES (:program, 'points', 'lifetime', false, 90, now())
    """,
        program=tiers.with_tiers,
    )
    for name, threshold, multiplier in TIERS:
        _sql(
            connection,
            """
            INSERT INTO tiers (program_id, name, threshold, multiplier_percent, perks,
                               entry_points, created_at)
            VALUES (:program, :name, :threshold, :multiplier, '[]', 0, now())
        """,
            program=tiers.with_tiers,
            name=name,
            threshold=threshold,
            multiplier=multiplier,
        )
    for table in ("shops", "programs", "memberships", "tasks"):
        _sql(
            connection,
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))",
        )


def stamps(with_tiers: bool) -> Callable[[Size, dict[int, str]], list[PreparedRequest]]:
    """Each member stamps a task of the program, as the stamp scenario does in shop 1."""

    def requests(size: Size, _cookies: dict[int, str]) -> list[PreparedRequest]:
        tiers = world(size)
        program = tiers.with_tiers if with_tiers else tiers.without_tiers
        return [
            PreparedRequest(
                "POST",
                f"/api/v1/tasks/{tiers.task(program, user)}/stamps",
                token_secret(user),
                json.dumps({"membership_id": tiers.membership(program, user)}),
                idempotency_prefix=f"tierstamp{program}-{user}",
            )
            for user in range(1, tiers.members + 1)
        ]

    return requests


# Every load gets orders of its own (``fresh``): a replayed order earns nothing.
_order_numbers = itertools.count(1)


def orders(with_tiers: bool) -> Callable[[Size, dict[int, str]], list[PreparedRequest]]:
    """The shop's till sends paid orders of its members (the owner's token), ten each."""

    def requests(size: Size, _cookies: dict[int, str]) -> list[PreparedRequest]:
        tiers = world(size)
        program = tiers.with_tiers if with_tiers else tiers.without_tiers
        owner = token_secret(owner_id(size))
        made = []
        for _ in range(10):
            for user in range(1, tiers.members + 1):
                number = next(_order_numbers)
                made.append(
                    PreparedRequest(
                        "POST",
                        f"/api/v1/programs/{program}/orders",
                        owner,
                        json.dumps(
                            {
                                "order_id": f"till-{number}",
                                "membership_id": tiers.membership(program, user),
                                "currency": "USD",
                                "subtotal": f"{20 + user % 80}.90",
                                "total": f"{26 + user % 80}.10",
                            }
                        ),
                        idempotency_prefix=f"tierorder{number}",
                    )
                )
        return made

    return requests
