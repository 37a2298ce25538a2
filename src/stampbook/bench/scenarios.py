"""What the load does: each scenario is a list of prepared requests and the baseline it is
compared with. Members 1..1000 of shop 1 drive it; each request picks one of them."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from stampbook.bench.dataset import (
    FIRST_NAMES,
    SHOPIFY_DOMAIN,
    SHOPIFY_SECRET,
    Size,
    owner_id,
    token_secret,
)
from stampbook.bench.events import check_ins
from stampbook.bench.lots import world as lot_world
from stampbook.bench.tiers import orders as tier_orders
from stampbook.bench.tiers import stamps as tier_stamps
from stampbook.bench.wrk import PreparedRequest
from stampbook.loyalty import shopify

JSON_BASELINE = "bare JSON"
SQL_BASELINE = "bare SQL redemption"
# The outbox's cost on the stamp: the same stamps on the app with its recording off
# (``stampbook.bench.without_outbox``), against the real app.
OUTBOX_BASELINE = "stamp without the outbox"
OUTBOX_SCENARIO = "stamp with the outbox"
STORE_SCENARIO = "Shopify orders/paid"
# Distinct orders per load: more than the fastest run sends, so none is a replay.
STORE_ORDERS_PER_LOAD = 20_000
# Tickets checked in at the door, each once (``bench.events``): issue 18.
CHECK_IN_SCENARIO = "event check-in (door queue)"
# A member with 10,000 lots of expiring points against one with a single lot (``bench.lots``):
# the many-lot figure's baseline is the one-lot figure, measured in alternation with it.
ONE_LOT_READ, MANY_LOTS_READ = "member with 1 lot: read", "member with 10,000 lots: read"
ONE_LOT_REDEEM, MANY_LOTS_REDEEM = "member with 1 lot: redeem", "member with 10,000 lots: redeem"
MANY_LOTS = {MANY_LOTS_READ, MANY_LOTS_REDEEM}
# Stamps and till orders in a program with tiers against its twin without (``bench.tiers``):
# issue 17.
STAMP_WITHOUT_TIERS, STAMP_WITH_TIERS = "stamp, no tiers", "stamp, with tiers"
ORDER_WITHOUT_TIERS, ORDER_WITH_TIERS = "till order, no tiers", "till order, with tiers"
WITH_TIERS = {STAMP_WITH_TIERS, ORDER_WITH_TIERS}


@dataclass(frozen=True)
class Scenario:
    name: str
    server: str  # "app", "baseline" or "without_outbox"
    baseline: str | None  # the scenario whose throughput this one is divided by
    requests: Callable[[Size, dict[int, str]], list[PreparedRequest]]
    page: bool = False
    # Measured against its baseline in the order baseline, this, this, baseline, each as long
    # as the other: for a ratio near 1, where a drift of the machine's speed during the run
    # would otherwise weigh on one side only.
    alternate: bool = False
    # Each load (the warm-up too) gets requests of its own: a replay would do less work.
    fresh: bool = False


def _members(size: Size) -> range:
    return range(1, size.history_members + 1)


def _each_member(
    make: Callable[[int], PreparedRequest],
) -> Callable[[Size, dict[int, str]], list[PreparedRequest]]:
    return lambda size, _cookies: [make(m) for m in _members(size)]


def stamp(m: int) -> PreparedRequest:
    task = 1 + m % 20
    return PreparedRequest(
        "POST",
        f"/api/v1/tasks/{task}/stamps",
        token_secret(m),
        json.dumps({"membership_id": m}),
        idempotency_prefix=f"stamp{m}",
    )


def _redeem(m: int) -> PreparedRequest:
    reward = 1 + m % 50
    return PreparedRequest(
        "POST",
        f"/api/v1/rewards/{reward}/redemptions",
        token_secret(m),
        json.dumps({"membership_id": m}),
        idempotency_prefix=f"redeem{m}",
    )


_order_numbers = itertools.count(1)


def shopify_order(m: int, order_number: int) -> PreparedRequest:
    """Shopify's orders/paid webhook of a new order by the store's customer ``m``, signed as
    Shopify signs it."""
    order_id = 4_000_000_000 + order_number
    customer = {
        "id": 7_000_000_000 + m,
        "admin_graphql_api_id": f"gid://shopify/Customer/{7_000_000_000 + m}",
        "email": f"customer{m}@example.com",
    }
    body = json.dumps(
        {
            "id": order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "email": customer["email"],
            "currency": "USD",
            "financial_status": "paid",
            "test": False,
            "cancelled_at": None,
            "current_subtotal_price": f"{20 + m % 80}.90",
            "total_tax": "1.20",
            "total_price": f"{26 + m % 80}.10",
            "customer": customer,
        }
    )
    return PreparedRequest(
        "POST",
        "/api/v1/integrations/shopify/webhooks",
        body=body,
        headers=(
            (shopify.DOMAIN_HEADER, SHOPIFY_DOMAIN),
            (shopify.TOPIC_HEADER, "orders/paid"),
            (shopify.HMAC_HEADER, shopify.sign(body.encode(), SHOPIFY_SECRET)),
            (shopify.WEBHOOK_ID_HEADER, f"bench-{order_id}"),
        ),
    )


def store_orders(count: int) -> list[PreparedRequest]:
    return [shopify_order(n % 1000 + 1, next(_order_numbers)) for n in range(count)]


def _search(size: Size, _cookies: dict[int, str]) -> list[PreparedRequest]:
    chooser = random.Random(7)
    owner = token_secret(owner_id(size))
    return [
        PreparedRequest(
            "GET", f"/api/v1/shops/1/members?q={chooser.choice(FIRST_NAMES)[:3]}", owner
        )
        for _ in range(500)
    ]


def _home(size: Size, cookies: dict[int, str]) -> list[PreparedRequest]:
    return [PreparedRequest("GET", "/", cookie=cookies[m]) for m in _members(size)]


def _lot_reads(many: bool) -> Callable[[Size, dict[int, str]], list[PreparedRequest]]:
    def requests(size: Size, _cookies: dict[int, str]) -> list[PreparedRequest]:
        lots = lot_world(size)
        return [
            PreparedRequest("GET", f"/api/v1/memberships/{m}", token_secret(lots.user(m)))
            for m in (lots.many if many else lots.one)
        ]

    return requests


def _lot_redemptions(many: bool) -> Callable[[Size, dict[int, str]], list[PreparedRequest]]:
    def requests(size: Size, _cookies: dict[int, str]) -> list[PreparedRequest]:
        lots = lot_world(size)
        return [
            PreparedRequest(
                "POST",
                f"/api/v1/rewards/{lots.reward_for(m)}/redemptions",
                token_secret(lots.user(m)),
                json.dumps({"membership_id": m}),
                idempotency_prefix=f"lots{m}",
            )
            for m in (lots.many if many else lots.one)
        ]

    return requests


def _program_page(size: Size, cookies: dict[int, str]) -> list[PreparedRequest]:
    return [PreparedRequest("GET", "/programs/1", cookie=cookies[m]) for m in _members(size)]


SCENARIOS = [
    Scenario(JSON_BASELINE, "baseline", None, lambda size, _c: [PreparedRequest("GET", "/json")]),
    Scenario(
        SQL_BASELINE,
        "baseline",
        None,
        _each_member(
            lambda m: PreparedRequest("POST", f"/redeem/{m}", body=json.dumps({"cost": 10}))
        ),
    ),
    Scenario("stamp (earn)", "app", SQL_BASELINE, _each_member(stamp)),
    Scenario(OUTBOX_BASELINE, "without_outbox", None, _each_member(stamp)),
    Scenario(OUTBOX_SCENARIO, "app", OUTBOX_BASELINE, _each_member(stamp), alternate=True),
    Scenario("redemption", "app", SQL_BASELINE, _each_member(_redeem)),
    Scenario(
        "balance",
        "app",
        JSON_BASELINE,
        _each_member(lambda m: PreparedRequest("GET", f"/api/v1/memberships/{m}", token_secret(m))),
    ),
    Scenario(
        "reward list (50, default sort)",
        "app",
        JSON_BASELINE,
        _each_member(
            lambda m: PreparedRequest(
                "GET", "/api/v1/shops/1/rewards?program_id=1", token_secret(m)
            )
        ),
    ),
    Scenario(
        "leaderboard (top 100)",
        "app",
        JSON_BASELINE,
        _each_member(
            lambda m: PreparedRequest(
                "GET", "/api/v1/programs/1/leaderboard?limit=100", token_secret(m)
            )
        ),
    ),
    Scenario(
        "history page (50 entries)",
        "app",
        JSON_BASELINE,
        _each_member(
            lambda m: PreparedRequest(
                "GET", f"/api/v1/memberships/{m}/entries?limit=50", token_secret(m)
            )
        ),
    ),
    Scenario(
        STORE_SCENARIO,
        "app",
        SQL_BASELINE,
        lambda _size, _cookies: store_orders(STORE_ORDERS_PER_LOAD),
        fresh=True,
    ),
    Scenario(CHECK_IN_SCENARIO, "app", SQL_BASELINE, check_ins, fresh=True),
    Scenario("member search", "app", JSON_BASELINE, _search),
    Scenario("home page", "app", JSON_BASELINE, _home, page=True),
    Scenario("program page", "app", JSON_BASELINE, _program_page, page=True),
    Scenario(ONE_LOT_READ, "app", JSON_BASELINE, _lot_reads(many=False)),
    Scenario(MANY_LOTS_READ, "app", ONE_LOT_READ, _lot_reads(many=True), alternate=True),
    Scenario(ONE_LOT_REDEEM, "app", SQL_BASELINE, _lot_redemptions(many=False)),
    Scenario(MANY_LOTS_REDEEM, "app", ONE_LOT_REDEEM, _lot_redemptions(many=True), alternate=True),
    Scenario(STAMP_WITHOUT_TIERS, "app", None, tier_stamps(with_tiers=False)),
    Scenario(
        STAMP_WITH_TIERS, "app", STAMP_WITHOUT_TIERS, tier_stamps(with_tiers=True), alternate=True
    ),
    Scenario(ORDER_WITHOUT_TIERS, "app", None, tier_orders(with_tiers=False), fresh=True),
    Scenario(
        ORDER_WITH_TIERS,
        "app",
        ORDER_WITHOUT_TIERS,
        tier_orders(with_tiers=True),
        alternate=True,
        fresh=True,
    ),
]
