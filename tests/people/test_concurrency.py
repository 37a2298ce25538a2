"""Races between real parallel requests: friendships, requests, review points."""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.people.models import Buddy, BuddyRequest, ReviewAward
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.people import make_request
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop

pytestmark = pytest.mark.concurrency


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_asking_each_other_at_once_makes_one_friendship(committed: Flask) -> None:
    pairs = 10
    with committed_session(committed) as session:
        people = [make_user(session) for _ in range(2 * pairs)]
        ids = [p.id for p in people]
        tokens = [make_token(session, p) for p in people]

    def ask(index: int) -> int:
        # 2k asks 2k+1 while 2k+1 asks 2k.
        other = index + 1 if index % 2 == 0 else index - 1
        response = committed.test_client().post(
            "/api/v1/buddies", headers=_bearer(tokens[index]), json={"user_id": ids[other]}
        )
        assert response.status_code == 201, response.json
        return 1 if response.json["status"] == "accepted" else 0

    accepted = run_parallel(2 * pairs, ask)

    assert sum(accepted) == pairs  # in each pair, one request was accepted by the other's
    with committed.app_context():
        rows = db.session.execute(select(Buddy.user1_id, Buddy.user2_id)).all()
        assert sorted(rows) == [(ids[2 * k], ids[2 * k + 1]) for k in range(pairs)]
        pending = db.session.scalar(
            select(func.count()).select_from(BuddyRequest).where(BuddyRequest.status == "pending")
        )
        assert pending == 0


def test_the_same_request_sent_many_times_at_once_is_one(committed: Flask) -> None:
    with committed_session(committed) as session:
        sender, recipient = make_user(session), make_user(session)
        secret, recipient_id = make_token(session, sender), recipient.id

    def ask(_: int) -> int:
        response = committed.test_client().post(
            "/api/v1/buddies", headers=_bearer(secret), json={"user_id": recipient_id}
        )
        return int(response.status_code)

    statuses = Counter(run_parallel(20, ask))
    assert statuses == {201: 1, 409: 19}
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(BuddyRequest)) == 1


def test_accepting_while_the_sender_cancels(committed: Flask) -> None:
    rounds = 8
    with committed_session(committed) as session:
        setups = []
        for _ in range(rounds):
            sender, recipient = make_user(session), make_user(session)
            request = make_request(session, sender, recipient)
            setups.append((request.id, make_token(session, sender), make_token(session, recipient)))

    def act(index: int) -> tuple[int, int]:
        request_id, sender, recipient = setups[index // 2]
        client = committed.test_client()
        if index % 2 == 0:
            answer = client.delete(f"/api/v1/buddy-requests/{request_id}", headers=_bearer(sender))
        else:
            answer = client.post(
                f"/api/v1/buddy-requests/{request_id}/accept", headers=_bearer(recipient)
            )
        return index // 2, int(answer.status_code)

    outcomes = run_parallel(2 * rounds, act)

    with committed.app_context():
        friends = db.session.scalar(select(func.count()).select_from(Buddy))
        statuses = dict(db.session.execute(select(BuddyRequest.id, BuddyRequest.status)).all())
    accepted = sum(1 for _, status in outcomes if status == 200)
    assert friends == accepted
    for round_ in range(rounds):
        answers = sorted(status for r, status in outcomes if r == round_)
        assert answers in ([200, 409], [204, 409])  # exactly one of the two wins
    assert set(statuses.values()) <= {"accepted", "cancelled"}


def test_parallel_reviews_of_one_item_are_paid_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        owner = make_user(session)
        shop = make_shop(session, owner, review_points=5)
        program = make_program(session, shop)
        reward = make_reward(session, shop)
        member = make_user(session)
        membership = make_membership(session, program, member)
        secret, ids = make_token(session, member), (program.id, reward.id, membership.id)

    def review(index: int) -> int:
        response = committed.test_client().post(
            "/api/v1/posts",
            headers=_bearer(secret),
            json={
                "body": f"Review {index}",
                "program_id": ids[0],
                "reward_id": ids[1],
                "rating": 4,
            },
        )
        assert response.status_code == 201, response.json
        return int(response.json["points_awarded"])

    paid = run_parallel(10, review)

    assert sorted(paid) == [0] * 9 + [5]
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReviewAward)) == 1
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REVIEW)
        ).all()
        assert [e.amount for e in entries] == [5]
        assert entries[0].membership_id == ids[2]
        assert find_discrepancies() == []
