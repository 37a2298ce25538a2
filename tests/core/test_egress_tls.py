"""HTTPS through core.egress: the connection goes to the address just checked, while TLS
speaks to and verifies the name in the URL (SNI and the certificate's name), so pinning the
address costs no certificate check. A receiver on loopback with certificates made in the test
(trustme) stands in for a receiver on the internet; the name resolves to it through the
resolver egress calls (real DNS is a third party here)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme
from flask import Flask

from stampbook.core import egress
from tests.webhooks.receiver import Receiver, receiving

NAME = "hooks.example.test"


@pytest.fixture
def authority(app: Flask, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A certificate authority the app trusts, and NAME resolving to loopback."""
    ca = trustme.CA()
    client = ssl.create_default_context()
    ca.configure_trust(client)
    monkeypatch.setattr(egress, "_tls", lambda: client)
    real = egress.resolve
    monkeypatch.setattr(
        egress, "resolve", lambda host, port: ["127.0.0.1"] if host == NAME else real(host, port)
    )
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    return ca


def _serving(ca: trustme.CA, certified_name: str) -> Iterator[Receiver]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(certified_name).configure_cert(server)
    with receiving(tls=server) as receiver:
        yield receiver


@pytest.fixture
def receiver(authority: trustme.CA) -> Iterator[Receiver]:
    yield from _serving(authority, NAME)


@pytest.fixture
def impostor(authority: trustme.CA) -> Iterator[Receiver]:
    """A server at the same address whose certificate names another host."""
    yield from _serving(authority, "elsewhere.example.test")


def _url(receiver: Receiver) -> str:
    port = receiver.server.server_address[1]  # type: ignore[union-attr]
    return f"https://{NAME}:{port}/hook"


def test_https_reaches_the_checked_address_and_verifies_the_urls_name(
    app: Flask, receiver: Receiver
) -> None:
    with app.app_context():
        reply = egress.post(_url(receiver), b"{}", {"Content-Type": "application/json"}, 5)
    assert reply.status == 200
    [got] = receiver.received
    port = receiver.server.server_address[1]  # type: ignore[union-attr]
    assert got.headers["host"] == f"{NAME}:{port}"


def test_a_certificate_for_another_name_is_refused(app: Flask, impostor: Receiver) -> None:
    with app.app_context(), pytest.raises(egress.EgressFailed) as failed:
        egress.post(_url(impostor), b"{}", {}, 5)
    assert failed.value.kind == "connection"
    assert "certificate" in str(failed.value).lower()
    assert impostor.received == []
