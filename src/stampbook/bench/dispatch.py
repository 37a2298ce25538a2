"""The outbox's dispatch under a burst: a webhook endpoint of shop 1 subscribed to
``points.earned`` and pointing at a fast local receiver, a burst of stamps through the API with
no consumer running, then one consumer process draining what the burst left: how deep the
queue was (occurrences undispatched, webhook messages undelivered), how long it took to reach
zero, and how many occurrences a second went through the consumer.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from huey.storage import BaseStorage, RedisStorage, SqliteStorage
from sqlalchemy import create_engine, text

from stampbook.bench.dataset import Size, owner_id, token_secret
from stampbook.bench.scenarios import stamp
from stampbook.bench.wrk import PreparedRequest

BURST = 10_000
CONNECTIONS = 16  # as the other loads (wrk -c16)
# One consumer as README's deployment section runs it (threads: jobs wait on the network).
CONSUMER_WORKERS = 4
DRAIN_LIMIT_SECONDS = 900.0
START_LIMIT_SECONDS = 60.0

UNDISPATCHED = text("SELECT count(*) FROM occurrences WHERE dispatched_at IS NULL AND id > :after")
UNDELIVERED = text(
    "SELECT count(*) FROM webhook_messages WHERE status <> 'delivered' AND occurrence_id > :after"
)
LAST_OCCURRENCE = text("SELECT coalesce(max(id), 0) FROM occurrences")
BURST_OCCURRENCES = text("SELECT count(*) FROM occurrences WHERE id > :after")


class Receiver(ThreadingHTTPServer):
    """Counts the requests and the distinct ``webhook-id``s it is sent; answers 204 at once."""

    daemon_threads = True
    request_queue_size = 128  # the consumer's threads connect at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.lock = threading.Lock()
        self.requests = 0
        self.ids: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would
    server: Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.requests += 1
            self.server.ids.add(self.headers.get("webhook-id", ""))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: thousands of requests."""


@contextmanager
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class DispatchFigures:
    stamps: int  # answered by the API in the burst
    burst_seconds: float
    burst_throughput: float
    burst_errors: int
    occurrences: int  # recorded by the burst
    undispatched_after_burst: int
    undelivered_after_burst: int
    consumer_start_seconds: float  # from launch to its first dispatched occurrence
    drain_seconds: float  # from its first dispatched occurrence to nothing left
    occurrences_per_second: float
    messages_delivered: int
    receiver_requests: int
    distinct_webhook_ids: int
    consumer_workers: int
    drained: bool


def _create_endpoint(base_url: str, size: Size, url: str) -> None:
    request = urllib.request.Request(  # noqa: S310 (the bench's own server on loopback)
        f"{base_url}/api/v1/shops/1/webhook-endpoints",
        data=json.dumps({"url": url, "event_types": ["points.earned"]}).encode(),
        headers={
            "Authorization": f"Bearer {token_secret(owner_id(size))}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        if answer.status != 201:
            raise RuntimeError(f"creating the webhook endpoint answered {answer.status}")


@dataclass(frozen=True)
class Burst:
    requests: int
    seconds: float
    throughput: float
    errors: int
    # Each request's time from sending to its answer read, over all of them.
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0


def percentile(values: list[float], percent: float) -> float:
    """The nearest-rank percentile (the least value at or above ``percent`` of them)."""
    if not values:
        return 0.0
    ranked = sorted(values)
    return ranked[max(0, math.ceil(percent / 100 * len(ranked)) - 1)]


def burst(base_url: str, requests: list[PreparedRequest], count: int) -> Burst:
    """Exactly ``count`` requests on CONNECTIONS keep-alive connections, as fast as the
    server answers (wrk runs for a duration, not a number of requests)."""
    address = urlsplit(base_url)
    numbers = itertools.count()
    lock = threading.Lock()
    errors = [0]
    latencies: list[float] = []
    run = secrets.token_hex(4)
    # The connections start together, as a rush of clients does (a short burst would
    # otherwise be over on the first threads before the last had started).
    start = threading.Barrier(CONNECTIONS)

    def send() -> None:
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
        start.wait()
        while (n := next(numbers)) < count:
            r = requests[n % len(requests)]
            headers = {"Content-Type": "application/json", **dict(r.headers)}
            if r.token:
                headers["Authorization"] = f"Bearer {r.token}"
            if r.idempotency_prefix:
                headers["Idempotency-Key"] = f"{r.idempotency_prefix}-burst-{run}-{n}"
            sent = time.perf_counter()
            try:
                connection.request(r.method, r.path, body=r.body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                failed = answer.status >= 400
            except OSError:
                connection.close()
                failed = True
            took = (time.perf_counter() - sent) * 1000
            with lock:
                latencies.append(took)
                errors[0] += failed
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=send) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    return Burst(
        count,
        round(seconds, 2),
        round(count / seconds, 1),
        errors[0],
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
    )


def job_queue(env: dict[str, str], instance: Path) -> BaseStorage:
    """The app's job queue, as ``core.jobs`` makes it: Redis with REDIS_URL, else the SQLite
    file in the instance folder."""
    redis_url = env.get("REDIS_URL") or os.environ.get("REDIS_URL")
    if redis_url:
        return RedisStorage("stampbook", url=redis_url)
    return SqliteStorage("stampbook", filename=str(instance / "jobs.db"))


def consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "huey_consumer"),
        "stampbook.worker.huey",
        "-w",
        str(CONSUMER_WORKERS),
        "-k",
        "thread",
        "-n",  # no periodic jobs: the sweep would muddle the figure
    ]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )


