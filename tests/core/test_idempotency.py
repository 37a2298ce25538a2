"""Idempotency-Key: one effect per key, the same answer on replay, keys scoped per caller."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core.db import db
from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import auth, make_token, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


@pytest.fixture
def setup(session: Session) -> tuple[Membership, dict[str, str]]:
    owner = make_user(session)
    membership = make_membership(
        session, make_program(session, make_shop(session, owner)), make_user(session)
    )
    give_points(session, membership, 100)
    return membership, auth(session, owner)


def adjust(
    client: FlaskClient,
    membership: Membership,
    headers: dict[str, str],
    key: str,
    amount: int = -10,
):
    return client.post(
        f"/api/v1/memberships/{membership.id}/adjustments",
        headers={**headers, "Idempotency-Key": key},
        json={"amount": amount, "note": "coffee"},
    )


def count_entries(session: Session, membership: Membership) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.membership_id == membership.id)
        )
        or 0
    )


def test_replay_gives_the_same_answer_and_one_effect(
    client: FlaskClient, session: Session, setup
) -> None:
    membership, headers = setup
    first = adjust(client, membership, headers, "key-1")
    second = adjust(client, membership, headers, "key-1")
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_entries(session, membership) == 2  # the gift and one adjustment


def test_same_key_other_body_is_refused(client: FlaskClient, session: Session, setup) -> None:
    membership, headers = setup
    adjust(client, membership, headers, "key-2")
    response = adjust(client, membership, headers, "key-2", amount=-20)
    assert response.status_code == 422
    assert response.json["code"] == "idempotency_key_reused"
    assert count_entries(session, membership) == 2


def test_error_answers_are_replayed_too(client: FlaskClient, session: Session, setup) -> None:
    membership, headers = setup
    first = adjust(client, membership, headers, "key-3", amount=-1000)
    assert first.status_code == 409
    # Points arrive in between: the key still answers what it answered the first time.
    give_points(session, membership, 5000)
    second = adjust(client, membership, headers, "key-3", amount=-1000)
    assert second.status_code == 409
    assert second.json == first.json
    assert count_entries(session, membership) == 2


def test_keys_are_scoped_per_caller(client: FlaskClient, session: Session, setup) -> None:
    membership, headers = setup
    other_manager = make_user(session)
    shop_id = session.get(type(membership), membership.id).program_id
    from stampbook.programs.models import Program
    from stampbook.shops.models import Role

    program = session.get(Program, shop_id)
    session.add(Role(shop_id=program.shop_id, user_id=other_manager.id, role_type="manager"))
    session.flush()
    adjust(client, membership, headers, "shared-key")
    response = adjust(client, membership, auth(session, other_manager), "shared-key")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert count_entries(session, membership) == 3


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", " padded", "café"])
def test_bad_keys_are_refused(client: FlaskClient, setup, key: str) -> None:
    membership, headers = setup
    response = adjust(client, membership, headers, key)
    assert response.status_code == 400
    assert response.json["code"] == "invalid_idempotency_key"


@pytest.mark.concurrency
def test_twenty_concurrent_requests_with_one_key_have_one_effect(committed: Flask) -> None:
    with committed_session(committed) as session:
        owner = make_user(session)
        membership = make_membership(
            session, make_program(session, make_shop(session, owner)), make_user(session)
        )
        give_points(session, membership, 100)
        token = make_token(session, owner)
        membership_id = membership.id

    def post(_: int) -> tuple[int, str]:
        response = committed.test_client().post(
            f"/api/v1/memberships/{membership_id}/adjustments",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race"},
            json={"amount": -10, "note": "race"},
        )
        return response.status_code, response.get_data(as_text=True)

    answers = run_parallel(20, post)

    assert {status for status, _ in answers} == {201}
    assert len({body for _, body in answers}) == 1
    with committed.app_context():
        assert db.session.get(Membership, membership_id).balance == 90
        assert find_discrepancies() == []
