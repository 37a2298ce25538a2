"""The one way the app calls out over HTTP (webhooks; chat and SMS adapters too), guarded
against server-side request forgery.

- :func:`check_url` when a URL is saved: http or https, a host, no credentials in it, and
  every address its host resolves to public. Numeric hosts are read as the addresses they
  are, in any form a resolver accepts (``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
  ``127.1``): a blocklist of spellings would miss one.
- :func:`post` resolves again when connecting, checks what it got, and connects to that very
  address (the hostname kept for the Host header and TLS SNI and certificate), so a DNS
  answer that changes between the check and the connection (rebinding) cannot slip through.
  It follows no redirects, bounds the connect and total time, and reads at most
  ``MAX_REPLY_BYTES`` of the reply.

``WEBHOOKS_ALLOW_PRIVATE_TARGETS`` (app config) lifts the address checks for tests and
on-premise use, never the scheme check.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import SplitResult, urlsplit

import certifi
import httpx
from flask import current_app, has_app_context

from stampbook.core.errors import AppError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REPLY_BYTES = 2048
CONNECT_SECONDS = 5.0
# What inet_aton reads as an IPv4 address: dotted parts in decimal, octal or hex, 1 to 4 of them.
_LEGACY_IPV4 = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE)
# Shared address space (RFC 6598): carrier NAT, never a public service.
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class UrlNotAllowed(AppError):
    """A URL the app will not call; ``reason`` says why in words (``core.wording``). A 409:
    what the API's schema can say of a URL (http or https, a host, no credentials) it says
    and refuses with a 422; this refusal depends on what the host resolves to now."""

    status, code, title = 409, "url_not_allowed", "URL not allowed"


class EgressFailed(Exception):
    """The call did not get a reply: ``kind`` is ``timeout`` or ``connection``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    excerpt: str  # the first MAX_REPLY_BYTES of the body, as text
    seconds: float


def allow_private() -> bool:
    return has_app_context() and bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS"))


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (tests replace this: real DNS is a third party)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def numeric_host(host: str) -> Address | None:
    """The address a numeric host names, in any of its spellings; None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(address: Address) -> bool:
    """Whether ``address`` is on the public internet: not loopback, private, link-local
    (169.254.169.254, the cloud metadata service), multicast, reserved, unspecified,
    shared (100.64/10), unique local (fc00::/7), nor an IPv6 form of one of those."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and not is_public(embedded):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in _SHARED
        or not address.is_global
    )


@dataclass(frozen=True)
class Target:
    """A URL taken apart: its scheme, host (as written, for Host and SNI) and port."""

    parts: SplitResult
    host: str
    port: int


def _target(url: str) -> Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UrlNotAllowed(reason="malformed") from error
    if parts.scheme.lower() not in SCHEMES:
        raise UrlNotAllowed(reason="scheme")
    if parts.username is not None or parts.password is not None:
        raise UrlNotAllowed(reason="credentials")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlNotAllowed(reason="host")
    return Target(parts, host, port or DEFAULT_PORTS[parts.scheme.lower()])


def _addresses(target: Target) -> list[Address]:
    """Every address the target's host stands for, each checked (unless the checks are
    lifted); UrlNotAllowed if one is not public or none is found."""
    numeric = numeric_host(target.host)
    if numeric is not None:
        found: list[Address] = [numeric]
    else:
        try:
            resolved = resolve(target.host, target.port)
            # An IPv6 answer may carry its zone (``fe80::1%eth0``): the address is before it.
            found = [ipaddress.ip_address(a.split("%")[0]) for a in resolved]
        except (OSError, UnicodeError, ValueError) as error:
            raise UrlNotAllowed(reason="unresolvable", host=target.host) from error
        if not found:
            raise UrlNotAllowed(reason="unresolvable", host=target.host)
    if not allow_private():
        for address in found:
            if not is_public(address):
                raise UrlNotAllowed(reason="private", address=str(address))
    return found


def check_url(url: str) -> str:
    """``url`` if the app may call it; UrlNotAllowed (422, the reason in words) otherwise."""
    _addresses(_target(url))
    return url.strip()


def _pinned_url(target: Target, address: Address) -> str:
    literal = f"[{address}]" if address.version == 6 else str(address)
    parts = target.parts
    return parts._replace(netloc=f"{literal}:{target.port}", fragment="").geturl()


def _host_header(target: Target) -> str:
    default = DEFAULT_PORTS[target.parts.scheme.lower()]
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


@cache
def _tls() -> ssl.SSLContext:
    """Certificates checked against the public authorities; made once (loading them costs
    more than a whole call to a receiver nearby)."""
    return ssl.create_default_context(cafile=certifi.where())


def post(
    url: str,
    content: bytes,
    headers: Mapping[str, str],
    timeout: float,
    *,
    max_bytes: int = MAX_REPLY_BYTES,
    method: str = "POST",
) -> Reply:
    """POST ``content`` to ``url`` (or send it with ``method``: an API's PATCH), connecting
    only to an address checked just now; never
    follows a redirect (a 3xx is a reply like any other). Raises UrlNotAllowed for a URL the
    checks refuse, EgressFailed when no reply came within ``timeout`` seconds in all. The
    reply's first ``max_bytes`` are kept (an API whose answer is read: more than the 2 KB
    excerpt a webhook's receiver gets)."""
    target = _target(url)
    address = _addresses(target)[0]
    extensions = {"sni_hostname": target.host} if target.parts.scheme.lower() == "https" else {}
    started = time.monotonic()
    deadline = started + timeout
    limits = httpx.Timeout(timeout, connect=min(CONNECT_SECONDS, timeout))
    # No proxies from the environment: a proxy would connect to whatever the name resolves to.
    # A client per call (no connection is shared between hosts), with one TLS context for all.
    with httpx.Client(
        timeout=limits, follow_redirects=False, trust_env=False, verify=_tls()
    ) as client:
        try:
            with client.stream(
                method,
                _pinned_url(target, address),
                content=content,
                headers={**headers, "Host": _host_header(target)},
                extensions=extensions,
            ) as response:
                body = bytearray()
                for chunk in response.iter_raw():
                    body.extend(chunk)
                    if len(body) >= max_bytes or time.monotonic() > deadline:
                        break
        except httpx.TimeoutException as error:
            raise EgressFailed("timeout", f"no reply within {timeout:g} s") from error
        except httpx.HTTPError as error:
            raise EgressFailed("connection", f"{type(error).__name__}: {error}"[:300]) from error
    return Reply(
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        excerpt=bytes(body[:max_bytes]).decode("utf-8", errors="replace"),
        seconds=time.monotonic() - started,
    )
