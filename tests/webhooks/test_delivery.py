"""Delivery to a real receiver on loopback, verified with the Standard Webhooks reference
library: headers, retries on the spec's schedule (pinned clock), 410, redirects, timeouts,
Retry-After, rotation, replay, test messages, and one attempt per claim."""

from __future__ import annotations

import time
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from stampbook.accounts.models import User
from stampbook.core import outbox, unit_of_work
from stampbook.core.db import execute_core, utcnow
from stampbook.core.outbox import Occurrence
from stampbook.shops.models import Shop
from stampbook.webhooks import delivery, rules
from stampbook.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from tests.factories.accounts import auth
from tests.factories.tasks import World, make_task, make_world
from tests.factories.webhooks import make_endpoint, make_message
from tests.occurrences import last_id, recorded
from tests.webhooks.conftest import Clock
from tests.webhooks.receiver import Received, Receiver, Reply


def _verified(secret: str, got: Received) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(got.body, got.headers)
    return payload


def _endpoint(session: Session, world: World, receiver: Receiver, **fields: Any) -> WebhookEndpoint:
    return make_endpoint(session, world.shop, receiver.url, **fields)


def _test_message(app: Flask, session: Session, endpoint: WebhookEndpoint) -> int:
    """A test message for the endpoint, asked by its shop's creator through the API; its
    first attempt is made after commit."""
    creator = session.scalar(
        select(User).join(Shop, Shop.created_by == User.id).where(Shop.id == endpoint.shop_id)
    )
    assert creator is not None
    response = app.test_client().post(
        f"/api/v1/webhook-endpoints/{endpoint.id}/test", headers=auth(session, creator)
    )
    assert response.status_code == 202, response.json
    message_id: int = response.json["id"]
    return message_id


def _message(session: Session, message_id: int) -> WebhookMessage:
    session.expire_all()
    found = session.get(WebhookMessage, message_id)
    assert found is not None
    return found


def _attempts(session: Session, message_id: int) -> list[WebhookAttempt]:
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.message_id == message_id)
            .order_by(WebhookAttempt.id)
        )
    )


def _send_due(app: Flask) -> int:
    """What the periodic job does: queue what is due, sent after its commit."""
    with app.app_context():
        return unit_of_work.run(delivery.send_due)


def _stamp(client: FlaskClient, session: Session, world: World, points: int = 3) -> None:
    task = make_task(session, world.program, point_value=points)
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        headers=auth(session, world.member),
        json={"membership_id": world.membership.id},
    )
    assert response.status_code == 201, response.json


def test_a_stamp_reaches_the_shop_verified_even_after_a_failed_first_attempt(
    app: Flask, client: FlaskClient, session: Session, receiver: Receiver, clock: Clock
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver, event_types=["points.earned"])
    receiver.answer(Reply(500, body=b"down for a moment"))

    _stamp(client, session, world, points=3)
    assert len(receiver.received) == 1  # the first attempt, right after commit: a 500
    clock.advance(timedelta(seconds=7))  # past the 5 s retry with its jitter
    assert _send_due(app) == 1

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["webhook-id"].startswith("msg_")
    assert first.body == second.body
    payload = _verified(endpoint.secret, second)
    assert payload["type"] == "points.earned"
    assert payload["data"]["amount"] == 3
    assert payload["data"]["shop_id"] == world.shop.id
    assert payload["data"]["membership_id"] == world.membership.id
    assert isinstance(payload["data"]["occurrence_id"], int)
    assert set(payload) == {"type", "timestamp", "data"}
    assert second.headers["content-type"] == "application/json"
    [message] = session.scalars(
        select(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint.id)
    )
    session.refresh(message)
    assert message.status == "delivered"
    assert [a.status_code for a in _attempts(session, message.id)] == [500, 200]


