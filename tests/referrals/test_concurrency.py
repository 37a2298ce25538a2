"""Referrals racing on real parallel connections (committed transactions; PostgreSQL in CI,
SQLite's write lock otherwise): the same friend referred by two advocates at once (one wins,
the partial unique index decides), and a friend's concurrent first orders and sign-up
paying each side once."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import Order
from stampbook.programs.models import Membership
from stampbook.referrals.models import Referral, ReferralCode, ReferralSettings
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token, make_user
from tests.factories.programs import make_membership
from tests.factories.shops import make_team

pytestmark = pytest.mark.concurrency


def _post(app: Flask, url: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    answer = app.test_client().post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json


def test_two_advocates_racing_for_one_friend_one_wins(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        program = team.program
        session.add(ReferralSettings(program_id=program.id, enabled=True, advocate_points=50,
                                     friend_points=20, escalation=[]))  # fmt: skip
        advocates = [make_membership(session, program, make_user(session)) for _ in range(8)]
        friend = make_membership(session, program, None, external_id="friend")
        codes = []
        for n, advocate in enumerate(advocates):
            code = f"RACE{n + 2}XYZ"[:8]
            session.add(ReferralCode(membership_id=advocate.id, program_id=program.id, code=code))
            codes.append(code)
        token = make_token(session, team.manager)
        program_id, friend_id = program.id, friend.id
    url = f"/api/v1/programs/{program_id}/referrals"

    answers = run_parallel(
        len(codes),
        lambda i: _post(committed, url, token, {"code": codes[i], "membership_id": friend_id}),
    )

    assert [status for status, _ in answers] == [201] * len(codes), answers
    outcomes = sorted((body["status"], body["reason"]) for _, body in answers)
    assert outcomes == [("completed", None)] + [("rejected", "already_referred")] * 7
    with committed.app_context():
        paid = db.session.scalar(select(func.count()).where(LedgerEntry.cause_type == "referral"))
        assert paid == 2  # the winner's advocate and the friend, once each
        friend_balance = db.session.scalar(
            select(Membership.balance).where(Membership.id == friend_id)
        )
        assert friend_balance == 20
        assert find_discrepancies() == []


def test_a_friends_concurrent_orders_and_sign_up_pay_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        program = team.program
        session.add(ReferralSettings(program_id=program.id, enabled=True, advocate_points=50,
                                     friend_points=20, completes="on_first_purchase",
                                     escalation=[]))  # fmt: skip
        advocate = make_membership(session, program, make_user(session))
        session.add(ReferralCode(membership_id=advocate.id, program_id=program.id, code="ADVC2345"))
        friend = make_membership(session, program, None, external_id="friend")
        token = make_token(session, team.manager)
        program_id, advocate_id, friend_id = program.id, advocate.id, friend.id

    def act(index: int) -> tuple[int, Any]:
        if index < 3:  # the friend's sign-up in the store, told by the store's server (retried)
            return _post(committed, f"/api/v1/programs/{program_id}/referrals", token,
                         {"code": "ADVC2345", "membership_id": friend_id})  # fmt: skip
        # Meanwhile the store sends the friend's orders, each carrying the code, some twice
        # (webhook retries).
        body = {
            "order_id": f"o-{index % 5}",
            "external_id": "friend",
            "currency": "USD",
            "subtotal": "30.00",
            "total": "30.00",
            "referral_code": "ADVC2345",
        }
        return _post(committed, f"/api/v1/programs/{program_id}/orders", token, body)

    answers = run_parallel(12, act)

    assert all(status in (200, 201) for status, _ in answers), answers
    with committed.app_context():
        completed = db.session.scalar(select(func.count()).where(Referral.status == "completed"))
        rows = db.session.execute(
            select(Referral.method, Referral.status, Referral.reason, Referral.order_id,
                   Referral.created_at)
        ).all()  # fmt: skip
        orders = db.session.execute(select(Order.id, Order.paid_at)).all()
        assert completed == 1, "\n".join(map(str, [*rows, *orders]))
        for membership_id in (advocate_id, friend_id):
            paid = db.session.scalar(
                select(func.count()).where(
                    LedgerEntry.cause_type == "referral",
                    LedgerEntry.membership_id == membership_id,
                )
            )
            assert paid == 1
        assert find_discrepancies() == []
