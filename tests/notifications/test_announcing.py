"""Chat announcements through the outbox: a member joining a shop's program is announced in
the shop's chat (a real receiver on loopback), in the shop creator's language; a member whose
memberships are private is not; a shop without a chat queues nothing; a failure that may pass
is logged and tried again later, one that will not is dropped."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core import jobs
from stampbook.notifications import announcing
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_program
from tests.factories.shops import make_shop
from tests.notifications.test_chat import SLACK_OK, slack_error
from tests.webhooks.receiver import Receiver


@pytest.fixture
def chat_url(chat_server: Receiver) -> str:
    host, port = chat_server.server.server_address[:2]  # type: ignore[union-attr]
    return f"http://{host!s}:{port}/services/T000/B000/XXXX"


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, tuple[int, int]]]:
    """What ``announce`` queues for later (jobs run inline in tests: nothing runs later)."""
    queued: list[tuple[float, tuple[int, int]]] = []
    monkeypatch.setattr(
        announcing.announce, "enqueue_in", lambda seconds, *args: queued.append((seconds, args))
    )
    return queued


def _join(client: FlaskClient, session: Session, member: User, chat: str | None) -> None:
    owner = make_user(session, language="es")
    shop = make_shop(session, owner, name="Café Luna")
    shop.chat_webhook_url = chat
    program = make_program(session, shop, name="Tarjeta café")
    session.flush()
    response = client.post(
        f"/api/v1/programs/{program.id}/memberships", json={}, headers=auth(session, member)
    )
    assert response.status_code == 201, response.json


def test_a_member_joining_is_announced_in_the_shops_chat_in_its_language(
    client: FlaskClient, session: Session, chat_server: Receiver, chat_url: str
) -> None:
    chat_server.answer(SLACK_OK)
    _join(client, session, make_user(session, name="Ana"), chat_url)
    [got] = chat_server.received
    assert json.loads(got.body) == {"text": "Ana se unió a Tarjeta café."}


def test_a_private_member_or_a_shop_without_chat_is_not_announced(
    client: FlaskClient, session: Session, chat_server: Receiver, chat_url: str
) -> None:
    private = make_user(session, privacy_settings={"memberships": "private"})
    _join(client, session, private, chat_url)
    _join(client, session, make_user(session), None)
    assert chat_server.received == []


def test_a_failure_that_may_pass_is_tried_later_and_one_that_will_not_is_dropped(
    client: FlaskClient,
    session: Session,
    chat_server: Receiver,
    chat_url: str,
    retries: list[tuple[float, tuple[int, int]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat_server.answer(slack_error(500, "internal_error"), slack_error(404, "no_service"))
    with caplog.at_level(logging.WARNING, logger=announcing.__name__):
        _join(client, session, make_user(session, name="Ana"), chat_url)
        [(seconds, (occurrence_id, attempt))] = retries
        assert (seconds, attempt) == (announcing.RETRY_SECONDS[0], 2)
        # What the queue would run later: the job in its own unit of work.
        with client.application.app_context():
            assert jobs.run_in_app(lambda: announcing.announce(occurrence_id, attempt)) is True
    assert len(chat_server.received) == 2
    assert len(retries) == 1  # the 404 (the webhook deleted) is not tried again
    said = [r.getMessage() for r in caplog.records]
    assert any("attempt 1, failed; tried again later" in s for s in said), said
    assert any("attempt 2, failed; dropped" in s for s in said), said
