"""Email over SMTP through Flask-Mailman.

``MAIL_URL`` says where: ``smtp://user:pass@host:port`` (``?starttls=1`` to upgrade the
connection), ``smtps://`` for TLS from the start. Without it, in development, each message is
written to the log instead (the app says so when it starts). ``MAIL_FROM`` is the sender.
Each message is multipart: the plain text and its HTML alternative; a message with inline
parts (an event ticket's QR code) wraps both in a multipart/related with its images (RFC 2387).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email import encoders
from email.mime.base import MIMEBase
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend
from flask_mailman.backends.smtp import EmailBackend as SmtpBackend

from stampbook.notifications.channels import Inline, Outgoing, SendFailed

logger = logging.getLogger(__name__)

mail = Mail()
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    username: str | None
    password: str | None
    use_ssl: bool
    use_tls: bool


def server(url: str) -> Server:
    """``MAIL_URL`` read: ``smtp://user:pass@host:port?starttls=1`` or ``smtps://...``."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("MAIL_URL must be smtp://[user:pass@]host[:port] or smtps://...")
    secure = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in {"1", "true", "yes"}
    return Server(
        host=parts.hostname,
        port=parts.port or (465 if secure else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=secure,
        use_tls=starttls and not secure,
    )


class LogBackend(BaseEmailBackend):  # type: ignore[misc]
    """Development without MAIL_URL: each message goes to the log, whole."""

    def send_messages(self, messages: list[Any]) -> int:
        for message in messages:
            # WARNING: shown without any logging set up (the worker's root logger), and an
            # email that was not sent is worth seeing.
            logger.warning(
                "email not sent (no MAIL_URL), here it is:\n%s", message.message().as_string()
            )
        return len(messages)


def init_app(app: Flask) -> None:
    mail.init_app(app)
    url = app.config.get("MAIL_URL")
    if url:
        server(url)  # a wrong MAIL_URL stops the app at start, not the first email
    elif not app.testing:
        logger.warning("MAIL_URL is not set: emails are written to the log, not sent")


def _connection() -> BaseEmailBackend:
    url = current_app.config.get("MAIL_URL")
    if not url:
        return LogBackend()
    where = server(url)
    return SmtpBackend(
        host=where.host,
        port=where.port,
        username=where.username or "",
        password=where.password or "",
        use_tls=where.use_tls,
        use_ssl=where.use_ssl,
        timeout=TIMEOUT_SECONDS,
    )


class _Related(EmailMultiAlternatives):  # type: ignore[misc]
    """The text and HTML alternatives and the parts the HTML shows by ``cid:``, in one
    multipart/related whose ``type`` names its root, the alternatives."""

    mixed_subtype = "related"

    def _create_attachments(self, msg: Any) -> Any:
        msg = super()._create_attachments(msg)
        if self.attachments:
            msg.set_param("type", "multipart/alternative")
        return msg


def _inline_part(inline: Inline) -> MIMEBase:
    maintype, _slash, subtype = inline.mimetype.partition("/")
    part = MIMEBase(maintype, subtype)
    part.set_payload(inline.content)
    encoders.encode_base64(part)
    part.add_header("Content-ID", f"<{inline.cid}>")
    part.add_header("Content-Disposition", "inline", filename=inline.filename)
    return part


def send(outgoing: Outgoing) -> str:
    kind = _Related if outgoing.inline else EmailMultiAlternatives
    message = kind(
        subject=outgoing.subject,
        body=outgoing.text,
        from_email=current_app.config["MAIL_FROM"],
        to=[outgoing.to],
        headers=dict(outgoing.headers),
        connection=_connection(),
    )
    if outgoing.html is not None:
        message.attach_alternative(outgoing.html, "text/html")
    for inline in outgoing.inline:
        message.attach(_inline_part(inline))
    message_id = str(message.message()["Message-ID"])
    message.extra_headers["Message-ID"] = message_id
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        raise SendFailed(
            f"recipient refused: {error.recipients}", retryable=all(400 <= c < 500 for c in codes)
        ) from error
    except smtplib.SMTPResponseException as error:
        raise SendFailed(
            f"SMTP {error.smtp_code}: {error.smtp_error!r}", retryable=error.smtp_code < 500
        ) from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise SendFailed(f"{type(error).__name__}: {error}", retryable=True) from error
    return message_id
