"""Bench data, loaded with set-based INSERT ... SELECT (no API, no ORM): seconds, not hours.

Shop 1 / program 1 is the one the load hits in both sizes; the large size adds 99 more shops
around it so every query must find its rows among 1,000,000 memberships and 10,000,000 entries.
Balances are set from the entries' sums, so ``stampbook doctor`` holds from the start.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from stampbook.accounts.passwords import hash_password

TOKEN_PREFIX = "sb_bench_"
# The bench shop's online store: program 1 is its points program (a point per dollar).
SHOPIFY_DOMAIN = "bench-store.myshopify.com"
SHOPIFY_SECRET = "bench-shopify-app-secret"
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Ann",
    "Barbara",
    "Bjarne",
    "Brian",
    "Carol",
    "Claude",
    "Dennis",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "Guido",
    "Hedy",
    "Ivan",
    "Jean",
    "John",
    "Ken",
    "Linus",
    "Lynn",
    "Margaret",
    "Mary",
    "Niklaus",
    "Radia",
    "Rosalind",
    "Shafi",
    "Sophie",
    "Tim",
    "Whitfield",
]
LAST_NAMES = [
    "Allen",
    "Backus",
    "Cerf",
    "Dijkstra",
    "Engelbart",
    "Floyd",
    "Goldberg",
    "Hopper",
    "Iverson",
    "Jones",
    "Kay",
    "Lamport",
    "Liskov",
    "McCarthy",
    "Naur",
    "Ousterhout",
    "Perlman",
    "Ritchie",
    "Stroustrup",
    "Thompson",
    "Ullman",
    "Van Rossum",
    "Wirth",
    "Yao",
    "Zuse",
]


@dataclass(frozen=True)
class Size:
    name: str
    shops: int
    members_per_shop: int
    entries_per_member: int  # for members outside the loaded sample
    tasks_per_shop: int = 20
    rewards_per_shop: int = 20
    rewards_in_bench_shop: int = 50
    history_members: int = 1000  # members of shop 1 the load uses, each with 60 entries


SIZES = {
    "small": Size("small", shops=1, members_per_shop=1_000, entries_per_member=10),
    "large": Size("large", shops=100, members_per_shop=10_000, entries_per_member=10),
}


def token_secret(user_id: int) -> str:
    return f"{TOKEN_PREFIX}{user_id}"


def _sql(connection: Connection, statement: str, **params: object) -> None:
    connection.execute(text(statement), params)


def load(connection: Connection, size: Size) -> None:
    """Fill an empty, migrated database. Users 1..N are members; user 0-offset owners follow."""
    members = size.shops * size.members_per_shop
    _sql(connection, "SET synchronous_commit = off")
    first = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST_NAMES) + "]"
    last = "ARRAY[" + ",".join(f"'{n}'" for n in LAST_NAMES) + "]"
    # Members are users 1..members; the owners of the shops come after them.
    _sql(
        connection,
        f"""
        INSERT INTO users (id, email, name, time_zone, password_hash, privacy_settings,
                           order_settings, is_admin, created_at)
        SELECT i, 'user' || i || '@example.com',
               ({first})[1 + i % {len(FIRST_NAMES)}] || ' '
                   || ({last})[1 + (i / 7) % {len(LAST_NAMES)}],
               'Europe/Madrid', :hash, '{{}}', '{{}}', false, now()
        FROM generate_series(1, :members + :shops) AS i
    """,
        hash=hash_password("bench-password"),
        members=members,
        shops=size.shops,
    )
    _sql(
        connection,
        """
        INSERT INTO shops (id, created_by, name, privacy_mode, time_zone, availability_schedule,
                           order_reward_ids, order_program_ids, created_at)
        SELECT s, :members + s, 'Shop ' || s, 'public', 'Europe/Madrid', '[]', '[]', '[]', now()
        FROM generate_series(1, :shops) AS s
    """,
        members=members,
        shops=size.shops,
    )
    _sql(
        connection,
        """
        INSERT INTO programs (id, shop_id, created_by, name, privacy_mode, membership_mode,
                              stamp_system_type, created_at)
        SELECT s, s, :members + s, 'Program ' || s, 'public', 'public', 'self', now()
        FROM generate_series(1, :shops) AS s
    """,
        members=members,
        shops=size.shops,
    )
    _sql(
        connection,
        """
        INSERT INTO memberships (id, program_id, user_id, role_type, permission_settings, status,
                                 balance, card_code, created_at)
        SELECT i, 1 + (i - 1) / :per_shop, i, 'member', '{}', 'active', 0,
               'BENCH' || lpad(i::text, 27, '0'), now()
        FROM generate_series(1, :members) AS i
    """,
        per_shop=size.members_per_shop,
        members=members,
    )
    _sql(
        connection,
        """
        INSERT INTO tasks (program_id, created_by, name, privacy_mode, point_value,
                           allows_partial, allows_multiple, availability_settings, bonus_values,
                           created_at)
        SELECT s, :members + s, 'Task ' || t, 'public', 5, false, false, '{}', '{}', now()
        FROM generate_series(1, :shops) AS s, generate_series(1, :tasks) AS t
        ORDER BY s, t
    """,
        members=members,
        shops=size.shops,
        tasks=size.tasks_per_shop,
    )
    _sql(
        connection,
        """
        INSERT INTO rewards (shop_id, created_by, name, summary, cost, schedule_settings,
                             is_group_reward, can_contribute, is_giftable, group_round,
                             group_progress, created_at)
        SELECT s, :members + s, 'Reward ' || r, 'A reward to redeem', 10 * r, '{}', false,
               true, false, 1, 0, now()
        FROM generate_series(1, :shops) AS s,
             generate_series(1, CASE WHEN s = 1 THEN :bench_rewards ELSE :rewards END) AS r
        ORDER BY s, r
    """,
        members=members,
        shops=size.shops,
        rewards=size.rewards_per_shop,
        bench_rewards=size.rewards_in_bench_shop,
    )
    # History: every member earns entries_per_member stamps' worth; the loaded sample of
    # shop 1 gets 60 entries (a full history page and more) and a large balance to spend.
    _sql(
        connection,
        """
        INSERT INTO ledger_entries (membership_id, amount, balance_after, kind, cause_type,
                                    created_at)
        SELECT m, 5, 5 * k, 'stamp', 'stamp', now() - make_interval(hours => 1000 - k)
        FROM generate_series(1, :members) AS m,
             generate_series(1, CASE WHEN m <= :sample THEN 60 ELSE :per_member END) AS k
        ORDER BY m, k
    """,
        members=members,
        sample=size.history_members,
        per_member=size.entries_per_member,
    )
    _sql(
        connection,
        """
        INSERT INTO ledger_entries (membership_id, amount, balance_after, kind, note, created_at)
        SELECT m, 1000000000, 300 + 1000000000, 'adjustment', 'bench budget', now()
        FROM generate_series(1, :sample) AS m
    """,
        sample=size.history_members,
    )
    # One stamp per membership (1,000,000 at the large size), on its program's first task.
    _sql(
        connection,
        """
        INSERT INTO stamps (task_id, membership_id, stamped_by, quantity, partial, points,
                            local_date, time_zone, created_at)
        SELECT t.id, m.id, m.user_id, 1, false, 5, current_date, 'Europe/Madrid', now()
        FROM memberships m
        JOIN LATERAL (SELECT id FROM tasks WHERE program_id = m.program_id ORDER BY id LIMIT 1) t
          ON true
    """,
    )
    _sql(
        connection,
        """
        UPDATE memberships m
        SET balance = e.total, points_earned = e.earned, points_spent = e.spent
        FROM (SELECT membership_id, sum(amount) AS total,
                     sum(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS earned,
                     sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS spent
              FROM ledger_entries GROUP BY membership_id) e
        WHERE e.membership_id = m.id
    """,
    )
    # API tokens for the sample and for the bench shop's owner.
    _sql(
        connection,
        """
        INSERT INTO tokens (user_id, kind, secret_hash, created_at, expires_at)
        SELECT u, 'api', encode(sha256(convert_to(:prefix || u, 'UTF8')), 'hex'), now(),
               now() + interval '30 days'
        FROM (SELECT generate_series(1, :sample) AS u UNION ALL SELECT :members + 1) AS who
    """,
        prefix=TOKEN_PREFIX,
        sample=size.history_members,
        members=members,
    )
    _sql(
        connection,
        """
        INSERT INTO earning_rules (program_id, kind, points, per_amount, include_shipping,
            include_taxes, created_at)
        VALUES (1, 'purchase', 1, 100, false, false, now())
    """,
    )
    _sql(
        connection,
        """
        INSERT INTO integrations (shop_id, kind, shop_domain, secret, program_id, created_by,
            created_at)
        VALUES (1, 'shopify', :domain, :secret, 1, :owner, now())
    """,
        domain=SHOPIFY_DOMAIN,
        secret=SHOPIFY_SECRET,
        owner=owner_id(size),
    )
    for table in (
        "users",
        "shops",
        "programs",
        "memberships",
        "tasks",
        "rewards",
        "ledger_entries",
        "stamps",
        "tokens",
        "earning_rules",
        "integrations",
    ):
        _sql(
            connection,
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))",
        )


def owner_id(size: Size) -> int:
    return size.shops * size.members_per_shop + 1
