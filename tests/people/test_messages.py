"""Private messages through the API: who may write, edit and delete, conversations, pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.people.models import Message
from stampbook.people.schemas import MAX_MESSAGE_LENGTH
from tests.factories.accounts import auth, make_user
from tests.factories.people import make_block, make_buddies, make_message
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


class Chat:
    def __init__(self, client: FlaskClient, session: Session) -> None:
        self.client, self.session = client, session
        self.headers: dict[int, dict[str, str]] = {}

    def as_(self, user: User) -> dict[str, str]:
        if user.id not in self.headers:
            self.headers[user.id] = auth(self.session, user)
        return self.headers[user.id]

    def send(self, sender: User, recipient: User, body: str = "Hi", **about: Any) -> Any:
        return self.client.post(
            "/api/v1/messages",
            headers=self.as_(sender),
            json={"to_user_id": recipient.id, "body": body, **about},
        )

    def page(self, user: User, url: str = "/api/v1/messages", **query: Any) -> Any:
        response = self.client.get(url, headers=self.as_(user), query_string=query)
        assert response.status_code == 200, response.json
        return response.json


@pytest.fixture
def chat(client: FlaskClient, session: Session) -> Chat:
    return Chat(client, session)


def open_user(session: Session, **fields: Any) -> User:
    return make_user(session, privacy_settings={"messages": "public"}, **fields)


def test_send_list_and_read(chat: Chat, session: Session) -> None:
    ada, bob = open_user(session, name="Ada"), open_user(session, name="Bob")
    sent = chat.send(ada, bob, "See you <b>Friday</b>?")
    assert sent.status_code == 201
    assert sent.json["body"] == "See you <b>Friday</b>?"
    assert sent.json["read_at"] is None and sent.json["edited_at"] is None
    chat.send(bob, ada, "Yes")
    chat.send(ada, bob, "Great")
    inbox = chat.page(bob)
    assert [m["body"] for m in inbox["items"]] == ["Great", "Yes", "See you <b>Friday</b>?"]
    conversations = chat.page(bob, "/api/v1/conversations")["items"]
    assert conversations == [
        {
            "user": {"id": ada.id, "name": "Ada"},
            "last_message": inbox["items"][0],
            "unread_count": 2,
        }
    ]
    marked = chat.client.post(
        f"/api/v1/conversations/{ada.id}/read",
        headers=chat.as_(bob),
        json={"up_to_id": sent.json["id"]},
    )
    assert marked.json == {"marked": 1}
    assert chat.page(bob, "/api/v1/conversations")["items"][0]["unread_count"] == 1
    assert chat.client.post(
        f"/api/v1/conversations/{ada.id}/read", headers=chat.as_(bob), json={}
    ).json == {"marked": 1}
    assert chat.page(bob, "/api/v1/conversations")["items"][0]["unread_count"] == 0
    # Ada's own messages are not hers to mark read.
    assert chat.page(ada, "/api/v1/conversations")["items"][0]["unread_count"] == 1


def test_conversations_latest_first_and_paginated(chat: Chat, session: Session) -> None:
    me = open_user(session)
    others = [open_user(session) for _ in range(5)]
    for other in others:
        make_message(session, other, me)
    make_message(session, me, others[0], "back to the first")
    seen: list[int] = []
    cursor = None
    while True:
        page = chat.page(
            me, "/api/v1/conversations", limit=2, **({"cursor": cursor} if cursor else {})
        )
        seen += [item["user"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [others[0].id, others[4].id, others[3].id, others[2].id, others[1].id]


def test_one_conversation_and_stable_pages(chat: Chat, session: Session) -> None:
    ada, bob, cat = open_user(session), open_user(session), open_user(session)
    ids = [
        make_message(session, *(ada, bob) if n % 2 else (bob, ada), f"m{n}").id for n in range(6)
    ]
    make_message(session, cat, ada, "elsewhere")
    first = chat.page(ada, with_user_id=bob.id, limit=4)
    assert [m["id"] for m in first["items"]] == ids[::-1][:4]
    # New messages arrive between the pages: the next page goes on where the first ended.
    for n in range(3):
        make_message(session, bob, ada, f"new {n}")
    second = chat.page(ada, with_user_id=bob.id, limit=4, cursor=first["next_cursor"])
    assert [m["id"] for m in second["items"]] == ids[::-1][4:]
    assert second["next_cursor"] is None


def test_edit_and_delete_are_the_senders(chat: Chat, session: Session) -> None:
    ada, bob, eve = open_user(session), open_user(session), open_user(session)
    admin = make_user(session, is_admin=True)
    message = make_message(session, ada, bob, "Frist")
    url = f"/api/v1/messages/{message.id}"
    assert chat.client.patch(url, headers=chat.as_(bob), json={"body": "x"}).status_code == 403
    assert chat.client.patch(url, headers=chat.as_(eve), json={"body": "x"}).status_code == 404
    assert chat.client.patch(url, headers=chat.as_(admin), json={"body": "x"}).status_code == 404
    assert chat.client.delete(url, headers=chat.as_(bob)).status_code == 403
    assert chat.client.delete(url, headers=chat.as_(eve)).status_code == 404
    edited = chat.client.patch(url, headers=chat.as_(ada), json={"body": "First"})
    assert edited.status_code == 200
    assert edited.json["body"] == "First" and edited.json["edited_at"] is not None
    assert chat.client.delete(url, headers=chat.as_(ada)).status_code == 204
    assert session.scalar(select(Message.id).where(Message.id == message.id)) is None
    assert chat.client.delete(url, headers=chat.as_(ada)).status_code == 404


def test_marking_read_is_not_an_edit(chat: Chat, session: Session) -> None:
    ada, bob = open_user(session), open_user(session)
    message = make_message(session, ada, bob)
    chat.client.post(f"/api/v1/conversations/{ada.id}/read", headers=chat.as_(bob), json={})
    read = chat.page(bob)["items"][0]
    assert read["id"] == message.id and read["read_at"] is not None and read["edited_at"] is None


def test_blocked_senders_are_refused(chat: Chat, session: Session) -> None:
    ada, bob = open_user(session), open_user(session)
    make_block(session, bob, ada)
    refused = chat.send(ada, bob)
    assert refused.status_code == 403 and refused.json["code"] == "blocked_by_user"
    refused = chat.send(bob, ada)
    assert refused.status_code == 403 and refused.json["code"] == "you_blocked_user"
    # A block also stops answers to an old conversation.
    make_message(session, bob, ada, "before the block")
    assert chat.send(ada, bob).json["code"] == "blocked_by_user"
    assert chat.page(bob)["items"][0]["body"] == "before the block"


@pytest.mark.parametrize(
    ("setting", "relation", "allowed"),
    [
        ("private", "buddy", False),
        ("friends", "buddy", True),
        ("friends", "co_member", False),
        ("members", "co_member", True),
        ("members", "stranger", False),
        ("public", "stranger", True),
    ],
)
def test_the_recipients_settings_decide(
    chat: Chat, session: Session, setting: str, relation: str, allowed: bool
) -> None:
    recipient = make_user(session, privacy_settings={"messages": setting})
    sender = make_user(session)
    if relation == "buddy":
        make_buddies(session, sender, recipient)
    elif relation == "co_member":
        shop = make_shop(session, make_user(session))
        make_membership(session, make_program(session, shop), sender)
        make_membership(session, make_program(session, shop), recipient)
    response = chat.send(sender, recipient)
    if allowed:
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert response.json["code"] == "messages_not_allowed"


def test_anyone_may_answer_who_wrote_to_them(chat: Chat, session: Session) -> None:
    shy = make_user(session, privacy_settings={"messages": "private", "page": "private"})
    stranger = make_user(session)
    assert chat.send(stranger, shy).status_code == 404  # the page is hidden
    make_message(session, shy, stranger, "Hello from a private person")
    assert chat.send(stranger, shy, "Hello back").status_code == 201


def test_nobody_writes_to_themselves_or_to_the_deleted(chat: Chat, session: Session) -> None:
    ada, gone = open_user(session), open_user(session)
    gone.deleted_at = gone.created_at
    assert chat.send(ada, ada).json["code"] == "self_message"
    assert chat.send(ada, gone).status_code == 404
    assert (
        chat.client.post(
            "/api/v1/messages", headers=chat.as_(ada), json={"to_user_id": 10**12, "body": "x"}
        ).status_code
        == 404
    )


def test_about_a_shop_program_or_task_that_one_may_see(chat: Chat, session: Session) -> None:
    ada, bob = open_user(session), open_user(session)
    public = make_shop(session, make_user(session))
    private = make_shop(session, make_user(session), privacy_mode="private")
    program = make_program(session, public)
    ok = chat.send(ada, bob, shop_id=public.id, program_id=program.id)
    assert ok.status_code == 201
    assert (ok.json["shop_id"], ok.json["program_id"]) == (public.id, program.id)
    assert chat.send(ada, bob, shop_id=private.id).status_code == 404
    assert chat.send(ada, bob, task_id=10**12).status_code == 404


@pytest.mark.parametrize(
    "body", ["", "   \n", "x" * (MAX_MESSAGE_LENGTH + 1), "nul \u0000 here", 5, None]
)
def test_bad_bodies_are_refused(chat: Chat, session: Session, body: Any) -> None:
    ada, bob = open_user(session), open_user(session)
    response = chat.client.post(
        "/api/v1/messages", headers=chat.as_(ada), json={"to_user_id": bob.id, "body": body}
    )
    assert response.status_code == 422
    assert chat.page(bob)["items"] == []


def test_the_longest_body_is_kept_whole(chat: Chat, session: Session) -> None:
    ada, bob = open_user(session), open_user(session)
    body = "é" * MAX_MESSAGE_LENGTH
    assert chat.send(ada, bob, body).json["body"] == body


def test_messages_are_their_two_peoples(chat: Chat, session: Session) -> None:
    ada, bob, eve = open_user(session), open_user(session), open_user(session)
    make_message(session, ada, bob, "between us")
    assert chat.page(eve)["items"] == []
    assert chat.page(eve, with_user_id=ada.id)["items"] == []
    assert chat.page(eve, "/api/v1/conversations")["items"] == []
    assert chat.client.post(
        f"/api/v1/conversations/{ada.id}/read", headers=chat.as_(eve), json={}
    ).json == {"marked": 0}
    assert chat.client.get("/api/v1/messages").status_code == 401
