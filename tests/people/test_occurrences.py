"""What the people services announce through the outbox: buddies, messages, reviews."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.people import message_services, post_services, services
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.occurrences import last_id, recorded


@pytest.mark.usefixtures("app_context")
def test_a_buddy_request_and_its_acceptance_are_announced_once(session: Session) -> None:
    asker, answerer = make_user(session), make_user(session)
    mark = last_id(session)
    request = services.send_request(asker, user_id=answerer.id)
    asked = (
        "buddy.requested",
        None,
        {"buddy_request_id": request.id, "requester_id": asker.id, "recipient_id": answerer.id},
    )
    assert recorded(session, mark) == [asked]
    services.accept_request(answerer, request.id)
    assert recorded(session, mark) == [
        asked,
        (
            "buddy.accepted",
            None,
            {"buddy_request_id": request.id, "requester_id": asker.id, "accepter_id": answerer.id},
        ),
    ]


@pytest.mark.usefixtures("app_context")
def test_a_message_is_announced_to_its_recipient(session: Session) -> None:
    sender = make_user(session)
    recipient = make_user(session, privacy_settings={"messages": "public"})
    mark = last_id(session)
    message = message_services.send_message(sender, to_user_id=recipient.id, body="Hi")
    assert recorded(session, mark) == [
        (
            "message.received",
            None,
            {"message_id": message.id, "sender_id": sender.id, "recipient_id": recipient.id},
        )
    ]


def test_a_refused_message_request_records_nothing(client: FlaskClient, session: Session) -> None:
    sender = make_user(session)
    closed = make_user(session, privacy_settings={"messages": "private"})
    mark = last_id(session)
    response = client.post(
        "/api/v1/messages",
        headers=auth(session, sender),
        json={"to_user_id": closed.id, "body": "Hi"},
    )
    assert response.status_code in (403, 404), response.json
    assert recorded(session, mark) == []


@pytest.mark.usefixtures("app_context")
def test_a_paid_review_announces_the_points_earned(session: Session) -> None:
    shop = make_shop(session, make_user(session), review_points=5)
    program = make_program(session, shop)
    reward = make_reward(session, shop)
    member = make_user(session)
    membership = make_membership(session, program, member)
    mark = last_id(session)
    post_services.create_post(
        member, body="Good", program_id=program.id, reward_id=reward.id, rating=4
    )
    [(kind, shop_id, payload)] = recorded(session, mark)
    assert (kind, shop_id) == ("points.earned", shop.id)
    assert payload["membership_id"] == membership.id
    assert (payload["kind"], payload["amount"], payload["balance"]) == ("review", 5, 5)


@pytest.mark.usefixtures("app_context")
def test_a_team_post_is_announced_as_the_shops_news_and_a_members_is_not(
    session: Session,
) -> None:
    owner, member = make_user(session), make_user(session)
    shop = make_shop(session, owner)
    program = make_program(session, shop)
    make_membership(session, program, owner, role_type="manager")
    make_membership(session, program, member)
    mark = last_id(session)
    post, _points = post_services.create_post(owner, body="Two for one", program_id=program.id)
    assert recorded(session, mark) == [
        (
            "post.published",
            shop.id,
            {
                "post_id": post.id,
                "program_id": program.id,
                "author_id": owner.id,
                "excerpt": "Two for one",
            },
        )
    ]
    mark = last_id(session)
    post_services.create_post(member, body="Lovely coffee", program_id=program.id)
    post_services.create_post(owner, body="Just us", program_id=program.id, audience="private")
    assert recorded(session, mark) == []
