"""SMS through a REST API in the shape of Twilio's Messages resource.

``SMS_URL`` is the resource messages are created at, e.g.
``https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json`` (``{AccountSid}``
is replaced by ``SMS_ACCOUNT_SID``); ``SMS_ACCOUNT_SID`` and ``SMS_AUTH_TOKEN`` are the HTTP
basic credentials, ``SMS_FROM`` the sending number. A message is a form-encoded POST of
``To``, ``From`` and ``Body``; the provider answers 201 with the message's ``sid`` (status
``queued``), or an error ``{code, message, more_info, status}``. Code 21610 says the
recipient opted out (they texted STOP): never retried, the delivery is suppressed and the
number remembered (``accounts.phones.record_opt_out``). 429, 5xx and no reply at all may
pass and are retried by the delivery job; any other error would fail again as it is.

Without ``SMS_URL``, in development, each message is written to the log instead, as email
is without ``MAIL_URL``; in production that is a failure, not a message silently dropped.
The call goes through ``core.egress`` (address checks, no redirects, a bounded time).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from flask import current_app

from stampbook.core import egress
from stampbook.notifications.channels import Outgoing, SendFailed

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# Twilio's "Attempt to send to unsubscribed recipient".
OPTED_OUT = 21610
RETRYABLE_STATUSES = frozenset({408, 429})
# egress keeps the first 2 KB of a reply, and Twilio's echoes the whole text: a long message
# may cut the JSON short, so the sid is also looked for in the text (the key exactly "sid",
# not "account_sid"), then in the message's "uri".
_SID = re.compile(r'"sid"\s*:\s*"([A-Za-z]{2}[0-9a-fA-F]{32})"')
_URI_SID = re.compile(r"/Messages/([A-Za-z]{2}[0-9a-fA-F]{32})")


def _reply_fields(excerpt: str) -> dict[str, Any]:
    try:
        found = json.loads(excerpt)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _sid(excerpt: str, fields: dict[str, Any]) -> str | None:
    if isinstance(fields.get("sid"), str):
        return str(fields["sid"])
    for pattern in (_SID, _URI_SID):
        match = pattern.search(excerpt)
        if match:
            return match.group(1)
    return None


def _refusal(reply: egress.Reply) -> SendFailed:
    fields = _reply_fields(reply.excerpt)
    code = fields.get("code")
    said = str(fields.get("message") or reply.excerpt[:200])
    detail = f"SMS provider answered {reply.status}, code {code}: {said}"
    if fields.get("more_info"):
        detail += f" ({fields['more_info']})"
    if code == OPTED_OUT:
        return SendFailed(detail, retryable=False, opted_out=True)
    retryable = reply.status in RETRYABLE_STATUSES or reply.status >= 500
    if reply.headers.get("retry-after"):
        detail += f"; retry after {reply.headers['retry-after']} s"
    return SendFailed(detail, retryable=retryable)


def _logged(outgoing: Outgoing) -> str:
    if current_app.config.get("STAMPBOOK_ENV") == "production":
        raise SendFailed("SMS_URL is not set: no text message can be sent", retryable=False)
    logger.info("SMS not sent (no SMS_URL), to %s:\n%s", outgoing.to, outgoing.text)
    return f"logged-{uuid.uuid4().hex}"


def send(outgoing: Outgoing) -> str:
    config = current_app.config
    url = config.get("SMS_URL")
    if not url:
        return _logged(outgoing)
    account = config.get("SMS_ACCOUNT_SID") or ""
    secret = base64.b64encode(f"{account}:{config.get('SMS_AUTH_TOKEN') or ''}".encode()).decode()
    form = urlencode(
        {"To": outgoing.to, "From": config.get("SMS_FROM") or "", "Body": outgoing.text}
    )
    try:
        reply = egress.post(
            url.replace("{AccountSid}", account),
            form.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Authorization": f"Basic {secret}",
            },
            TIMEOUT_SECONDS,
        )
    except egress.EgressFailed as error:
        raise SendFailed(
            f"SMS provider: no reply ({error.kind}): {error}", retryable=True
        ) from error
    except egress.UrlNotAllowed as error:
        raise SendFailed(f"SMS_URL may not be called: {error}", retryable=False) from error
    if not 200 <= reply.status < 300:
        raise _refusal(reply)
    fields = _reply_fields(reply.excerpt)
    # Accepted is accepted: a reply whose sid cannot be read must not send the text twice.
    return _sid(reply.excerpt, fields) or f"unknown-{reply.status}"