def test_the_timestamp_is_the_time_of_sending(
    app: Flask, session: Session, receiver: Receiver
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    before = time.time()
    _test_message(app, session, endpoint)
    [got] = receiver.received
    assert before - 1 <= int(got.headers["webhook-timestamp"]) <= time.time() + 1
    assert _verified(endpoint.secret, got)["type"] == rules.TEST_TYPE


def test_the_schedule_is_followed_with_the_same_webhook_id(
    app: Flask, session: Session, receiver: Receiver, clock: Clock
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    receiver.answer(*[Reply(500) for _ in rules.SCHEDULE])
    message_id = _test_message(app, session, endpoint)
    start = clock.now()
    for number in range(1, len(rules.SCHEDULE)):
        due = _message(session, message_id).next_attempt_at
        assert due is not None
        planned = rules.SCHEDULE[number]
        waited = due - clock.now()
        assert planned * 0.8 - timedelta(seconds=1) <= waited <= planned * 1.2
        clock.set(due - timedelta(seconds=1))
        assert _send_due(app) == 0  # not yet
        assert len(receiver.received) == number
        clock.set(due)
        assert _send_due(app) == 1
        assert len(receiver.received) == number + 1
    message = _message(session, message_id)
    assert message.status == "failed"
    assert message.next_attempt_at is None
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    # About a day and a bit, all told (27 h 35 min, give or take the jitter).
    assert clock.now() - start >= sum(rules.SCHEDULE, timedelta()) * 0.8
    attempts = _attempts(session, message_id)
    assert len(attempts) == len(rules.SCHEDULE)
    assert attempts[-1].next_attempt_at is None
    for got in receiver.received:  # each signed when sent: the library accepts each
        assert _verified(endpoint.secret, got)["type"] == rules.TEST_TYPE


def test_410_disables_the_endpoint_and_announces_it(
    app: Flask, session: Session, receiver: Receiver
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    receiver.answer(Reply(410))
    mark = last_id(session)
    message_id = _test_message(app, session, endpoint)
    session.expire_all()
    assert endpoint.enabled is False
    assert endpoint.disabled_reason == "gone"
    assert _message(session, message_id).status == "failed"
    announced = [
        (t, s, p) for t, s, p in recorded(session, mark) if t == "webhook_endpoint.disabled"
    ]
    assert announced == [
        (
            "webhook_endpoint.disabled",
            world.shop.id,
            {"endpoint_id": endpoint.id, "url": endpoint.url, "reason": "gone"},
        )
    ]


def test_a_redirect_is_a_failure_never_followed(
    app: Flask, session: Session, receiver: Receiver
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    receiver.answer(Reply(307, {"location": receiver.url + "/moved"}))
    message_id = _test_message(app, session, endpoint)
    assert [r.path for r in receiver.received] == ["/hook"]
    message = _message(session, message_id)
    assert message.status == "pending"
    assert message.next_attempt_at is not None
    assert [a.status_code for a in _attempts(session, message_id)] == [307]


def test_a_slow_receiver_times_out_and_is_retried(
    app: Flask,
    session: Session,
    receiver: Receiver,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOKS_TIMEOUT_SECONDS", 0.3)
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    receiver.answer(Reply(200, delay=1.5))
    message_id = _test_message(app, session, endpoint)
    [timed_out] = _attempts(session, message_id)
    assert (timed_out.error, timed_out.status_code) == ("timeout", None)
    assert timed_out.duration_ms < 1500
    clock.advance(timedelta(seconds=7))
    assert _send_due(app) == 1
    assert _message(session, message_id).status == "delivered"
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]


@pytest.mark.parametrize("header", ["600", "date"])
def test_retry_after_moves_the_next_attempt_later(
    app: Flask, session: Session, receiver: Receiver, clock: Clock, header: str
) -> None:
    value = (
        header
        if header != "date"
        else format_datetime(clock.now() + timedelta(minutes=10), usegmt=True)
    )
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    receiver.answer(Reply(503, {"retry-after": value}))
    message_id = _test_message(app, session, endpoint)
    due = _message(session, message_id).next_attempt_at
    assert due is not None
    assert timedelta(minutes=9) <= due - clock.now() <= timedelta(minutes=10)
    clock.advance(timedelta(seconds=30))
    assert _send_due(app) == 0  # the 5 s retry waits for what the receiver asked


def test_a_rotated_secret_signs_alongside_the_new_one_for_the_grace_period(
    app: Flask, session: Session, receiver: Receiver, clock: Clock
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    old = endpoint.secret
    response = app.test_client().post(
        f"/api/v1/webhook-endpoints/{endpoint.id}/secret/rotate", headers=auth(session, world.owner)
    )
    assert response.status_code == 200, response.json
    new = response.json["secret"]
    assert new != old and new.startswith("whsec_")

    _test_message(app, session, endpoint)
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    _verified(old, during)
    _verified(new, during)

    clock.advance(timedelta(hours=24, seconds=1))
    _test_message(app, session, endpoint)
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    _verified(new, after)
    with pytest.raises(WebhookVerificationError):
        _verified(old, after)


def test_a_replay_sends_the_same_message_again(
    app: Flask, session: Session, receiver: Receiver
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    message_id = _test_message(app, session, endpoint)
    response = app.test_client().post(
        f"/api/v1/webhook-messages/{message_id}/replay", headers=auth(session, world.owner)
    )
    assert response.status_code == 202, response.json
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert first.body == again.body
    message = _message(session, message_id)
    assert (message.status, message.attempts) == ("delivered", 1)
    assert len(_attempts(session, message_id)) == 2


def test_occurrences_go_only_to_the_endpoints_that_want_them(
    client: FlaskClient, session: Session, receiver: Receiver
) -> None:
    world = make_world(session)
    _endpoint(session, world, receiver, event_types=["points.spent"])
    _endpoint(session, world, receiver, enabled=False)
    other = make_world(session)
    make_endpoint(session, other.shop, receiver.url)
    _stamp(client, session, world)
    assert receiver.received == []


def test_an_endpoint_failing_for_days_is_disabled_and_its_shop_told(
    app: Flask, session: Session, receiver: Receiver, clock: Clock
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver, failing_since=clock.now() - timedelta(days=5))
    receiver.answer(Reply(500))
    mark = last_id(session)
    message_id = _test_message(app, session, endpoint)
    session.expire_all()
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, "failing")
    assert _message(session, message_id).status == "failed"
    assert [
        p["reason"] for t, _s, p in recorded(session, mark) if t == "webhook_endpoint.disabled"
    ] == ["failing"]


def test_a_success_clears_the_failing_mark(
    app: Flask, session: Session, receiver: Receiver, clock: Clock
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver, failing_since=clock.now() - timedelta(days=1))
    _test_message(app, session, endpoint)
    session.expire_all()
    assert endpoint.failing_since is None
    assert endpoint.enabled


def test_a_claimed_attempt_is_not_claimed_twice_and_comes_back_after_its_lease(
    app: Flask, session: Session, receiver: Receiver, clock: Clock
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    message = make_message(session, endpoint, clock.now())

    def claim() -> delivery.Claimed | None:
        with app.app_context():  # a worker of its own, committing its claim
            return unit_of_work.run(lambda: delivery._claim(message.id, clock.now()))

    first, second = claim(), claim()
    assert first is not None and first.attempt == 1
    assert second is None
    # A worker that read the message before the claim committed loses the conditional update.
    with app.app_context():
        stale = {"message_id": message.id, "now": clock.now() + timedelta(days=1), "attempts": 0}
        late = execute_core(delivery._CLAIM, {**stale, "lease": clock.now()}).first()
    assert late is None
    # The first worker died before recording anything: once its lease runs out it is due again.
    clock.advance(timedelta(seconds=2) + delivery.LEASE_MARGIN + timedelta(seconds=1))
    assert _send_due(app) == 1
    assert _message(session, message.id).status == "delivered"
    assert len(receiver.received) == 1
    assert _message(session, message.id).attempts == 2


def test_a_disabled_endpoints_pending_message_fails_without_a_call(
    app: Flask, session: Session, receiver: Receiver, clock: Clock
) -> None:
    world = make_world(session)
    endpoint = _endpoint(session, world, receiver)
    receiver.answer(Reply(500))
    message_id = _test_message(app, session, endpoint)
    endpoint.enabled = False
    session.flush()
    clock.advance(timedelta(minutes=1))
    assert _send_due(app) == 1
    assert _message(session, message_id).status == "failed"
    assert len(receiver.received) == 1


@pytest.mark.usefixtures("app_context")
def test_an_occurrence_of_no_shop_reaches_no_endpoint(session: Session, receiver: Receiver) -> None:
    world = make_world(session)
    _endpoint(session, world, receiver)
    occurrence = Occurrence(
        type="buddy.accepted",
        shop_id=None,
        payload={"buddy_request_id": 1, "requester_id": 1, "accepter_id": 2},
        occurred_at=utcnow(),
    )
    session.add(occurrence)
    session.flush()
    delivery.handle(occurrence)
    assert session.scalars(select(WebhookMessage)).all() == []
    [consumer] = [c for c in outbox.registered() if c.name == "webhooks"]
    assert "buddy.accepted" not in consumer.types
    assert "points.earned" in consumer.types
