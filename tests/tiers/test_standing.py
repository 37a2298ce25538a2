"""A member's tier moved by a store's orders and refunds through the outbox (DESIGN 8.5): rising
the moment a total crosses a threshold (several tiers at once), the entry reward once per tier
and period, refunds not demoting mid-period unless the program says so, keeping and losing at
the end of a calendar year in the shop's zone, the rolling window, and a manual raise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.ledger import book
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.notifications import recipients
from stampbook.programs.models import Membership
from stampbook.tiers import consuming, standing
from stampbook.tiers.models import (
    MemberTier,
    Tier,
    TierChange,
    TierEntryGrant,
    TierSettings,
    TierTotal,
)
from tests.clocks import Clock, pin_clock
from tests.loyalty.conftest import Store
from tests.occurrences import last_id

# 23:30 on 31 December 2026 in New York (already 1 January in UTC).
LATE = datetime(2027, 1, 1, 4, 30, tzinfo=UTC)
MIDYEAR = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return pin_clock(monkeypatch, MIDYEAR)


def _setup(session: Session, store: Store, **settings: Any) -> tuple[Tier, Tier]:
    store.team.shop.time_zone = "America/New_York"
    session.add(TierSettings(program_id=store.program_id, **settings))
    silver = Tier(program_id=store.program_id, name="Silver", threshold=100, entry_points=10)
    gold = Tier(
        program_id=store.program_id,
        name="Gold",
        threshold=500,
        multiplier_percent=150,
        entry_points=50,
    )
    session.add_all([silver, gold])
    session.flush()
    return silver, gold


@contextmanager
def _service(store: Store, session: Session) -> Iterator[None]:
    """Run a service on the test's session (what it writes stays for the test)."""
    with store.client.application.app_context():
        g._db_session = session
        yield
        session.flush()
        g.pop("_db_session")  # the context's teardown must not end the test's session


def _refresh(store: Store, session: Session, member: Membership) -> None:
    with _service(store, session):
        standing.refresh([member.id])


def _member(session: Session, store: Store) -> Membership:
    return session.scalars(
        select(Membership).where(
            Membership.program_id == store.program_id, Membership.external_id == "cust-1"
        )
    ).one()


def _tier(session: Session, membership: Membership) -> int | None:
    session.expire_all()
    row = session.get(MemberTier, membership.id)
    return row.tier_id if row else None


def _causes(session: Session, membership: Membership) -> list[tuple[int | None, str]]:
    rows = session.execute(
        select(TierChange.to_tier_id, TierChange.cause)
        .where(TierChange.membership_id == membership.id)
        .order_by(TierChange.id)
    )
    return [(to, cause) for to, cause in rows]


def test_rising_mid_period_with_the_entry_reward_once(
    store: Store, session: Session, clock: Clock
) -> None:
    silver, gold = _setup(session, store, period="calendar_year")
    assert store.order("1", subtotal="60.00").status_code == 201
    member = _member(session, store)
    assert _tier(session, member) is None
    store.order("2", subtotal="50.00")  # 110: Silver
    assert _tier(session, member) == silver.id
    store.order("3", subtotal="600.00")  # Gold (Silver already)
    assert _tier(session, member) == gold.id
    assert _causes(session, member) == [(silver.id, "rose"), (gold.id, "rose")]
    grants = session.scalars(
        select(TierEntryGrant.tier_id).where(TierEntryGrant.membership_id == member.id)
    ).all()
    assert sorted(grants) == sorted([silver.id, gold.id])
    entries = session.scalars(
        select(LedgerEntry.amount).where(
            LedgerEntry.membership_id == member.id,
            LedgerEntry.cause_type == standing.ENTRY_CAUSE,
        )
    ).all()
    assert sorted(entries) == [10, 50]  # and the entry points did not qualify themselves
    # Crossing several thresholds at once rises through each, one reward each.
    store.order("4", subtotal="1.00", external_id="cust-2")


def test_crossing_two_thresholds_at_once(store: Store, session: Session, clock: Clock) -> None:
    silver, gold = _setup(session, store, period="lifetime")
    store.order("1", subtotal="700.00")
    member = _member(session, store)
    assert _tier(session, member) == gold.id
    grants = session.scalars(
        select(TierEntryGrant.tier_id).where(TierEntryGrant.membership_id == member.id)
    ).all()
    assert sorted(grants) == sorted([silver.id, gold.id])


def test_a_refund_does_not_demote_mid_period(store: Store, session: Session, clock: Clock) -> None:
    silver, _gold = _setup(session, store, period="calendar_year")
    store.order("1", subtotal="120.00")
    member = _member(session, store)
    assert _tier(session, member) == silver.id
    assert store.refund("r1", "1", "120.00").status_code == 201
    assert _tier(session, member) == silver.id


def test_a_refund_demotes_where_the_program_says_so(
    store: Store, session: Session, clock: Clock
) -> None:
    silver, _gold = _setup(session, store, period="calendar_year", demote_on_refund=True)
    store.order("1", subtotal="120.00")
    member = _member(session, store)
    assert _tier(session, member) == silver.id
    store.refund("r1", "1", "60.00")
    assert _tier(session, member) is None
    assert _causes(session, member)[-1] == (None, "refund")


