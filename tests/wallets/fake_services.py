"""Apple's push service and Google's Wallet API on loopback, for the pass updates: a real HTTP
server (threaded ``http.server``) answering APNs' ``POST /3/device/<token>`` (200 with an
``apns-id``; a token starting ``gone`` answers 410 ``Unregistered``), Google's OAuth token
endpoint (``POST /token``) and ``PATCH /walletobjects/v1/loyaltyObject/<id>`` with the
recorded payloads of ``recorded/`` (Apple's and Google's documented shapes), keeping each
call (method, path, headers, body). The ``fake_wallet_services`` fixture points the app at it.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
from flask import Flask

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text())
    return data


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class FakeWalletServices:
    server: ThreadingHTTPServer
    calls: list[Call] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def pushes(self) -> list[Call]:
        return [call for call in self.calls if call.path.startswith("/3/device/")]

    def patches(self) -> list[Call]:
        return [call for call in self.calls if call.method == "PATCH"]

    def respond(self, call: Call) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            self.calls.append(call)
            if self.statuses:
                return self.statuses.pop(0), {}, {}
            if call.path.startswith("/3/device/"):
                if unquote(call.path.removeprefix("/3/device/")).startswith("gone"):
                    return 410, {"apns-id": "gone"}, recorded("apns_unregistered")
                return 200, {"apns-id": f"fake-{len(self.calls)}"}, None
            if call.path == "/token" and call.method == "POST":
                return 200, {}, recorded("google_token")
            if call.path.startswith("/walletobjects/v1/loyaltyObject/") and call.method == "PATCH":
                if call.headers.get("authorization") != (
                    f"Bearer {recorded('google_token')['access_token']}"
                ):
                    return 401, {}, recorded("google_not_found")
                answer = copy.deepcopy(recorded("google_loyalty_object"))
                answer.update(json.loads(call.body))
                answer["id"] = unquote(call.path.rsplit("/", 1)[1])
                return 200, {}, answer
            return 404, {}, recorded("google_not_found")


def _handler(fake: FakeWalletServices) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, extra, answer = fake.respond(Call(self.command, self.path, headers, body))
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._answer()

        def do_PATCH(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def fake_wallet_services(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeWalletServices]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeWalletServices(server)
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    monkeypatch.setitem(app.config, "APNS_URL", fake.url)
    monkeypatch.setitem(app.config, "GOOGLE_WALLET_URL", fake.url)
    monkeypatch.setitem(app.config, "GOOGLE_OAUTH_TOKEN_URL", f"{fake.url}/token")
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
