"""Review points under the review earning rule: a review made through a program with a live
``review`` rule earns by it (its points, window and limit per member per period, campaigns
included), a program without one pays the shop's ``review_points`` as before; either way once
per member and item, and deleting the review takes back what it earned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.jobs import run_in_app
from stampbook.ledger import book
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import Campaign, Credit, EarningRule
from stampbook.people.models import ReviewAward
from stampbook.people.post_services import create_post
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import auth, make_token, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.pages import log_in, text_of

MONDAY = datetime(2027, 3, 1, 10, tzinfo=UTC)
SHOP_POINTS = 5
RULE_POINTS = 40


@dataclass
class Reviewed:
    shop: Shop
    program: Program
    member: User
    membership: Membership
    rewards: list[Reward]


@pytest.fixture
def reviewed(session: Session) -> Reviewed:
    owner = make_user(session)
    shop = make_shop(session, owner, review_points=SHOP_POINTS)
    program = make_program(session, shop)
    member = make_user(session)
    membership = make_membership(session, program, member)
    rewards = [make_reward(session, shop) for _ in range(4)]
    return Reviewed(shop, program, member, membership, rewards)


def _rule(session: Session, program: Program, **fields: Any) -> EarningRule:
    rule = EarningRule(program_id=program.id, kind="review", points=RULE_POINTS, **fields)
    session.add(rule)
    session.flush()
    return rule


def _review(
    app: Flask,
    user_id: int,
    program_id: int,
    reward_id: int,
    *,
    at: datetime = MONDAY,
    audience: str = "public",
) -> int:
    """A review made through the service at ``at``: the points it earned."""

    def work() -> int:
        actor = db.session.get(User, user_id)
        assert actor is not None
        _post, points = create_post(
            actor,
            body="Lovely",
            audience=audience,  # type: ignore[arg-type]
            program_id=program_id,
            rating=5,
            reward_id=reward_id,
            now=at,
        )
        return points

    with app.app_context():
        return int(run_in_app(work))


def _balance(session: Session, membership: Membership) -> int:
    session.refresh(membership)
    return membership.balance


def _count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_review_rule_pays_in_place_of_the_shops_points(
    app: Flask, client: FlaskClient, session: Session, reviewed: Reviewed
) -> None:
    rule = _rule(session, reviewed.program)
    body = {"body": "Lovely", "rating": 5, "program_id": reviewed.program.id}
    headers = auth(session, reviewed.member)
    first = client.post(
        "/api/v1/posts", headers=headers, json={**body, "reward_id": reviewed.rewards[0].id}
    )
    assert first.status_code == 201, first.json
    assert first.json["points_awarded"] == RULE_POINTS
    again = client.post(
        "/api/v1/posts", headers=headers, json={**body, "reward_id": reviewed.rewards[0].id}
    )
    assert again.json["points_awarded"] == 0  # once per member and item, as before
    [credit] = session.scalars(select(Credit)).all()
    assert (credit.rule_id, credit.reference) == (rule.id, f"review-{first.json['id']}")
    [entry] = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "review")).all()
    assert (entry.amount, entry.cause_type, entry.cause_id) == (
        RULE_POINTS,
        "earning_rule",
        str(rule.id),
    )
    award = session.scalars(select(ReviewAward)).one()
    assert (award.post_id, award.points, award.entry_id) == (
        first.json["id"],
        RULE_POINTS,
        entry.id,
    )
    assert _balance(session, reviewed.membership) == RULE_POINTS
    # Another program of the shop, without a rule, pays the shop's points.
    other = make_program(session, reviewed.shop)
    make_membership(session, other, reviewed.member)
    elsewhere = client.post(
        "/api/v1/posts",
        headers=headers,
        json={**body, "program_id": other.id, "reward_id": reviewed.rewards[1].id},
    )
    assert elsewhere.json["points_awarded"] == SHOP_POINTS
    with app.app_context():
        assert find_discrepancies() == []


def test_the_rules_limit_per_period_holds(app: Flask, session: Session, reviewed: Reviewed) -> None:
    _rule(session, reviewed.program, limit_count=2, limit_period="day")
    ids = (reviewed.member.id, reviewed.program.id)
    earned = [_review(app, *ids, reward.id) for reward in reviewed.rewards[:3]]
    assert earned == [RULE_POINTS, RULE_POINTS, 0]
    # Over the limit, the review stands unpaid (no award: the item may earn another day).
    assert _count(session, ReviewAward) == 2
    tuesday = MONDAY + timedelta(days=1)
    assert _review(app, *ids, reviewed.rewards[2].id, at=tuesday) == RULE_POINTS
    assert _review(app, *ids, reviewed.rewards[3].id, at=tuesday) == RULE_POINTS
    assert _balance(session, reviewed.membership) == 4 * RULE_POINTS
    assert _count(session, Credit) == 4


def test_the_rules_window_is_respected(app: Flask, session: Session, reviewed: Reviewed) -> None:
    _rule(
        session,
        reviewed.program,
        starts_at=MONDAY + timedelta(days=10),
        ends_at=MONDAY + timedelta(days=20),
    )
    ids = (reviewed.member.id, reviewed.program.id)
    # Before the window: nothing, not the shop's points either (the rule decides).
    assert _review(app, *ids, reviewed.rewards[0].id) == 0
    assert _review(app, *ids, reviewed.rewards[0].id, at=MONDAY + timedelta(days=15)) == (
        RULE_POINTS
    )
    assert _review(app, *ids, reviewed.rewards[1].id, at=MONDAY + timedelta(days=20)) == 0
    assert _balance(session, reviewed.membership) == RULE_POINTS
    assert _count(session, Credit) == 1


def test_a_review_only_others_can_read_earns_by_the_rule(
    app: Flask, session: Session, reviewed: Reviewed
) -> None:
    _rule(session, reviewed.program)
    ids = (reviewed.member.id, reviewed.program.id)
    assert _review(app, *ids, reviewed.rewards[0].id, audience="private") == 0
    assert _review(app, *ids, reviewed.rewards[0].id, audience="program") == RULE_POINTS
    assert _count(session, Credit) == 1


def test_without_a_rule_the_shops_review_points_pay_exactly_once(
    app: Flask, session: Session, reviewed: Reviewed
) -> None:
    # A deleted rule is no rule.
    _rule(session, reviewed.program, deleted_at=MONDAY - timedelta(days=1))
    ids = (reviewed.member.id, reviewed.program.id)
    assert _review(app, *ids, reviewed.rewards[0].id) == SHOP_POINTS
    assert _review(app, *ids, reviewed.rewards[0].id) == 0
    assert _review(app, *ids, reviewed.rewards[0].id, at=MONDAY + timedelta(days=400)) == 0
    [entry] = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "review")).all()
    assert (entry.amount, entry.cause_type) == (SHOP_POINTS, "review")
    assert _count(session, Credit) == 0
    assert _balance(session, reviewed.membership) == SHOP_POINTS


@pytest.mark.parametrize("by_rule", [True, False], ids=["rule", "shop"])
def test_deleting_a_review_takes_back_what_it_earned(
    app: Flask, client: FlaskClient, session: Session, reviewed: Reviewed, by_rule: bool
) -> None:
    if by_rule:
        _rule(session, reviewed.program)
        session.add(
            Campaign(
                program_id=reviewed.program.id,
                name="Reviews week",
                kind="bonus",
                bonus_points=10,
                rule_kinds=["review"],
                starts_at=MONDAY - timedelta(days=1),
                ends_at=MONDAY + timedelta(days=6),
            )
        )
        session.flush()
    earned = RULE_POINTS + 10 if by_rule else SHOP_POINTS
    ids = (reviewed.member.id, reviewed.program.id)
    assert _review(app, *ids, reviewed.rewards[0].id) == earned
    # Points earned otherwise are not touched.
    with app.app_context():
        run_in_app(
            lambda: book.post(
                membership_id=reviewed.membership.id,
                amount=7,
                kind=EntryKind.ADJUSTMENT,
                actor_id=None,
            )
        )
    award = session.scalars(select(ReviewAward)).one()
    deleted = client.delete(
        f"/api/v1/posts/{award.post_id}", headers=auth(session, reviewed.member)
    )
    assert deleted.status_code == 204
    assert _balance(session, reviewed.membership) == 7
    reversals = session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "reversal").order_by(LedgerEntry.id)
    ).all()
    assert sum(r.amount for r in reversals) == -earned
    assert len(reversals) == (2 if by_rule else 1)  # the rule's entry and the campaign's
    assert all(r.reverses_id is not None for r in reversals)
    # The award stays: the item is not paid for again.
    assert _review(app, *ids, reviewed.rewards[0].id) == 0
    assert (
        client.delete(
            f"/api/v1/posts/{award.post_id}", headers=auth(session, reviewed.member)
        ).status_code
        == 404
    )  # gone: nothing is taken back twice
    assert _count(session, LedgerEntry) == (3 if by_rule else 2) + len(reversals)
    with app.app_context():
        assert find_discrepancies() == []


def test_deleting_a_review_whose_points_were_spent_takes_what_is_left(
    app: Flask, client: FlaskClient, session: Session, reviewed: Reviewed
) -> None:
    _rule(session, reviewed.program)
    ids = (reviewed.member.id, reviewed.program.id)
    assert _review(app, *ids, reviewed.rewards[0].id) == RULE_POINTS
    with app.app_context():
        run_in_app(
            lambda: book.post(
                membership_id=reviewed.membership.id,
                amount=-30,
                kind=EntryKind.ADJUSTMENT,
                actor_id=None,
            )
        )
    award = session.scalars(select(ReviewAward)).one()
    # The program's manager moderates: the review goes whatever was spent.
    manager = make_user(session)
    make_role(session, reviewed.shop, manager, "manager")
    deleted = client.delete(f"/api/v1/posts/{award.post_id}", headers=auth(session, manager))
    assert deleted.status_code == 204, deleted.json
    assert _balance(session, reviewed.membership) == 0
    reversal = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "reversal")).one()
    assert (reversal.amount, reversal.reverses_id, reversal.actor_id) == (
        -10,
        award.entry_id,
        manager.id,
    )
    with app.app_context():
        assert find_discrepancies() == []


def test_the_earning_page_and_the_review_form_say_it(
    app: Flask, client: FlaskClient, session: Session, reviewed: Reviewed
) -> None:
    _rule(session, reviewed.program, limit_count=3, limit_period="month")
    manager = make_user(session)
    make_role(session, reviewed.shop, manager, "manager")
    log_in(client, manager.email)
    page = text_of(client.get(f"/programs/{reviewed.program.id}/earning"))
    assert "40 points for a review" in page
    assert "once for each item reviewed, in a review others can read" in page
    assert "Reviews made through this program follow its review rule" in page
    spanish = text_of(
        client.get(f"/programs/{reviewed.program.id}/earning", headers={"Accept-Language": "es"})
    )
    assert "una vez por cada artículo reseñado" in spanish
    assert "siguen su regla de reseñas" in spanish
    client = app.test_client()
    log_in(client, reviewed.member.email)
    form = text_of(client.get(f"/posts?reward_id={reviewed.rewards[0].id}"))
    assert "earns 40 points from the shop, once" in form
    # A second program of the shop without a rule pays the shop's 5: the form says "up to".
    make_membership(session, make_program(session, reviewed.shop), reviewed.member)
    form = text_of(client.get(f"/posts?reward_id={reviewed.rewards[0].id}"))
    assert "earns up to 40 points, once, depending on the program" in form
    spanish = text_of(
        client.get(f"/posts?reward_id={reviewed.rewards[0].id}", headers={"Accept-Language": "es"})
    )
    assert "gana hasta 40 puntos, una vez" in spanish


@pytest.mark.concurrency
def test_parallel_reviews_with_a_limit_of_one_a_day_pay_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        owner = make_user(session)
        shop = make_shop(session, owner, review_points=SHOP_POINTS)
        program = make_program(session, shop)
        member = make_user(session)
        membership_id = make_membership(session, program, member).id
        session.add(
            EarningRule(
                program_id=program.id,
                kind="review",
                points=RULE_POINTS,
                limit_count=1,
                limit_period="day",
            )
        )
        rewards = [make_reward(session, shop).id for _ in range(6)]
        token = make_token(session, member)
        program_id = program.id

    def review(index: int) -> int:
        client = committed.test_client()
        answer = client.post(
            "/api/v1/posts",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "body": f"Review {index}",
                "rating": 4,
                "program_id": program_id,
                "reward_id": rewards[index],
            },
        )
        assert answer.status_code == 201, answer.json
        return int(answer.json["points_awarded"])

    paid = run_parallel(len(rewards), review)

    assert sorted(paid) == [0] * (len(rewards) - 1) + [RULE_POINTS], paid
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(Credit)) == 1
        assert db.session.scalar(select(func.count()).select_from(ReviewAward)) == 1
        balance = db.session.scalar(
            select(Membership.balance).where(Membership.id == membership_id)
        )
        assert balance == RULE_POINTS
        assert find_discrepancies() == []