def test_money_basis(store: Store, session: Session, clock: Clock) -> None:
    silver, _gold = _setup(session, store, basis="money", period="lifetime")
    store.team.program.currency = "USD"
    session.flush()
    store.order("1", subtotal="0.99")  # 99 cents: thresholds are minor units
    member = _member(session, store)
    assert _tier(session, member) is None
    store.order("2", subtotal="0.01")
    assert _tier(session, member) == silver.id


def _at_year_end(
    store: Store, session: Session, clock: Clock, then: datetime, spend_next_year: str | None
) -> tuple[Membership, Tier]:
    silver, _gold = _setup(session, store, period="calendar_year")
    clock.now = LATE  # 31 December, 23:30 in New York
    store.order("1", subtotal="100.00")
    member = _member(session, store)
    assert _tier(session, member) == silver.id
    assert session.get(MemberTier, member.id).held_from.year == 2026  # type: ignore[union-attr]
    if spend_next_year:
        clock.now = datetime(2027, 6, 1, tzinfo=UTC)
        store.order("2", subtotal=spend_next_year)
    clock.now = then
    _refresh(store, session, member)
    return member, silver


def test_kept_at_the_end_of_the_year_it_qualified_in(
    store: Store, session: Session, clock: Clock
) -> None:
    # 1 January 2027 00:30 in New York: 2026 ended, its total keeps Silver for 2027.
    member, silver = _at_year_end(
        store, session, clock, datetime(2027, 1, 1, 5, 30, tzinfo=UTC), None
    )
    assert _tier(session, member) == silver.id
    assert session.get(MemberTier, member.id).held_from.year == 2027  # type: ignore[union-attr]


def test_lost_at_the_end_of_a_year_without_enough(
    store: Store, session: Session, clock: Clock
) -> None:
    # 89 in 2027 is below 90% of 100: Silver is lost when 2027 ends in New York.
    member, _silver = _at_year_end(
        store, session, clock, datetime(2028, 1, 1, 5, 30, tzinfo=UTC), "89.00"
    )
    assert _tier(session, member) is None
    assert _causes(session, member)[-1] == (None, "fell")


def test_kept_with_the_retention_margin(store: Store, session: Session, clock: Clock) -> None:
    member, silver = _at_year_end(
        store, session, clock, datetime(2028, 1, 1, 5, 30, tzinfo=UTC), "90.00"
    )
    assert _tier(session, member) == silver.id


def test_still_held_an_hour_before_the_year_ends_locally(
    store: Store, session: Session, clock: Clock
) -> None:
    # 1 January 2028 04:30 UTC is still 2027 in New York: nothing ended yet.
    member, silver = _at_year_end(
        store, session, clock, datetime(2028, 1, 1, 4, 30, tzinfo=UTC), None
    )
    assert _tier(session, member) == silver.id


def test_the_rolling_window(store: Store, session: Session, clock: Clock) -> None:
    silver, _gold = _setup(session, store, period="rolling_12_months")
    store.order("1", subtotal="100.00")
    member = _member(session, store)
    assert _tier(session, member) == silver.id
    # A year later the window holds the 100: kept; another year without orders: lost.
    clock.now = MIDYEAR + timedelta(days=366)
    _refresh(store, session, member)
    assert _tier(session, member) == silver.id
    clock.now = MIDYEAR + timedelta(days=731)
    _refresh(store, session, member)
    assert _tier(session, member) is None


def test_a_manual_raise_is_a_floor(store: Store, session: Session, clock: Clock) -> None:
    _silver, gold = _setup(session, store, period="calendar_year")
    store.order("1", subtotal="10.00")
    member = _member(session, store)
    with _service(store, session):
        standing.raise_to(
            membership=member,
            tier=gold,
            reason="Our oldest customer",
            actor_id=store.team.manager.id,
            at=clock.now,
        )
    assert _tier(session, member) == gold.id
    assert _causes(session, member) == [(gold.id, "raised")]
    clock.now = datetime(2028, 6, 1, tzinfo=UTC)  # two year ends with nothing earned
    _refresh(store, session, member)
    assert _tier(session, member) == gold.id


def test_the_multiplier_is_recorded_and_reversed_by_a_refund(
    store: Store, session: Session, clock: Clock
) -> None:
    _silver, gold = _setup(session, store, period="lifetime")
    store.order("1", subtotal="600.00")  # Gold (entry points 10 + 50)
    member = _member(session, store)
    assert _tier(session, member) == gold.id
    order = store.order("2", subtotal="99.00")  # 99 base, 1.5x: 49 more
    assert (order.json["points_earned"], order.json["points_tier"]) == (148, 49)
    tier_entries = session.scalars(
        select(LedgerEntry.amount).where(
            LedgerEntry.membership_id == member.id, LedgerEntry.cause_type == "tier"
        )
    ).all()
    assert list(tier_entries) == [49]
    before = store.balance()
    refund = store.refund("r1", "2", "99.00")
    assert refund.json["points_clawed_back"] == 148
    assert store.balance() == before - 148


