"""A tier's entry reward as a free receipt (``tier.reward_granted``, ``flows.granting``): one
receipt per rise even when the consumer runs twice; an unclaimed customer's waits for the
account that claims it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.flows import granting as granting_flow
from stampbook.flows.claims import claim_customers
from stampbook.programs.models import Membership
from stampbook.rewards.models import GrantOutcome, Redemption, RewardGrant
from stampbook.tiers.models import Tier, TierEntryGrant, TierSettings
from tests.factories.accounts import make_user
from tests.factories.rewards import make_reward
from tests.loyalty.conftest import Store


@contextmanager
def _service(store: Store, session: Session) -> Iterator[None]:
    with store.client.application.app_context():
        g._db_session = session
        yield
        session.flush()
        g.pop("_db_session")


def _setup(session: Session, store: Store) -> tuple[Tier, int]:
    reward = make_reward(session, store.team.shop, name="Welcome cake", quantity=10)
    session.add(TierSettings(program_id=store.program_id, period="lifetime"))
    silver = Tier(program_id=store.program_id, name="Silver", threshold=100, reward_id=reward.id)
    session.add(silver)
    session.flush()
    return silver, reward.id


def _receipts(session: Session, membership_id: int) -> list[Redemption]:
    session.expire_all()
    return list(
        session.scalars(select(Redemption).where(Redemption.paid_by_membership_id == membership_id))
    )


def _reward_occurrences(session: Session) -> list[Occurrence]:
    return list(
        session.scalars(
            select(Occurrence).where(Occurrence.type == OccurrenceType.TIER_REWARD_GRANTED)
        )
    )


def test_a_rise_gives_one_receipt_even_when_the_consumer_runs_twice(
    store: Store, session: Session
) -> None:
    silver, reward_id = _setup(session, store)
    user = make_user(session, email="ana@example.com")
    reply = store.order("1", subtotal="150.00", external_id=None, email="ana@example.com")
    assert reply.status_code == 201, reply.json
    member = session.scalars(
        select(Membership).where(
            Membership.program_id == store.program_id, Membership.user_id == user.id
        )
    ).one()
    [receipt] = _receipts(session, member.id)
    assert (receipt.reward_id, receipt.points_paid, receipt.user_id) == (reward_id, 0, user.id)
    grant = session.scalars(
        select(TierEntryGrant).where(TierEntryGrant.membership_id == member.id)
    ).one()
    assert (grant.tier_id, grant.redemption_id) == (silver.id, receipt.id)
    [occurrence] = _reward_occurrences(session)
    assert occurrence.payload["grant_id"] == grant.id
    with _service(store, session):
        granting_flow.handle(occurrence)  # the consumer once more (a retried dispatch)
    assert len(_receipts(session, member.id)) == 1
    # Another order above the threshold: no second rise, no second receipt.
    store.order("2", subtotal="150.00", external_id=None, email="ana@example.com")
    assert len(_receipts(session, member.id)) == 1


def test_an_unclaimed_customer_gets_the_receipt_once_claimed(
    store: Store, session: Session
) -> None:
    silver, _reward_id = _setup(session, store)
    reply = store.order("1", subtotal="150.00", external_id=None, email="bo@example.com")
    assert reply.status_code == 201, reply.json
    customer = session.scalars(
        select(Membership).where(
            Membership.program_id == store.program_id, Membership.email == "bo@example.com"
        )
    ).one()
    assert customer.user_id is None
    assert _receipts(session, customer.id) == []
    row = session.scalars(select(RewardGrant)).one()
    assert row.outcome == GrantOutcome.WAITING
    user = make_user(session, email="bo@example.com")
    with _service(store, session):
        assert claim_customers(user) == 1  # records member.joined
        joined = session.scalars(
            select(Occurrence)
            .where(Occurrence.type == OccurrenceType.MEMBER_JOINED)
            .order_by(Occurrence.id.desc())
        ).first()
        assert joined is not None
        granting_flow.handle(joined)
        granting_flow.handle(joined)
    [receipt] = _receipts(session, customer.id)
    assert (receipt.user_id, receipt.points_paid) == (user.id, 0)
    session.refresh(row)
    assert row.outcome == GrantOutcome.GRANTED
    grant = session.scalars(select(TierEntryGrant)).one()
    assert (grant.tier_id, grant.redemption_id) == (silver.id, receipt.id)
