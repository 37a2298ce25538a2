"""A shop's chat announcements tried from its settings: a test announcement, posted to the
shop's chat through notifications' chat channel by a job after the request's commit, so a
slow or dead chat server holds up no request and no transaction waits on it."""

from __future__ import annotations

import logging

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core import unit_of_work
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.jobs import job
from stampbook.notifications.channels import Outgoing, SendFailed, chat
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopAction
from stampbook.shops.queries import load_shop

logger = logging.getLogger(__name__)

CHANNEL = "chat"


def request_test(actor: User, shop_id: int, *, text: str) -> None:
    """Queue ``text`` for the shop's chat (after commit); the team who edit the shop may."""
    shop = load_shop(actor, shop_id, ShopAction.SHOP_EDIT)
    if not shop.chat_webhook_url:
        raise Conflict(code="chat_not_connected")
    unit_of_work.after_commit(lambda: send_test.enqueue(shop_id, text))


@job
def send_test(shop_id: int, text: str) -> None:
    """Post ``text`` to the shop's chat address as it is now (none: nothing to do), after
    this job's own transaction."""
    url = db.session.scalar(
        select(Shop.chat_webhook_url).where(Shop.id == shop_id, Shop.deleted_at.is_(None))
    )
    if url:
        unit_of_work.after_commit(lambda: _post(shop_id, url, text))


def _post(shop_id: int, url: str, text: str) -> None:
    try:
        chat.send(Outgoing(CHANNEL, url, "", text))
    except SendFailed as failed:
        logger.warning("test announcement of shop %s not posted: %s", shop_id, failed.detail)
    else:
        logger.info("test announcement of shop %s posted", shop_id)
