"""What an email carries besides its template's words, looked up when it is built.

A kind may name an enclosure (``Kind.enclosure``): a function of the delivery's values, its
user and language, answering the words added to the plain text, the HTML added to the HTML
part, and the inline parts that HTML shows by ``cid:``. It runs when the message is built,
just before sending, because what it adds may be a secret that neither the occurrence's
payload (webhooks and every consumer read it) nor the delivery's row may keep: an event
ticket's code. Like the link, it is added by the app, so no shop's template can leave it out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import segno
from flask_babel import force_locale, gettext
from markupsafe import Markup

from stampbook.core.db import db
from stampbook.events.models import Registration
from stampbook.events.rules import SEATED
from stampbook.notifications.channels import Inline


@dataclass(frozen=True)
class Enclosure:
    text: str
    html: Markup
    inline: tuple[Inline, ...] = ()


Encloser = Callable[[Mapping[str, Any], int, str], Enclosure | None]

# Pixels per module: a ticket's code (version 2, 25 modules and the quiet zone of 4 on each
# side) is a 198-pixel square, which phones read from a screen at arm's length.
QR_SCALE = 6
QR_BORDER = 4


def qr_png(code: str) -> tuple[bytes, int]:
    """The ticket code as a QR code in PNG (the ticket page's error level), and its width in
    pixels. Always a full QR code: a Micro QR, which segno may choose for short data, is not
    read by phones' cameras."""
    symbol = segno.make_qr(code, error="m")
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    width, _height = symbol.symbol_size(scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue(), int(width)


def ticket(values: Mapping[str, Any], user_id: int, language: str) -> Enclosure | None:
    """The ticket's code and its QR code, for the registration the values name while it holds
    a seat (a ticket cancelled meanwhile no longer opens the door: nothing is added)."""
    registration_id = values.get("registration_id")
    if not isinstance(registration_id, int):
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.user_id != user_id:
        return None
    if registration.status not in SEATED:
        return None
    code = registration.ticket_code
    png, width = qr_png(code)
    cid = f"ticket-{registration.id}@stampbook"
    with force_locale(language):
        label, alt = gettext("Ticket code"), gettext("Ticket QR code")
    html = Markup(
        '<p><img src="cid:{cid}" alt="{alt}" width="{width}" height="{width}"></p>\n'
        "<p>{label}: <code>{code}</code></p>"
    ).format(cid=cid, alt=alt, width=width, label=label, code=code)
    return Enclosure(f"{label}: {code}", html, (Inline(cid, png, "image/png", "ticket-qr.png"),))
