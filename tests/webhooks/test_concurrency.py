"""Workers racing for one due attempt: it is sent once (real commits, parallel threads;
on PostgreSQL truly parallel connections)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db, utcnow
from stampbook.webhooks import delivery
from stampbook.webhooks.models import WebhookAttempt, WebhookMessage
from tests.concurrency import committed_session, run_parallel
from tests.factories.tasks import make_world
from tests.factories.webhooks import make_endpoint, make_message
from tests.webhooks.receiver import Receiver, Reply

pytestmark = pytest.mark.concurrency


def test_workers_racing_for_one_attempt_send_it_once(committed: Flask, receiver: Receiver) -> None:
    with committed_session(committed) as session:
        world = make_world(session)
        endpoint = make_endpoint(session, world.shop, receiver.url)
        message_id = make_message(session, endpoint, utcnow()).id
    receiver.answer(Reply(200, delay=0.3))  # slow: the others try while it is being sent

    def work(_index: int) -> bool:
        with committed.app_context():
            return delivery.attempt_delivery(message_id)

    made = run_parallel(6, work)

    assert sum(made) == 1
    assert len(receiver.received) == 1
    with committed.app_context():
        message = db.session.get(WebhookMessage, message_id)
        assert message is not None
        assert (message.status, message.attempts) == ("delivered", 1)
        count = db.session.scalar(select(func.count()).select_from(WebhookAttempt))
        assert count == 1
