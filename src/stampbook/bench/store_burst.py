"""A store's burst: 10,000 distinct Shopify orders/paid webhooks sent with no job consumer
running (the app answers each once it is checked and logged), then one consumer earning
them all: how fast the webhooks were taken, how deep the queue was, how fast orders were
earned, and that none was lost (every order earned once, ``stampbook doctor`` clean).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from stampbook.bench.dispatch import burst, consumer, job_queue, wait_for
from stampbook.bench.scenarios import store_orders

BURST = 10_000
START_LIMIT_SECONDS = 60.0
DRAIN_LIMIT_SECONDS = 900.0

LAST_DELIVERY = text("SELECT coalesce(max(id), 0) FROM integration_deliveries")
LAST_ORDER = text("SELECT coalesce(max(id), 0) FROM orders")
PENDING = text(
    "SELECT count(*) FROM integration_deliveries WHERE id > :after AND outcome = 'pending'"
)
ORDERS = text(
    "SELECT count(*), coalesce(sum(points_earned), 0) FROM orders "
    "WHERE id > :after AND source = 'shopify' AND status = 'paid'"
)


@dataclass(frozen=True)
class StoreBurstFigures:
    webhooks: int  # sent, each a new order
    burst_seconds: float
    burst_throughput: float
    burst_errors: int
    pending_after_burst: int  # logged, waiting for the consumer
    drain_seconds: float
    orders_per_second: float
    orders_earned: int
    points_earned: int
    lost: int  # sent and answered, yet not earned
    drained: bool


def measure(
    base_url: str, database_url: str, env: dict[str, str], instance: Path
) -> dict[str, Any]:
    engine = create_engine(database_url)
    queue = job_queue(env, instance)
    try:
        queue.flush_queue()  # the loads' webhooks are not the burst's
        with engine.connect() as connection:
            after = connection.execute(LAST_DELIVERY).scalar_one()
            orders_after = connection.execute(LAST_ORDER).scalar_one()
        sent = burst(base_url, store_orders(BURST), BURST)

        def pending() -> int:
            with engine.connect() as connection:
                return int(connection.execute(PENDING, {"after": after}).scalar_one())

        queued = pending()
        launched = time.monotonic()
        running = consumer(env, instance / "store-consumer.log")
        try:
            started = wait_for(lambda: pending() < queued, launched, START_LIMIT_SECONDS)
            finished = wait_for(lambda: pending() == 0, started, DRAIN_LIMIT_SECONDS)
        finally:
            running.terminate()
            running.wait(timeout=60)
        left = pending()
        with engine.connect() as connection:
            earned, points = connection.execute(ORDERS, {"after": orders_after}).one()
        drain_seconds = finished - started
    finally:
        queue.close()
        engine.dispose()
    figures = StoreBurstFigures(
        webhooks=sent.requests,
        burst_seconds=sent.seconds,
        burst_throughput=sent.throughput,
        burst_errors=sent.errors,
        pending_after_burst=queued,
        drain_seconds=round(drain_seconds, 1),
        orders_per_second=round(earned / drain_seconds, 1) if drain_seconds else 0.0,
        orders_earned=int(earned),
        points_earned=int(points),
        lost=sent.requests - sent.errors - int(earned),
        drained=left == 0,
    )
    return asdict(figures)
