"""The channels a delivery goes out on, each behind one small contract.

- An :class:`Outgoing` message: its ``channel``, the address it goes ``to`` (an email
  address, a phone number, a chat webhook's URL), a ``subject`` (channels without one ignore
  it), the plain ``text``, an ``html`` alternative or None, extra ``headers`` (email's
  ``List-Unsubscribe``; other channels ignore them) and ``inline`` parts the HTML shows by
  ``cid:`` (an event ticket's QR code as a PNG; other channels ignore them).
- A sender, ``send(outgoing) -> str``, returns the provider's id of the message (a
  Message-ID, an SMS sid) or raises :class:`SendFailed` with a ``detail`` for the log,
  ``retryable`` (a failure that may pass: a server down, a timeout, a 4xx SMTP reply, a 429
  or 5xx from an API) and ``opted_out`` (the address refuses this sender, e.g. SMS STOP: the
  delivery is suppressed, not failed). It never retries by itself: the delivery job does,
  on its schedule (``rules.BACKOFF``), and logs every attempt.
- ``registry.SENDERS`` maps each channel's name to its sender. Adding a channel (SMS, chat)
  is a module here with its ``send``, its line in ``registry.SENDERS``, and the channel in
  ``kinds.Channel`` with the kinds that may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inline:
    """A part the HTML shows by ``<img src="cid:{cid}">``: mail clients render neither SVG
    nor ``data:`` URIs reliably, but an image in the message itself they do."""

    cid: str
    content: bytes
    mimetype: str  # image/png
    filename: str


@dataclass(frozen=True)
class Outgoing:
    channel: str
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    inline: tuple[Inline, ...] = ()


class SendFailed(Exception):
    """A sender could not send: ``retryable`` if trying later may succeed, ``opted_out`` if
    the address refuses this sender for good."""

    def __init__(self, detail: str, *, retryable: bool, opted_out: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.opted_out = opted_out


Sender = Callable[[Outgoing], str]