def measure(
    base_url: str, database_url: str, env: dict[str, str], size: Size, instance: Path
) -> dict[str, Any]:
    """Run the burst and the drain; the app server at ``base_url`` must let webhooks call
    loopback (WEBHOOKS_ALLOW_PRIVATE_TARGETS=1)."""
    engine = create_engine(database_url)
    # What the earlier loads queued is not the burst's: dropped, so the consumer sees only
    # the burst (their occurrences stay undispatched, below the burst's first id).
    queue = job_queue(env, instance)
    try:
        with receiver() as hooks:
            _create_endpoint(base_url, size, hooks.url)
            queue.flush_queue()
            with engine.connect() as connection:
                after = connection.execute(LAST_OCCURRENCE).scalar_one()
            requests = [stamp(m) for m in range(1, size.history_members + 1)]
            sent = burst(base_url, requests, BURST)

            def depth() -> tuple[int, int]:
                with engine.connect() as connection:
                    return (
                        connection.execute(UNDISPATCHED, {"after": after}).scalar_one(),
                        connection.execute(UNDELIVERED, {"after": after}).scalar_one(),
                    )

            with engine.connect() as connection:
                occurrences = connection.execute(BURST_OCCURRENCES, {"after": after}).scalar_one()
            undispatched, undelivered = depth()

            launched = time.monotonic()
            running = consumer(env, instance / "dispatch-consumer.log")
            try:
                started = wait_for(lambda: depth()[0] < undispatched, launched, START_LIMIT_SECONDS)
                finished = wait_for(lambda: depth() == (0, 0), started, DRAIN_LIMIT_SECONDS)
            finally:
                running.terminate()
                running.wait(timeout=60)
            drained = depth() == (0, 0)
            drain_seconds = finished - started
            with hooks.lock:
                received, distinct = hooks.requests, len(hooks.ids)
            with engine.connect() as connection:
                delivered = connection.execute(
                    text(
                        "SELECT count(*) FROM webhook_messages "
                        "WHERE status = 'delivered' AND occurrence_id > :after"
                    ),
                    {"after": after},
                ).scalar_one()
    finally:
        queue.close()
        engine.dispose()
    figures = DispatchFigures(
        stamps=sent.requests,
        burst_seconds=sent.seconds,
        burst_throughput=sent.throughput,
        burst_errors=sent.errors,
        occurrences=occurrences,
        undispatched_after_burst=undispatched,
        undelivered_after_burst=undelivered,
        consumer_start_seconds=round(started - launched, 1),
        drain_seconds=round(drain_seconds, 1),
        occurrences_per_second=round(occurrences / drain_seconds, 1) if drain_seconds else 0.0,
        messages_delivered=delivered,
        receiver_requests=received,
        distinct_webhook_ids=distinct,
        consumer_workers=CONSUMER_WORKERS,
        drained=drained,
    )
    return asdict(figures)


def wait_for(condition: Any, since: float, limit: float) -> float:
    """The moment ``condition`` held, polled every 0.2 s for at most ``limit`` seconds."""
    while time.monotonic() - since < limit:
        if condition():
            return time.monotonic()
        time.sleep(0.2)
    return time.monotonic()
