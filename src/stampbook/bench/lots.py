"""A large shop's member with 10,000 lots of expiring points, against one with a single lot.

A shop of its own (after the dataset's, so no other scenario sees it) runs a program whose
points expire ten years after they are earned (``expiry_mode`` days). 64 members hold 10,000
live lots of 100 points each, 64 others one lot of 1,000,000 points: the same balance, one
entry each; 64 rewards of 10 points. The membership read answers the next three expiry dates
off the live lots' index, and a redemption takes from the soonest-expiring lots first
(``ledger.lots``); neither should cost more for the member with many lots. Each side's
members (and each member's reward) are many more than wrk's 16 connections, as in the other
scenarios, so that no one row's lock sets the pace. Loaded after ``dataset.load`` with
explicit ids, derived from the size.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from stampbook.bench.dataset import TOKEN_PREFIX, Size

LOTS = 10_000
MEMBERS = 64  # on each side
BALANCE = 1_000_000
COST = 10
EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class LotWorld:
    shop: int
    program: int
    reward: int  # the first of MEMBERS rewards
    owner: int
    many: tuple[int, ...]  # memberships with LOTS lots each
    one: tuple[int, ...]  # memberships with a single lot each

    def user(self, membership: int) -> int:
        """Membership and user ids run side by side from the first of each."""
        first_membership = min(self.many)
        return self.owner - 2 * MEMBERS + (membership - first_membership)

    def reward_for(self, membership: int) -> int:
        """Each member on a side redeems a reward of its own, as the redemption scenario
        spreads its members over 50: a redemption locks its reward's row, and one reward for
        all would measure that lock alone."""
        return self.reward + (membership - min(self.many)) % MEMBERS


def world(size: Size) -> LotWorld:
    """The ids of the lot shop's rows in a database loaded at ``size``."""
    members = size.shops * size.members_per_shop
    rewards = size.rewards_in_bench_shop + (size.shops - 1) * size.rewards_per_shop
    first = members + 1
    return LotWorld(
        shop=size.shops + 1,
        program=size.shops + 1,
        reward=rewards + 1,
        # Users 1..members are the dataset's members and members + 1..+shops its owners.
        owner=members + size.shops + 2 * MEMBERS + 1,
        many=tuple(range(first, first + MEMBERS)),
        one=tuple(range(first + MEMBERS, first + 2 * MEMBERS)),
    )


def _sql(connection: Connection, statement: str, **params: object) -> None:
    connection.execute(text(statement), params)


