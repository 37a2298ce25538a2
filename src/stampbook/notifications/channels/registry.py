"""Which sender sends each channel (see the contract in ``channels/__init__.py``)."""

from __future__ import annotations

from stampbook.notifications.channels import Sender, chat, email, sms

SENDERS: dict[str, Sender] = {
    "email": email.send,
    "sms": sms.send,
    "chat": chat.send,
}
