"""The ticket in the confirmation email (issue 18): through a real SMTP server, the email of
a seat (and of a seat from the waiting list) is a multipart/related whose HTML shows the
ticket's QR code as an inline PNG by ``cid:``, with the ticket's code in words in both
parts, in the member's language. The code is a secret: neither the occurrence nor the
delivery's row keeps it. Other emails stay as they were (tests/notifications/test_email.py).

No QR decoder is installed, so the PNG is read here (zlib and the PNG format) module by
module and compared with the QR code segno makes of the ticket's code, and with segno's own
PNG of it.
"""

from __future__ import annotations

import io
import struct
import zlib
from email.message import EmailMessage

import segno
from aiosmtpd.controller import Controller
from flask import Flask, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core.outbox import Occurrence
from stampbook.events.models import Registration
from stampbook.notifications import enclosures
from stampbook.notifications.models import Delivery
from tests.events.conftest import Club
from tests.notifications.test_email import Inbox, smtp  # noqa: F401 (a real SMTP server)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _modules(png: bytes, scale: int) -> list[list[bool]]:
    """The dark modules of a 1-bit greyscale PNG of a QR code (border included), read at
    the centre of each ``scale``-pixel square."""
    assert png.startswith(PNG_SIGNATURE)
    chunks: dict[bytes, bytes] = {}
    position = len(PNG_SIGNATURE)
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + data) == crc, kind
        chunks[kind] = chunks.get(kind, b"") + data
        position += 12 + length
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", chunks[b"IHDR"]
    )
    assert (depth, colour, interlace) == (1, 0, 0), "segno writes 1-bit greyscale"
    stride = (width + 7) // 8
    raw = zlib.decompress(chunks[b"IDAT"])
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        rows.append(previous := _unfilter(line[0], bytearray(line[1:]), previous))
    assert width % scale == 0 and height % scale == 0

    def dark(x: int, y: int) -> bool:
        return not (rows[y][x // 8] >> (7 - x % 8)) & 1  # 0 is black

    return [
        [dark(mx * scale + scale // 2, my * scale + scale // 2) for mx in range(width // scale)]
        for my in range(height // scale)
    ]


def _unfilter(kind: int, line: bytearray, previous: bytes) -> bytes:
    """PNG's per-line filters, with one byte per pixel step (bit depth 1)."""
    for i, byte in enumerate(line):
        left = line[i - 1] if i else 0
        up = previous[i]
        corner = previous[i - 1] if i else 0
        if kind == 1:
            byte += left
        elif kind == 2:
            byte += up
        elif kind == 3:
            byte += (left + up) // 2
        elif kind == 4:
            guess = left + up - corner
            nearest = min(
                (abs(guess - left), 0, left),
                (abs(guess - up), 1, up),
                (abs(guess - corner), 2, corner),
            )
            byte += nearest[2]
        line[i] = byte & 0xFF
    return bytes(line)


def _expected_modules(code: str) -> list[list[bool]]:
    symbol = segno.make_qr(code, error="m")
    return [[bool(m) for m in row] for row in symbol.matrix_iter(border=enclosures.QR_BORDER)]


def _segno_png(code: str) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(code, error="m").save(
        buffer, kind="png", scale=enclosures.QR_SCALE, border=enclosures.QR_BORDER
    )
    return buffer.getvalue()


def _check_ticket_email(message: EmailMessage, registration: Registration) -> dict[str, str]:
    """The message's related structure and its QR code; its text parts by type."""
    code = registration.ticket_code
    cid = f"ticket-{registration.id}@stampbook"
    assert message.get_content_type() == "multipart/related"
    assert message.get_param("type") == "multipart/alternative"
    root, image = message.iter_parts()
    assert root.get_content_type() == "multipart/alternative"
    texts = {part.get_content_type(): part.get_content() for part in root.iter_parts()}
    assert set(texts) == {"text/plain", "text/html"}
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == f"<{cid}>"
    assert image.get_content_disposition() == "inline"
    png = image.get_content()
    assert png == _segno_png(code)
    width, height = struct.unpack(">II", png[16:24])
    assert width == height == 198  # 25 modules and the quiet zone, 6 pixels each
    assert _modules(png, enclosures.QR_SCALE) == _expected_modules(code)
    assert f'<img src="cid:{cid}"' in texts["text/html"]
    assert f"<code>{code}</code>" in texts["text/html"]
    assert code in texts["text/plain"]
    return texts


def _mail_to(inbox: Inbox, address: str) -> EmailMessage:
    [message] = [m for m in inbox.messages if m["To"] == address]
    return message


def test_the_confirmation_email_carries_the_ticket_qr_code(
    club: Club,
    session: Session,
    smtp: tuple[Inbox, Controller],  # noqa: F811
) -> None:
    inbox, _controller = smtp
    event = club.make_event().json["id"]
    seat = club.register(event, "member").json
    registration = session.get(Registration, seat["id"])
    assert registration is not None and seat["ticket_code"] == registration.ticket_code
    message = _mail_to(inbox, club.team.member.email)
    assert message["Subject"] == "Your ticket for Trivia night"
    texts = _check_ticket_email(message, registration)
    assert f"Ticket code: {registration.ticket_code}" in texts["text/plain"]
    assert 'alt="Ticket QR code"' in texts["text/html"]
    assert f"/registrations/{registration.id}" in texts["text/plain"]  # the page's link too
    # The secret is only in the email: not in the occurrence nor in the delivery's row.
    payloads = session.scalars(select(Occurrence.payload)).all()
    contexts = session.scalars(select(Delivery.context)).all()
    assert registration.ticket_code not in repr([payloads, contexts])


def test_the_email_is_in_the_members_language(
    club: Club,
    session: Session,
    smtp: tuple[Inbox, Controller],  # noqa: F811
) -> None:
    inbox, _controller = smtp
    club.team.member.language = "es"
    session.flush()
    event = club.make_event(price="12.50", currency="EUR").json["id"]
    seat = club.register(event, "member").json
    assert seat["payment_status"] == "unpaid"  # a held seat's ticket works once paid
    registration = session.get(Registration, seat["id"])
    assert registration is not None
    message = _mail_to(inbox, club.team.member.email)
    assert message["Subject"] == "Tu entrada para Trivia night"
    texts = _check_ticket_email(message, registration)
    assert f"Código de entrada: {registration.ticket_code}" in texts["text/plain"]
    assert 'alt="Código QR de la entrada"' in texts["text/html"]
    assert "está aquí abajo" in texts["text/plain"]


def test_the_seat_from_the_waiting_list_gets_its_ticket_by_email(
    club: Club,
    session: Session,
    smtp: tuple[Inbox, Controller],  # noqa: F811
) -> None:
    inbox, _controller = smtp
    event = club.make_event(capacity=1).json["id"]
    first = club.register(event, "member").json
    waiting = club.register(event, "outsider").json
    assert waiting["status"] == "waitlisted"
    assert [m for m in inbox.messages if m["To"] == club.team.outsider.email] == []
    cancelled = club.client.delete(
        f"/api/v1/registrations/{first['id']}", headers=club.headers("member")
    )
    assert cancelled.status_code == 204
    registration = session.get(Registration, waiting["id"], populate_existing=True)
    assert registration is not None and registration.status == "registered"
    message = _mail_to(inbox, club.team.outsider.email)
    assert message["Subject"] == "A seat for you at Trivia night"
    _check_ticket_email(message, registration)


def test_a_ticket_no_longer_seated_or_of_someone_else_encloses_nothing(
    app: Flask, club: Club, session: Session
) -> None:
    event = club.make_event().json["id"]
    seat = club.register(event, "member").json["id"]
    gone = club.register(event, "outsider").json["id"]
    cancelled = club.client.delete(
        f"/api/v1/registrations/{gone}", headers=club.headers("outsider")
    )
    assert cancelled.status_code == 204
    member, outsider = club.team.member.id, club.team.outsider.id
    session.expire_all()
    with app.app_context():  # the delivery job's own (a request's would end the session)
        g._db_session = session
        found = enclosures.ticket({"registration_id": seat}, member, "en")
        assert found is not None and [i.mimetype for i in found.inline] == ["image/png"]
        assert enclosures.ticket({"registration_id": seat}, outsider, "en") is None
        assert enclosures.ticket({}, member, "en") is None
        assert enclosures.ticket({"registration_id": gone}, outsider, "en") is None