def load(connection: Connection, size: Size) -> None:
    """Add the lot shop to a database ``dataset.load`` filled."""
    lots = world(size)
    first_user = lots.user(lots.many[0])
    _sql(
        connection,
        """
        INSERT INTO users (id, email, name, time_zone, password_hash, privacy_settings,
                           order_settings, is_admin, created_at)
        SELECT u, 'lots' || u || '@example.com', 'Lot Keeper ' || u, 'Europe/Madrid',
               (SELECT password_hash FROM users WHERE id = 1), '{}', '{}', false, now()
        FROM generate_series(CAST(:first AS bigint), CAST(:owner AS bigint)) AS u
    """,
        first=first_user,
        owner=lots.owner,
    )
    _sql(
        connection,
        """
        INSERT INTO shops (id, created_by, name, privacy_mode, time_zone, availability_schedule,
                           order_reward_ids, order_program_ids, created_at)
        VALUES (:shop, :owner, 'Lot shop', 'public', 'Europe/Madrid', '[]', '[]', '[]', now())
    """,
        shop=lots.shop,
        owner=lots.owner,
    )
    _sql(
        connection,
        """
        INSERT INTO programs (id, shop_id, created_by, name, privacy_mode, membership_mode,
                              stamp_system_type, expiry_mode, expiry_days, expiry_since,
                              created_at)
        VALUES (:program, :shop, :owner, 'Expiring points', 'public', 'public', 'self', 'days',
                :days, now() - interval '500 days', now())
    """,
        program=lots.program,
        shop=lots.shop,
        owner=lots.owner,
        days=EXPIRY_DAYS,
    )
    _sql(
        connection,
        """
        INSERT INTO memberships (id, program_id, user_id, role_type, permission_settings, status,
                                 balance, points_earned, points_spent, last_activity_at,
                                 card_code, created_at)
        SELECT m, :program, :first_user + (m - :first), 'member', '{}', 'active', :balance,
               :balance, 0, now(), 'LOTS' || lpad(m::text, 28, '0'), now()
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS m
    """,
        program=lots.program,
        first_user=first_user,
        first=lots.many[0],
        last=lots.one[-1],
        balance=BALANCE,
    )
    _sql(
        connection,
        """
        INSERT INTO ledger_entries (membership_id, amount, balance_after, kind, note, created_at)
        SELECT m, :balance, :balance, 'adjustment', 'bench lots', now() - interval '500 days'
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS m
    """,
        first=lots.many[0],
        last=lots.one[-1],
        balance=BALANCE,
    )
    # Lots earned an hour apart over the last 417 days; each expires ten years after.
    _sql(
        connection,
        """
        INSERT INTO point_lots (membership_id, amount, remaining, earned_at, expires_at,
                                entry_id)
        SELECT m, :per_lot, :per_lot, earned, earned + make_interval(days => :days),
               (SELECT id FROM ledger_entries WHERE membership_id = m)
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS m,
             LATERAL (SELECT now() - interval '500 days' + make_interval(hours => k) AS earned
                      FROM generate_series(1, CAST(:lots AS integer)) AS k) AS lot
        ORDER BY m, earned
    """,
        per_lot=BALANCE // LOTS,
        days=EXPIRY_DAYS,
        first=lots.many[0],
        last=lots.many[-1],
        lots=LOTS,
    )
    _sql(
        connection,
        """
        INSERT INTO point_lots (membership_id, amount, remaining, earned_at, expires_at,
                                entry_id)
        SELECT m, :balance, :balance, now() - interval '500 days',
               now() - interval '500 days' + make_interval(days => :days),
               (SELECT id FROM ledger_entries WHERE membership_id = m)
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS m
    """,
        balance=BALANCE,
        days=EXPIRY_DAYS,
        first=lots.one[0],
        last=lots.one[-1],
    )
    _sql(
        connection,
        """
        UPDATE memberships m SET due_at = (SELECT min(expires_at) FROM point_lots
                                           WHERE membership_id = m.id AND remaining > 0)
        WHERE m.program_id = :program
    """,
        program=lots.program,
    )
    _sql(
        connection,
        """
        INSERT INTO rewards (id, shop_id, created_by, name, summary, cost, schedule_settings,
                             is_group_reward, can_contribute, is_giftable, group_round,
                             group_progress, created_at)
        SELECT r, :shop, :owner, 'Coffee ' || r, 'Paid from the soonest-expiring points',
               :cost, '{}', false, true, false, 1, 0, now()
        FROM generate_series(CAST(:reward AS bigint), CAST(:last AS bigint)) AS r
    """,
        reward=lots.reward,
        last=lots.reward + MEMBERS - 1,
        shop=lots.shop,
        owner=lots.owner,
        cost=COST,
    )
    _sql(
        connection,
        """
        INSERT INTO tokens (user_id, kind, secret_hash, created_at, expires_at)
        SELECT u, 'api', encode(sha256(convert_to(:prefix || u, 'UTF8')), 'hex'), now(),
               now() + interval '30 days'
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS u
    """,
        prefix=TOKEN_PREFIX,
        first=first_user,
        last=lots.owner - 1,
    )
    for table in ("users", "shops", "programs", "memberships", "rewards"):
        _sql(
            connection,
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))",
        )
