"""Chat announcements through a shop's incoming-webhook URL (the ``to`` of the message).

The body takes the shape the URL's host reads: Discord's ``{"content": ...}`` for
discord.com and discordapp.com, else Slack's ``{"text": ...}``, which Mattermost,
Rocket.Chat and Heartbeat-style incoming webhooks also take. The text of an announcement
holds people's names, so it may not ping a whole channel: Discord is told to parse no
mentions, and Slack's control characters (``&``, ``<``, ``>``) are escaped as Slack asks.

A 2xx is sent. 429 (with its ``Retry-After``), 408, 5xx and no reply at all may pass, and
the delivery job tries again; 404 and 410 say the webhook was deleted, and any other error
would fail again as it is: neither is retried. The call goes through ``core.egress``, which
checks the URL's addresses again as it connects.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from stampbook.core import egress
from stampbook.notifications.channels import Outgoing, SendFailed

TIMEOUT_SECONDS = 10
DISCORD_HOSTS = ("discord.com", "discordapp.com")
DISCORD_MAX_CHARACTERS = 2000
RETRYABLE_STATUSES = frozenset({408, 429})


def is_discord(url: str) -> bool:
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    return any(host == known or host.endswith(f".{known}") for known in DISCORD_HOSTS)


def _slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(url: str, text: str) -> dict[str, object]:
    """What is posted to ``url`` to say ``text``."""
    if is_discord(url):
        return {"content": text[:DISCORD_MAX_CHARACTERS], "allowed_mentions": {"parse": []}}
    return {"text": _slack_escaped(text)}


def _message_id(excerpt: str) -> str:
    """Discord names the message it made when asked to wait (``?wait=true``); Slack and the
    others answer ``ok`` or nothing."""
    try:
        found = json.loads(excerpt)
    except ValueError:
        return ""
    return str(found.get("id", "")) if isinstance(found, dict) else ""


def send(outgoing: Outgoing) -> str:
    content = json.dumps(body(outgoing.to, outgoing.text), ensure_ascii=False).encode()
    try:
        reply = egress.post(
            outgoing.to, content, {"Content-Type": "application/json"}, TIMEOUT_SECONDS
        )
    except egress.EgressFailed as error:
        raise SendFailed(
            f"chat webhook: no reply ({error.kind}): {error}", retryable=True
        ) from error
    except egress.UrlNotAllowed as error:
        raise SendFailed(f"chat webhook may not be called: {error}", retryable=False) from error
    if 200 <= reply.status < 300:
        return _message_id(reply.excerpt)
    detail = f"chat webhook answered {reply.status}: {reply.excerpt[:200]}"
    if reply.status in {404, 410}:
        raise SendFailed(f"{detail} (the webhook was deleted)", retryable=False)
    if reply.headers.get("retry-after"):
        detail += f"; retry after {reply.headers['retry-after']} s"
    retryable = reply.status in RETRYABLE_STATUSES or reply.status >= 500
    raise SendFailed(detail, retryable=retryable)
