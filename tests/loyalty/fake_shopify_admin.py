"""A Shopify store's Admin GraphQL API on loopback, for discount codes: a real HTTP server
(threaded ``http.server``) answering with the recorded payloads of
``shopify_admin_payloads/`` (Shopify's documented shapes), and keeping the codes it made as a
store does: a code is unique (``TAKEN`` the second time), ``codeDiscountNodeByCode`` finds it.

Tests may script the next answers (``answer``): a recorded error, a status, or a delay after
the code is made (an answer lost to a timeout, the code made all the same). The
``fake_store`` fixture points the app at it (``SHOPIFY_ADMIN_URL``, private addresses
allowed as in tests).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

PAYLOADS = Path(__file__).parent / "shopify_admin_payloads"
TOKEN = "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"
VERSION_PATH = "/admin/api/2025-01/graphql.json"
CREATES = {
    "discountCodeBasicCreate": ("basicCodeDiscount", "discount_code_basic_create"),
    "discountCodeFreeShippingCreate": (
        "freeShippingCodeDiscount",
        "discount_code_free_shipping_create",
    ),
}


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return data


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: a recorded payload (or an empty body) with its status, after a
    delay; with ``make`` the store does its own work first (and, without a payload, answers
    it): a delay then stands for an answer lost to a timeout, the code made all the same."""

    status: int = 200
    name: str | None = None
    delay: float = 0.0
    make: bool = False


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    operation: str
    variables: dict[str, Any]


@dataclass
class Held:
    id: str
    title: str
    input: dict[str, Any]


@dataclass
class FakeStore:
    token: str = TOKEN
    codes: dict[str, Held] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    script: list[Scripted] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_call: Callable[[Call], None] | None = None  # sees each call before it is answered
    next_id: int = 1057371302

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def answer(self, *answers: Scripted) -> None:
        """The next calls get these answers, in order; then the store's own."""
        self.script.extend(answers)

    def hold(self, code: str, title: str) -> str:
        """A discount the store holds already (the merchant's own, say)."""
        with self.lock:
            gid = self._new_id()
            self.codes[code] = Held(gid, title, {})
        return gid

    def creations(self) -> list[Call]:
        return [c for c in self.calls if c.operation in CREATES]

    def _new_id(self) -> str:
        self.next_id += 1
        return f"gid://shopify/DiscountCodeNode/{self.next_id}"

    # --- The store's work ----------------------------------------------------------------

    def make(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        """``discountCodeBasicCreate`` or ``discountCodeFreeShippingCreate``."""
        argument, name = CREATES[operation]
        given = variables.get(argument) or {}
        code = str(given.get("code") or "")
        with self.lock:
            if code in self.codes:
                taken = payload("discount_code_basic_create_taken")
                errors = taken["data"]["discountCodeBasicCreate"]["userErrors"]
                errors[0]["field"] = [argument, "code"]
                return {"data": {operation: {"codeDiscountNode": None, "userErrors": errors}}}
            gid = self._new_id()
            self.codes[code] = Held(gid, str(given.get("title")), copy.deepcopy(given))
        made = payload(name)
        made["data"][operation]["codeDiscountNode"]["id"] = gid
        return made

    def find(self, variables: dict[str, Any]) -> dict[str, Any]:
        """``codeDiscountNodeByCode``."""
        held = self.codes.get(str(variables.get("code")))
        if held is None:
            return payload("code_discount_node_by_code_none")
        found = payload("code_discount_node_by_code")
        node = found["data"]["codeDiscountNodeByCode"]
        node["id"], node["codeDiscount"]["title"] = held.id, held.title
        return found


def _operation(query: str) -> str:
    for name in (*CREATES, "codeDiscountNodeByCode"):
        if f"{name}(" in query:
            return name
    return "unknown"


def _handler(store: FakeStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            operation = _operation(str(body.get("query") or ""))
            variables = body.get("variables") or {}
            headers = {k.lower(): v for k, v in self.headers.items()}
            call = Call(self.path, headers, operation, variables)
            store.calls.append(call)
            if store.on_call is not None:
                store.on_call(call)
            if headers.get("x-shopify-access-token") != store.token:
                return self._send(401, payload("unauthorized"))
            if not self.path.endswith(VERSION_PATH):
                return self._send(404, {"errors": "Not Found"})
            scripted = store.script.pop(0) if store.script else Scripted(make=True)
            answer: dict[str, Any] = {}
            if scripted.make:
                answer = (
                    store.find(variables)
                    if operation == "codeDiscountNodeByCode"
                    else store.make(operation, variables)
                )
            if scripted.delay:
                time.sleep(scripted.delay)
            if scripted.name is not None:
                answer = payload(scripted.name)
            return self._send(scripted.status, answer)

        def _send(self, status: int, answer: dict[str, Any]) -> None:
            raw = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller gave up waiting (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def fake_store(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStore]:
    """A store's Admin API on 127.0.0.1, the app's ``SHOPIFY_ADMIN_URL`` pointing at it."""
    store = FakeStore()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    server.daemon_threads = True
    store.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    monkeypatch.setitem(
        app.config, "SHOPIFY_ADMIN_URL", f"http://127.0.0.1:{store.port}/{{shop}}{VERSION_PATH}"
    )
    monkeypatch.setitem(app.config, "SHOPIFY_TIMEOUT_SECONDS", 2)
    try:
        yield store
    finally:
        server.shutdown()
        server.server_close()
