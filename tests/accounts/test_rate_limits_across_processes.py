"""A rate limit holds across the processes that serve one app (issue 20).

``stampbook serve`` is started as `make run` starts it, asked for two gunicorn workers; the
limit plus one failed logins are then sent, each from a client process of its own, and exactly
one is refused. Without Redis the limits are counted in process memory, so serve runs one
worker (with threads) and says so; with Redis two workers share the count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine

from stampbook import domains
from tests.core.test_jobs_consumer import STAMPBOOK, free_port, healthy

LIMIT = 5
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, emptied by this test

# One failed login, sent by a process of its own: prints the status it got.
CLIENT = """
import json, sys, urllib.error, urllib.request
body = json.dumps({"email": "nobody@example.com", "password": "wrong password"}).encode()
request = urllib.request.Request(
    sys.argv[1] + "/api/v1/tokens", data=body, headers={"Content-Type": "application/json"}
)
try:
    urllib.request.urlopen(request, timeout=30)
    print(200)
except urllib.error.HTTPError as answer:
    print(answer.code)
"""


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """`stampbook serve --no-worker` asked for two workers, on a SQLite file; with
    ``request.param`` "redis" the limits are kept in Redis."""
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    engine = create_engine(url)
    domains.metadata().create_all(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "JOBS_IMMEDIATE"}}
    env |= {
        "DATABASE_URL": url,
        "STAMPBOOK_INSTANCE": str(tmp_path / "instance"),
        "RATELIMIT_ENABLED": "1",
        "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
    }
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        env["REDIS_URL"] = REDIS_URL
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        serve = subprocess.Popen(
            [str(STAMPBOOK), "serve", "--no-worker", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not healthy(port):
            assert serve.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", log
    finally:
        serve.terminate()
        serve.wait(timeout=60)


def _failed_login(base_url: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, base_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(json.loads(done.stdout))


def _workers_booted(log: Path) -> int:
    return log.read_text(errors="replace").count("Booting worker")


@pytest.mark.parametrize("served", ["memory"], indirect=True)
def test_without_redis_one_process_keeps_the_whole_limit(served: tuple[str, Path]) -> None:
    base_url, log = served
    statuses = [_failed_login(base_url) for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]
    said = log.read_text(errors="replace")
    assert "2 workers asked, 1 started: without REDIS_URL rate limits" in said
    assert _workers_booted(log) == 1


@pytest.mark.skipif(not _redis_up(), reason=f"needs Redis at {REDIS_URL} (make test starts it)")
@pytest.mark.parametrize("served", ["redis"], indirect=True)
def test_with_redis_two_workers_share_the_count(served: tuple[str, Path]) -> None:
    base_url, log = served
    deadline = time.monotonic() + 30
    while _workers_booted(log) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _workers_booted(log) == 2, log.read_text()
    statuses = [_failed_login(base_url) for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]