def test_the_review_instant_is_the_local_end_of_the_held_year(
    store: Store, session: Session, clock: Clock
) -> None:
    """``review_at`` is midnight of 1 January in New York (05:00 UTC), and the hourly job
    finds the member by it: not a minute before, at once after."""
    member, _silver = _at_year_end(store, session, clock, LATE, None)
    session.expire_all()
    held = session.get(MemberTier, member.id)
    assert held is not None
    assert held.review_at == datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    clock.now = datetime(2027, 1, 1, 4, 59, tzinfo=UTC)
    with _service(store, session):
        assert standing.review_due() == 0
    clock.now = datetime(2027, 1, 1, 5, 1, tzinfo=UTC)
    with _service(store, session):
        assert standing.review_due() == 1  # kept for 2027 on 2026's total
        assert standing.review_due() == 0  # and not due again until 2027 ends
    session.expire_all()
    assert session.get(MemberTier, member.id).review_at == datetime(  # type: ignore[union-attr]
        2028, 1, 1, 5, 0, tzinfo=UTC
    )


def test_a_fallen_member_earns_at_the_lower_rate_before_any_job_ran(
    store: Store, session: Session, clock: Clock
) -> None:
    """The multiplier is read after the held period's review: an order placed after the
    year ended, with no job run, earns without Gold's 1.5x."""
    silver, gold = _setup(session, store, period="calendar_year")
    clock.now = MIDYEAR
    store.order("1", subtotal="600.00")
    member = _member(session, store)
    assert _tier(session, member) == gold.id
    clock.now = datetime(2028, 1, 2, 12, 0, tzinfo=UTC)  # 2027 ended with nothing earned
    order = store.order("2", subtotal="10.00")
    assert order.json["points_tier"] == 0
    assert _causes(session, member)[-1] == (silver.id, "fell")
    # The new year's 10 count toward 2028, and Silver is held on 2027's review.
    assert session.get(MemberTier, member.id).review_at is not None  # type: ignore[union-attr]


def test_reaching_a_tier_is_told_to_the_member(
    store: Store, session: Session, clock: Clock
) -> None:
    """The member with an account (the team's member) is told in the app and by email."""
    silver, _gold = _setup(session, store, period="lifetime")
    membership = session.scalars(
        select(Membership).where(
            Membership.program_id == store.program_id,
            Membership.user_id == store.team.member.id,
        )
    ).one()
    occurrence = Occurrence(
        type=OccurrenceType.TIER_CHANGED,
        shop_id=store.team.shop.id,
        payload={
            "membership_id": membership.id,
            "program_id": store.program_id,
            "user_id": store.team.member.id,
            "from_tier_id": None,
            "to_tier_id": silver.id,
            "tier_name": "Silver",
            "cause": "rose",
        },
        occurred_at=clock.now,
    )
    with _service(store, session):
        [told] = recipients.tier_member(occurrence)
        assert (told.user.id, told.values["tier_name"]) == (store.team.member.id, "Silver")
        fell = Occurrence(
            type=OccurrenceType.TIER_CHANGED,
            shop_id=store.team.shop.id,
            payload={**occurrence.payload, "cause": "fell", "tier_name": None},
            occurred_at=clock.now,
        )
        assert recipients.tier_member(fell) == []


def test_a_reversed_stamp_no_longer_counts(store: Store, session: Session, clock: Clock) -> None:
    """A revoked stamp's reversal (``points.reversed``) takes its points off the qualifying
    total on its day; with ``demote_on_refund`` the member falls at once, as for a refund.
    Reversing what never counted (an adjustment) takes nothing off."""
    silver, _gold = _setup(session, store, period="calendar_year", demote_on_refund=True)
    membership = session.scalars(
        select(Membership).where(
            Membership.program_id == store.program_id,
            Membership.user_id == store.team.member.id,
        )
    ).one()
    mark = last_id(session)
    with _service(store, session):
        stamp = book.post(
            membership_id=membership.id, amount=150, kind=EntryKind.STAMP, actor_id=None
        )
        gift = book.post(
            membership_id=membership.id, amount=30, kind=EntryKind.ADJUSTMENT, actor_id=None
        )
        _consume(session, mark)
    assert _tier(session, membership) == silver.id
    mark = last_id(session)
    with _service(store, session):
        book.reverse(gift.id, actor_id=None)
        _consume(session, mark)
    assert _tier(session, membership) == silver.id
    mark = last_id(session)
    with _service(store, session):
        book.reverse(stamp.id, actor_id=None)
        _consume(session, mark)
    assert _tier(session, membership) is None
    assert _causes(session, membership)[-1] == (None, "refund")
    total = session.scalar(
        select(func.sum(TierTotal.amount)).where(TierTotal.membership_id == membership.id)
    )
    assert total == 0


def _consume(session: Session, after: int) -> None:
    """Hand the tiers' consumer what was recorded since ``after`` (as the outbox would)."""
    rows = session.scalars(
        select(Occurrence).where(Occurrence.id > after).order_by(Occurrence.id)
    ).all()
    for row in rows:
        if row.type in consuming.TYPES:
            consuming.handle(row)
