"""The one way out (``core.egress``): SSRF guards when a URL is saved and when connecting,
no redirects followed, bounded time and reply. Real DNS is a third party here, so the
resolver the module calls is replaced; calls go to a real receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from stampbook.core import egress
from stampbook.core.egress import UrlNotAllowed
from tests.webhooks.receiver import Reply, receiving

PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A resolver the test writes: host -> addresses."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("no such host")
        return answers[host]

    monkeypatch.setattr(egress, "resolve", resolve)
    return answers


@pytest.fixture
def guarded(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
    with app.app_context():
        yield


@pytest.fixture
def lifted(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    with app.app_context():
        yield


def _reason(url: str) -> str:
    with pytest.raises(UrlNotAllowed) as refused:
        egress.check_url(url)
    assert refused.value.status == 409
    return str(refused.value.params["reason"])


@pytest.mark.usefixtures("guarded")
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.8.9.10:8080/hook",
        "http://localhost./",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fc00::1]/",
        "http://[fd12:3456::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        # Numeric hosts in the forms resolvers read: decimal, hex, octal, short.
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://017700000001/",
        "http://167772161/",  # 10.0.0.1
        "https://2852039166/",  # 169.254.169.254
    ],
)
def test_private_and_reserved_addresses_are_refused(url: str, dns: dict[str, list[str]]) -> None:
    dns["localhost"] = ["127.0.0.1"]
    assert _reason(url) == "private"


@pytest.mark.usefixtures("guarded")
@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1"],
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["::1"],
        ["fd00::5"],
        [PUBLIC, "192.168.0.7"],
    ],
)
def test_a_name_resolving_to_a_private_address_is_refused(
    answer: list[str], dns: dict[str, list[str]]
) -> None:
    dns["hooks.example.com"] = answer
    assert _reason("https://hooks.example.com/in") == "private"


@pytest.mark.usefixtures("guarded")
def test_a_public_address_is_allowed(dns: dict[str, list[str]]) -> None:
    dns["hooks.example.com"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    assert egress.check_url(" https://hooks.example.com/in ") == "https://hooks.example.com/in"
    assert egress.check_url(f"http://{PUBLIC}:8443/x") == f"http://{PUBLIC}:8443/x"


@pytest.mark.usefixtures("guarded")
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("example.com/hook", "scheme"),
        ("http:///hook", "host"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://token@example.com/", "credentials"),
        ("http://[::1/", "malformed"),
        ("http://example.com:99999/", "malformed"),
        ("https://nowhere.invalid/", "unresolvable"),
    ],
)
def test_urls_that_are_not_plain_http_are_refused(
    url: str, reason: str, dns: dict[str, list[str]]
) -> None:
    assert _reason(url) == reason


@pytest.mark.usefixtures("lifted")
def test_the_flag_lifts_the_address_checks_but_not_the_scheme(dns: dict[str, list[str]]) -> None:
    assert egress.check_url("http://127.0.0.1:9/") == "http://127.0.0.1:9/"
    assert egress.check_url("http://2130706433/") == "http://2130706433/"
    assert _reason("file:///etc/passwd") == "scheme"
    assert _reason("https://user:pass@127.0.0.1/") == "credentials"


def test_without_an_app_the_checks_hold(dns: dict[str, list[str]]) -> None:
    assert _reason("http://127.0.0.1/") == "private"


@pytest.mark.usefixtures("guarded")
def test_the_refusal_is_said_in_words() -> None:
    with pytest.raises(UrlNotAllowed) as refused:
        egress.check_url("http://10.0.0.1/")
    assert "10.0.0.1" in str(refused.value)


@pytest.mark.usefixtures("guarded")
def test_dns_rebinding_between_save_and_send_is_refused(dns: dict[str, list[str]]) -> None:
    """Checked public when saved, the name answers loopback when connecting: the call is
    refused before any connection, and the receiver on loopback hears nothing."""
    with receiving() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        url = f"http://rebind.example.com:{port}/hook"
        dns["rebind.example.com"] = [PUBLIC]
        egress.check_url(url)
        dns["rebind.example.com"] = ["127.0.0.1"]
        with pytest.raises(UrlNotAllowed):
            egress.post(url, b"{}", {}, timeout=2)
        assert receiver.received == []


@pytest.mark.usefixtures("lifted")
def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    dns: dict[str, list[str]],
) -> None:
    with receiving() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        dns["hooks.example.com"] = ["127.0.0.1"]
        reply = egress.post(f"http://hooks.example.com:{port}/hook?a=1", b'{"x":1}', {}, 2)
    assert reply.status == 200
    [got] = receiver.received
    assert got.headers["host"] == f"hooks.example.com:{port}"
    assert got.path == "/hook?a=1"
    assert got.body == b'{"x":1}'


@pytest.mark.usefixtures("lifted")
def test_a_redirect_is_not_followed() -> None:
    with receiving() as receiver:
        receiver.answer(Reply(302, {"location": receiver.url + "/elsewhere"}))
        reply = egress.post(receiver.url, b"{}", {}, 2)
    assert reply.status == 302
    assert [r.path for r in receiver.received] == ["/hook"]


@pytest.mark.usefixtures("lifted")
def test_a_slow_receiver_times_out_within_the_bound() -> None:
    with receiving() as receiver:
        receiver.answer(Reply(200, delay=2.0))
        with pytest.raises(egress.EgressFailed) as failed:
            egress.post(receiver.url, b"{}", {}, timeout=0.3)
    assert failed.value.kind == "timeout"


@pytest.mark.usefixtures("lifted")
def test_only_the_start_of_a_reply_is_read() -> None:
    with receiving() as receiver:
        receiver.answer(Reply(200, body=b"x" * 100_000))
        reply = egress.post(receiver.url, b"{}", {}, 2)
    assert len(reply.excerpt) <= egress.MAX_REPLY_BYTES


@pytest.mark.usefixtures("lifted")
def test_nothing_listening_is_a_connection_failure() -> None:
    with receiving() as receiver:
        url = receiver.url
    with pytest.raises(egress.EgressFailed) as failed:
        egress.post(url, b"{}", {}, 2)
    assert failed.value.kind == "connection"
