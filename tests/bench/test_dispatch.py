"""The dispatch benchmark's own parts, against a real HTTP server on loopback: the receiver
the consumer delivers to, and the burst of stamps sent to the app."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from stampbook.bench import dispatch
from stampbook.bench.scenarios import stamp


def test_the_receiver_counts_requests_and_distinct_webhook_ids() -> None:
    with dispatch.receiver() as hooks:
        address = urlsplit(hooks.url)
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        for webhook_id in ("msg_a", "msg_b", "msg_a"):  # a repeated delivery of msg_a
            connection.request("POST", address.path, b"{}", {"webhook-id": webhook_id})
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 204
        connection.close()
        assert (hooks.requests, hooks.ids) == (3, {"msg_a", "msg_b"})


@pytest.fixture
def app_stand_in() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Answers 201 to every request and keeps what it was sent."""
    seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                seen.append({"path": self.path, "body": body, **dict(self.headers)})
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    class StandIn(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # the burst's 16 connections open at once

    server = StandIn(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_a_burst_sends_exactly_its_count_each_with_a_key_of_its_own(
    app_stand_in: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = app_stand_in
    burst = dispatch.burst(url, [stamp(m) for m in range(1, 11)], 250)

    assert (burst.requests, burst.errors) == (250, 0)
    assert burst.seconds > 0 and burst.throughput > 0
    assert len(seen) == 250
    assert len({s["Idempotency-Key"] for s in seen}) == 250  # each a new stamp, no replay
    assert {s["Authorization"] for s in seen} == {f"Bearer sb_bench_{m}" for m in range(1, 11)}
    assert seen[0]["path"].startswith("/api/v1/tasks/")
