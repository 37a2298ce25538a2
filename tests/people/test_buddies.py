"""Buddies through the API: the request state machine, removing, blocking."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.people.models import Buddy, BuddyRequest
from tests.factories.accounts import auth, make_user
from tests.factories.people import make_block, make_buddies, make_request


class People:
    def __init__(self, client: FlaskClient, session: Session) -> None:
        self.client, self.session = client, session
        self.headers: dict[int, dict[str, str]] = {}

    def as_(self, user: User) -> dict[str, str]:
        if user.id not in self.headers:
            self.headers[user.id] = auth(self.session, user)
        return self.headers[user.id]

    def ask(self, sender: User, recipient: User) -> Any:
        return self.client.post(
            "/api/v1/buddies", headers=self.as_(sender), json={"user_id": recipient.id}
        )

    def act(self, user: User, request_id: int, verb: str) -> Any:
        if verb == "cancel":
            return self.client.delete(
                f"/api/v1/buddy-requests/{request_id}", headers=self.as_(user)
            )
        return self.client.post(
            f"/api/v1/buddy-requests/{request_id}/{verb}", headers=self.as_(user)
        )

    def buddies(self, user: User) -> list[int]:
        page = self.client.get("/api/v1/buddies", headers=self.as_(user)).json
        return [item["user"]["id"] for item in page["items"]]

    def requests(self, user: User, direction: str) -> list[int]:
        page = self.client.get(
            "/api/v1/buddy-requests", headers=self.as_(user), query_string={"direction": direction}
        ).json
        return [item["id"] for item in page["items"]]


@pytest.fixture
def people(client: FlaskClient, session: Session) -> People:
    return People(client, session)


def friendships(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Buddy)) or 0


def test_request_accept_and_the_lists(people: People, session: Session) -> None:
    ada, bob = make_user(session, name="Ada"), make_user(session, name="Bob")
    sent = people.ask(ada, bob)
    assert sent.status_code == 201
    request = sent.json
    assert request["status"] == "pending"
    assert request["from_user"] == {"id": ada.id, "name": "Ada"}
    assert request["to_user"] == {"id": bob.id, "name": "Bob"}
    assert people.requests(bob, "incoming") == [request["id"]]
    assert people.requests(ada, "outgoing") == [request["id"]]
    assert people.requests(ada, "incoming") == []

    accepted = people.act(bob, request["id"], "accept")
    assert accepted.status_code == 200
    assert accepted.json["user"] == {"id": ada.id, "name": "Ada"}
    assert people.buddies(ada) == [bob.id] and people.buddies(bob) == [ada.id]
    assert people.requests(bob, "incoming") == []
    stored = session.get_one(BuddyRequest, request["id"])
    session.refresh(stored)
    assert stored.status == "accepted" and stored.responded_at is not None


def test_decline_then_ask_again(people: People, session: Session) -> None:
    ada, bob = make_user(session), make_user(session)
    request_id = people.ask(ada, bob).json["id"]
    declined = people.act(bob, request_id, "decline")
    assert declined.status_code == 200 and declined.json["status"] == "declined"
    assert people.act(bob, request_id, "accept").json["code"] == "not_pending"
    assert friendships(session) == 0
    again = people.ask(ada, bob)
    assert again.status_code == 201 and again.json["id"] != request_id


def test_cancel_by_its_sender_only(people: People, session: Session) -> None:
    ada, bob, eve = make_user(session), make_user(session), make_user(session)
    request_id = people.ask(ada, bob).json["id"]
    assert people.act(bob, request_id, "cancel").status_code == 403
    assert people.act(eve, request_id, "cancel").status_code == 404
    assert people.act(ada, request_id, "cancel").status_code == 204
    assert people.act(ada, request_id, "cancel").json["code"] == "not_pending"
    assert people.act(bob, request_id, "accept").json["code"] == "not_pending"
    assert people.requests(bob, "incoming") == []


@pytest.mark.parametrize("verb", ["accept", "decline"])
def test_only_the_recipient_answers(people: People, session: Session, verb: str) -> None:
    ada, bob, eve = make_user(session), make_user(session), make_user(session)
    admin = make_user(session, is_admin=True)
    request_id = people.ask(ada, bob).json["id"]
    assert people.act(ada, request_id, verb).status_code == 403
    assert people.act(eve, request_id, verb).status_code == 404
    assert people.act(admin, request_id, verb).status_code == 404
    assert people.client.post(f"/api/v1/buddy-requests/{request_id}/{verb}").status_code == 401
    assert (
        people.act(bob, request_id, "decline" if verb == "decline" else "accept").status_code == 200
    )


def test_no_duplicate_and_no_self_requests(people: People, session: Session) -> None:
    ada, bob = make_user(session), make_user(session)
    assert people.ask(ada, ada).json["code"] == "self_request"
    first = people.ask(ada, bob).json
    duplicate = people.ask(ada, bob)
    assert duplicate.status_code == 409
    assert duplicate.json["code"] == "request_pending"
    assert duplicate.json["request_id"] == first["id"]
    assert people.requests(bob, "incoming") == [first["id"]]


def test_asking_back_accepts(people: People, session: Session) -> None:
    ada, bob = make_user(session), make_user(session)
    first = people.ask(ada, bob).json
    back = people.ask(bob, ada)
    assert back.status_code == 201
    assert back.json["id"] == first["id"] and back.json["status"] == "accepted"
    assert friendships(session) == 1
    assert people.ask(ada, bob).json["code"] == "already_buddies"
    assert people.ask(bob, ada).json["code"] == "already_buddies"


def test_remove_a_buddy(people: People, session: Session) -> None:
    ada, bob, eve = make_user(session), make_user(session), make_user(session)
    make_buddies(session, ada, bob)
    assert (
        people.client.delete(f"/api/v1/buddies/{eve.id}", headers=people.as_(ada)).status_code
        == 404
    )
    assert (
        people.client.delete(f"/api/v1/buddies/{ada.id}", headers=people.as_(ada)).status_code
        == 404
    )
    assert (
        people.client.delete(f"/api/v1/buddies/{ada.id}", headers=people.as_(bob)).status_code
        == 204
    )
    assert people.buddies(ada) == [] and friendships(session) == 0
    assert (
        people.client.delete(f"/api/v1/buddies/{bob.id}", headers=people.as_(ada)).status_code
        == 404
    )


def test_a_hidden_or_deleted_user_cannot_be_asked(people: People, session: Session) -> None:
    ada = make_user(session)
    hidden = make_user(session, privacy_settings={"page": "private"})
    gone = make_user(session)
    gone.deleted_at = gone.created_at
    assert people.ask(ada, hidden).status_code == 404
    assert people.ask(ada, gone).status_code == 404
    assert (
        people.client.post(
            "/api/v1/buddies", headers=people.as_(ada), json={"user_id": 999999}
        ).status_code
        == 404
    )


def test_blocking_stops_requests_both_ways_and_ends_ties(people: People, session: Session) -> None:
    ada, bob, cat = make_user(session), make_user(session), make_user(session)
    make_buddies(session, ada, bob)
    pending = make_request(session, cat, ada)
    for other in (bob, cat):
        blocked = people.client.post(f"/api/v1/blocks/{other.id}", headers=people.as_(ada))
        assert blocked.status_code == 201
        assert blocked.json["user"]["id"] == other.id
    assert people.buddies(ada) == [] and friendships(session) == 0
    session.refresh(pending)
    assert pending.status == "cancelled"
    assert people.ask(bob, ada).json["code"] == "blocked_by_user"
    assert people.ask(ada, bob).json["code"] == "you_blocked_user"
    listed = people.client.get("/api/v1/blocks", headers=people.as_(ada)).json["items"]
    assert {item["user"]["id"] for item in listed} == {bob.id, cat.id}
    # Blocking again changes nothing; unblocking lets requests through again.
    assert (
        people.client.post(f"/api/v1/blocks/{bob.id}", headers=people.as_(ada)).status_code == 201
    )
    assert (
        people.client.delete(f"/api/v1/blocks/{bob.id}", headers=people.as_(ada)).status_code == 204
    )
    assert people.ask(bob, ada).status_code == 201


def test_accepting_from_someone_who_blocked_you_is_refused(
    people: People, session: Session
) -> None:
    ada, bob = make_user(session), make_user(session)
    request = make_request(session, ada, bob)
    make_block(session, ada, bob)  # straight in the table: the request is still pending
    refused = people.act(bob, request.id, "accept")
    assert refused.status_code == 403 and refused.json["code"] == "blocked_by_user"
    assert friendships(session) == 0


def test_self_block_and_unknown_user(people: People, session: Session) -> None:
    ada = make_user(session)
    assert (
        people.client.post(f"/api/v1/blocks/{ada.id}", headers=people.as_(ada)).json["code"]
        == "self_block"
    )
    assert people.client.post("/api/v1/blocks/999999", headers=people.as_(ada)).status_code == 404


def test_anyone_can_be_blocked_even_with_a_hidden_page(people: People, session: Session) -> None:
    ada = make_user(session)
    pest = make_user(session, privacy_settings={"page": "private"})
    assert (
        people.client.post(f"/api/v1/blocks/{pest.id}", headers=people.as_(ada)).status_code == 201
    )


def test_another_users_buddy_list(people: People, session: Session, client: FlaskClient) -> None:
    owner = make_user(session, privacy_settings={"buddies": "public"})
    open_buddy = make_user(session, privacy_settings={"buddies": "public"})
    shy_buddy = make_user(session, privacy_settings={"buddies": "private"})
    make_buddies(session, owner, open_buddy)
    make_buddies(session, owner, shy_buddy)
    page = client.get(f"/api/v1/users/{owner.id}/buddies").json
    assert [item["user"]["id"] for item in page["items"]] == [open_buddy.id]
    # Its owner sees every buddy of theirs.
    assert set(people.buddies(owner)) == {open_buddy.id, shy_buddy.id}
    owner.privacy_settings = {"buddies": "friends"}
    session.flush()
    assert client.get(f"/api/v1/users/{owner.id}/buddies").status_code == 404
    mine = client.get(f"/api/v1/users/{owner.id}/buddies", headers=people.as_(open_buddy))
    assert mine.status_code == 200


def test_buddy_lists_paginate(people: People, session: Session) -> None:
    ada = make_user(session)
    others = [make_user(session) for _ in range(5)]
    for other in others:
        make_buddies(session, ada, other)
    seen: list[int] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = people.client.get(
            "/api/v1/buddies", headers=people.as_(ada), query_string=query
        ).json
        seen += [item["user"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [o.id for o in reversed(others)]
