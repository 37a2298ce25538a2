"""Chat announcements: what a shop's community hears in its chat (seed 004's "Ana reached
level 3"), through the shop's incoming-webhook URL (``Shop.chat_webhook_url``).

The consumer "chat" runs in the outbox's dispatch and only queues: for an occurrence worth
announcing, in a shop with a chat connected, an ``announce`` job after commit. The job reads
the shop's address as it is then, words the announcement in the language of the shop's
creator, and posts it after its own commit (no transaction waits on a chat server). A failure
that may pass is tried again later (``RETRY_SECONDS``), each attempt logged; one that will not
(the webhook deleted) is logged and dropped. A member whose memberships are private is never
announced. Adding an announcement is a type in ``TYPES`` and its words in ``_words``.
"""

from __future__ import annotations

import logging

from flask_babel import force_locale, gettext

from stampbook.accounts.models import Privacy, Section, User
from stampbook.core import unit_of_work
from stampbook.core.db import db
from stampbook.core.jobs import job
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.notifications import choices
from stampbook.notifications.channels import Outgoing, SendFailed, chat
from stampbook.programs.models import Program
from stampbook.shops.models import Shop

logger = logging.getLogger(__name__)

CONSUMER_NAME = "chat"
TYPES = frozenset({OccurrenceType.MEMBER_JOINED})
# Waits before the second, third and fourth attempt; then the announcement is dropped.
RETRY_SECONDS = (60, 300, 1800)


def _connected(shop_id: int | None) -> Shop | None:
    shop = db.session.get(Shop, shop_id) if shop_id is not None else None
    if shop is None or shop.deleted_at is not None or not shop.chat_webhook_url:
        return None
    return shop


def handle(occurrence: Occurrence) -> None:
    """Queue the announcement of ``occurrence`` if its shop has a chat connected."""
    if _connected(occurrence.shop_id) is not None:
        occurrence_id = occurrence.id
        unit_of_work.after_commit(lambda: announce.enqueue(occurrence_id, 1))


def _words(occurrence: Occurrence) -> str | None:
    """The announcement, or None when there is nothing to say (a private member, a member
    or program gone since)."""
    data = occurrence.payload
    if occurrence.type == OccurrenceType.MEMBER_JOINED:
        member = db.session.get(User, data["user_id"])
        program = db.session.get(Program, data["program_id"])
        if member is None or member.is_deleted or program is None:
            return None
        if member.privacy(Section.MEMBERSHIPS) == Privacy.PRIVATE:
            return None
        words: str = gettext("%(name)s joined %(program)s.", name=member.name, program=program.name)
        return words
    return None


@job
def announce(occurrence_id: int, attempt: int) -> bool:
    """Word the announcement now and post it after this job's commit; True if one is sent."""
    occurrence = db.session.get(Occurrence, occurrence_id)
    shop = _connected(occurrence.shop_id) if occurrence is not None else None
    if occurrence is None or shop is None:
        return False
    creator = db.session.get(User, shop.created_by)
    with force_locale(choices.language(creator) if creator is not None else "en"):
        text = _words(occurrence)
    if text is None:
        return False
    message = Outgoing(CONSUMER_NAME, shop.chat_webhook_url or "", "", text)
    unit_of_work.after_commit(lambda: _post(occurrence_id, attempt, message))
    return True


def _post(occurrence_id: int, attempt: int, message: Outgoing) -> None:
    try:
        chat.send(message)
    except SendFailed as failed:
        again = failed.retryable and attempt <= len(RETRY_SECONDS)
        logger.warning(
            "chat announcement of occurrence %s, attempt %s, failed%s: %s",
            occurrence_id,
            attempt,
            "; tried again later" if again else "; dropped",
            failed.detail,
        )
        if again:
            announce.enqueue_in(RETRY_SECONDS[attempt - 1], occurrence_id, attempt + 1)
        return
    logger.info("chat announcement of occurrence %s posted (attempt %s)", occurrence_id, attempt)
