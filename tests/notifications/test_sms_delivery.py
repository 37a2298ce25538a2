"""Texts as a channel of notifications: a receipt goes by SMS to a member who turned it on,
through the fake Twilio on loopback; a 21610 reply (the number texted STOP) suppresses the
delivery, remembers the opt-out on the account and is never retried, and no later text is
made for that number (RELIABILITY case 50)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.notifications.models import Delivery, DeliveryAttempt, Preference
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.notifications.fake_twilio import SID, TO, UNSUBSCRIBED, queued
from tests.webhooks.receiver import Receiver, Reply


def _redeem_twice(client: FlaskClient, session: Session, member: User) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner, name="Café Luna")
    membership = make_membership(session, make_program(session, shop), member)
    give_points(session, membership, 50)
    reward = make_reward(session, shop, name="Free coffee", cost=10)
    for _ in range(2):
        response = client.post(
            f"/api/v1/rewards/{reward.id}/redemptions",
            json={"membership_id": membership.id},
            headers=auth(session, member),
        )
        assert response.status_code == 201, response.json


def _texting_member(session: Session) -> User:
    member = make_user(session, name="Ana", phone=TO)
    session.add(
        Preference(user_id=member.id, kind="redemption_receipt", channel="sms", enabled=True)
    )
    session.flush()
    return member


def _texts(session: Session, user_id: int) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.user_id == user_id, Delivery.channel == "sms")
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        )
    )


def test_a_receipt_goes_by_text_to_a_member_who_turned_texts_on(
    client: FlaskClient, session: Session, twilio: Receiver
) -> None:
    twilio.answer(*[Reply(201, {"Content-Type": "application/json"}, body=queued())] * 2)
    member = _texting_member(session)
    _redeem_twice(client, session, member)
    assert [parse_qs(got.body.decode())["To"] for got in twilio.received] == [[TO], [TO]]
    assert "Free coffee" in parse_qs(twilio.received[0].body.decode())["Body"][0]
    assert [(d.status, d.provider_id) for d in _texts(session, member.id)] == [("sent", SID)] * 2


def test_a_number_that_texted_stop_is_remembered_and_never_texted_again(
    client: FlaskClient, session: Session, twilio: Receiver
) -> None:
    twilio.answer(UNSUBSCRIBED)
    member = _texting_member(session)
    _redeem_twice(client, session, member)
    assert len(twilio.received) == 1  # the refusal is not retried, the second text not made
    [text] = _texts(session, member.id)
    assert (text.status, text.next_attempt_at) == ("suppressed", None)
    [attempt] = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == text.id)
    )
    assert "21610" in (attempt.detail or "")
    session.refresh(member)
    assert member.sms_opted_out_at is not None
    assert json.loads(UNSUBSCRIBED.body)["code"] == 21610
