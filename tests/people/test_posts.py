"""Posts and reviews: audiences, editing, moderation, and the points a review earns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task
from tests.factories.accounts import auth, make_user
from tests.factories.people import make_block, make_post
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import make_task


@dataclass
class Club:
    shop: Shop
    program: Program
    task: Task
    reward: Reward
    owner: User
    manager: User
    member: User
    membership: Membership
    fellow: User
    stranger: User


@pytest.fixture
def club(session: Session) -> Club:
    owner = make_user(session)
    shop = make_shop(session, owner, review_points=5)
    program = make_program(session, shop)
    manager, member, fellow, stranger = (make_user(session) for _ in range(4))
    make_role(session, shop, manager, "manager")
    membership = make_membership(session, program, member)
    make_membership(session, program, fellow)
    return Club(
        shop,
        program,
        make_task(session, program),
        make_reward(session, shop),
        owner,
        manager,
        member,
        membership,
        fellow,
        stranger,
    )


def post(client: FlaskClient, session: Session, author: User, **body: Any) -> Any:
    return client.post("/api/v1/posts", headers=auth(session, author), json=body)


def listed(client: FlaskClient, session: Session, viewer: User | None, **query: Any) -> list[int]:
    headers = auth(session, viewer) if viewer else {}
    page = client.get("/api/v1/posts", headers=headers, query_string=query).json
    return [item["id"] for item in page["items"]]


def test_audiences(client: FlaskClient, session: Session, club: Club) -> None:
    author, fellow, stranger = club.member, club.fellow, club.stranger
    public = post(client, session, author, body="Hello world")
    assert public.status_code == 201
    assert public.json["author"] == {"id": author.id, "name": author.name}
    in_program = post(
        client, session, author, body="Hi club", audience="program", program_id=club.program.id
    )
    invited = post(
        client, session, author, body="Just you", audience="invited", recipient_ids=[stranger.id]
    )
    private = post(client, session, author, body="Diary", audience="private")
    assert invited.json["recipient_ids"] == [stranger.id]
    ids = {
        name: response.json["id"]
        for name, response in (
            ("public", public),
            ("program", in_program),
            ("invited", invited),
            ("private", private),
        )
    }
    sees = {
        None: {"public"},
        stranger: {"public", "invited"},
        fellow: {"public", "program"},
        club.manager: {"public", "program"},  # the shop's team
        author: set(ids),
    }
    for viewer, names in sees.items():
        assert set(listed(client, session, viewer)) == {ids[n] for n in names}
        for name, post_id in ids.items():
            headers = auth(session, viewer) if viewer else {}
            answer = client.get(f"/api/v1/posts/{post_id}", headers=headers)
            assert answer.status_code == (200 if name in names else 404), (viewer, name)
            if answer.status_code == 200 and viewer is not author:
                assert answer.json["recipient_ids"] is None
    assert listed(client, session, fellow, program_id=club.program.id) == [ids["program"]]
    assert listed(client, session, None, author_id=author.id) == [ids["public"]]


def test_posting_in_a_program_is_for_its_people(
    client: FlaskClient, session: Session, club: Club
) -> None:
    refused = post(client, session, club.stranger, body="Hi", program_id=club.program.id)
    assert refused.status_code == 403 and refused.json["code"] == "not_a_member"
    hidden = make_program(session, make_shop(session, club.owner, privacy_mode="private"))
    assert post(client, session, club.stranger, body="Hi", program_id=hidden.id).status_code == 404
    assert (
        post(client, session, club.manager, body="News", program_id=club.program.id).status_code
        == 201
    )


def test_a_public_post_in_a_hidden_program_stays_hidden(
    client: FlaskClient, session: Session, club: Club
) -> None:
    club.program.privacy_mode = "members"
    session.flush()
    post_id = post(client, session, club.member, body="Hi", program_id=club.program.id).json["id"]
    assert listed(client, session, club.stranger) == []
    assert client.get(f"/api/v1/posts/{post_id}").status_code == 404
    assert listed(client, session, club.fellow) == [post_id]


def test_invited_posts_need_visible_recipients_who_did_not_block(
    client: FlaskClient, session: Session, club: Club
) -> None:
    hidden = make_user(session, privacy_settings={"page": "private"})
    missing = post(
        client, session, club.member, body="x", audience="invited", recipient_ids=[hidden.id]
    )
    assert missing.status_code == 404
    make_block(session, club.fellow, club.member)
    blocked = post(
        client, session, club.member, body="x", audience="invited", recipient_ids=[club.fellow.id]
    )
    assert blocked.status_code == 403 and blocked.json["code"] == "blocked_by_user"


@pytest.mark.parametrize(
    "body",
    [
        {"body": "x", "audience": "invited"},
        {"body": "x", "recipient_ids": [1]},
        {"body": "x", "audience": "program"},
        {"body": "x", "rating": 3},
        {"body": "x", "rating": 3, "reward_id": 1},
        {"body": "x", "reward_id": 1, "program_id": 1},
        {"body": "x", "rating": 6, "reward_id": 1, "program_id": 1},
        {"body": "x", "rating": 0, "reward_id": 1, "program_id": 1},
        {"body": "x", "rating": 4.5, "reward_id": 1, "program_id": 1},
        {"body": "x", "rating": 3, "reward_id": 1, "task_id": 1, "program_id": 1},
        {"body": "x", "rating": 3, "reward_id": 1, "program_id": 1, "audience": "private"},
        {"body": ""},
        {"body": "x" * 10_001},
        {"body": "x", "audience": "everyone"},
        {"body": "x", "author_id": 1},
    ],
)
def test_inconsistent_posts_are_refused(
    client: FlaskClient, session: Session, club: Club, body: dict[str, Any]
) -> None:
    response = post(client, session, club.member, **body)
    assert response.status_code == 422, response.json


def entries(session: Session) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "review")))


def test_a_review_earns_the_shops_points_once_per_item(
    app: Flask, client: FlaskClient, session: Session, club: Club
) -> None:
    review = {"body": "Lovely", "rating": 5, "program_id": club.program.id}
    first = post(client, session, club.member, reward_id=club.reward.id, **review)
    assert first.status_code == 201 and first.json["points_awarded"] == 5
    assert first.json["rating"] == 5 and first.json["reward_id"] == club.reward.id
    again = post(client, session, club.member, reward_id=club.reward.id, **review)
    assert again.status_code == 201 and again.json["points_awarded"] == 0
    task_review = post(client, session, club.member, task_id=club.task.id, **review)
    assert task_review.json["points_awarded"] == 5
    fellows = post(client, session, club.fellow, reward_id=club.reward.id, **review)
    assert fellows.json["points_awarded"] == 5
    paid = entries(session)
    assert [e.amount for e in paid] == [5, 5, 5]
    assert [e.cause_type for e in paid] == ["review"] * 3
    assert paid[0].cause_id == str(first.json["id"]) and paid[0].membership_id == club.membership.id
    session.refresh(club.membership)
    assert club.membership.balance == 10
    with app.app_context():
        assert find_discrepancies() == []
    assert listed(client, session, None, reward_id=club.reward.id) == [
        fellows.json["id"],
        again.json["id"],
        first.json["id"],
    ]


def test_reviews_that_earn_nothing(client: FlaskClient, session: Session, club: Club) -> None:
    review = {"body": "Fine", "rating": 3, "program_id": club.program.id, "audience": "program"}
    club.shop.review_points = None
    session.flush()
    assert (
        post(client, session, club.member, reward_id=club.reward.id, **review).json[
            "points_awarded"
        ]
        == 0
    )
    assert entries(session) == []


def test_a_review_is_of_the_programs_things_by_its_members(
    client: FlaskClient, session: Session, club: Club
) -> None:
    review = {"body": "Meh", "rating": 2, "program_id": club.program.id}
    elsewhere = make_shop(session, club.owner)
    other_task = make_task(session, make_program(session, club.shop))
    assert (
        post(
            client, session, club.member, reward_id=make_reward(session, elsewhere).id, **review
        ).status_code
        == 404
    )
    assert post(client, session, club.member, task_id=other_task.id, **review).status_code == 404
    not_member = post(client, session, club.manager, reward_id=club.reward.id, **review)
    assert not_member.status_code == 403 and not_member.json["code"] == "not_a_member"
    assert entries(session) == []


def test_a_repeated_review_with_the_same_key_pays_once(
    client: FlaskClient, session: Session, club: Club
) -> None:
    headers = {**auth(session, club.member), "Idempotency-Key": "review-1"}
    body = {"body": "Twice?", "rating": 4, "program_id": club.program.id, "task_id": club.task.id}
    first = client.post("/api/v1/posts", headers=headers, json=body)
    second = client.post("/api/v1/posts", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert len(entries(session)) == 1


def test_edit_is_the_authors(client: FlaskClient, session: Session, club: Club) -> None:
    review = post(
        client,
        session,
        club.member,
        body="Ok",
        rating=3,
        program_id=club.program.id,
        task_id=club.task.id,
    ).json
    plain = make_post(session, club.member, "Plain")
    url = f"/api/v1/posts/{review['id']}"
    admin = make_user(session, is_admin=True)
    for other in (club.fellow, club.manager, admin):
        assert (
            client.patch(url, headers=auth(session, other), json={"body": "x"}).status_code == 403
        )
    edited = client.patch(
        url, headers=auth(session, club.member), json={"body": "Better", "rating": 4}
    )
    assert edited.status_code == 200
    assert (edited.json["body"], edited.json["rating"]) == ("Better", 4)
    assert edited.json["edited_at"] is not None
    not_review = client.patch(
        f"/api/v1/posts/{plain.id}", headers=auth(session, club.member), json={"rating": 4}
    )
    assert not_review.status_code == 409 and not_review.json["code"] == "not_a_review"
    assert (
        client.patch(url, headers=auth(session, club.member), json={"body": None}).status_code
        == 422
    )


def test_delete_by_author_or_the_programs_managers(
    client: FlaskClient, session: Session, club: Club
) -> None:
    posts = [
        post(client, session, club.member, body=f"p{n}", program_id=club.program.id).json["id"]
        for n in range(3)
    ]
    assert (
        client.delete(f"/api/v1/posts/{posts[0]}", headers=auth(session, club.fellow)).status_code
        == 403
    )
    for deleter, post_id in (
        (club.member, posts[0]),
        (club.manager, posts[1]),
        (club.owner, posts[2]),
    ):
        assert (
            client.delete(f"/api/v1/posts/{post_id}", headers=auth(session, deleter)).status_code
            == 204
        )
        assert (
            client.get(f"/api/v1/posts/{post_id}", headers=auth(session, club.member)).status_code
            == 404
        )
    assert listed(client, session, club.member) == []


def test_the_shop_sets_its_review_points(client: FlaskClient, session: Session, club: Club) -> None:
    url = f"/api/v1/shops/{club.shop.id}"
    headers = auth(session, club.owner)
    assert client.get(url).json["review_points"] == 5
    assert (
        client.patch(url, headers=headers, json={"review_points": 12}).json["review_points"] == 12
    )
    assert client.patch(url, headers=headers, json={"review_points": 0}).status_code == 422
    assert (
        client.patch(url, headers=headers, json={"review_points": None}).json["review_points"]
        is None
    )
    created = client.post(
        "/api/v1/shops", headers=headers, json={"name": "New", "review_points": 3}
    )
    assert created.json["review_points"] == 3
