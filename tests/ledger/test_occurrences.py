"""What the ledger's book announces, by entry kind: points earned and spent, points earned
taken back by a reversal, never a correction, a refund or a transfer (core.outbox;
ledger.posting.ANNOUNCED)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from stampbook.ledger import book, services
from stampbook.ledger.models import EntryKind
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop
from tests.occurrences import last_id, recorded

pytestmark = pytest.mark.usefixtures("app_context")


def test_a_positive_adjustment_is_points_earned_and_a_negative_one_nothing(
    session: Session,
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    member = make_user(session)
    membership = make_membership(session, make_program(session, shop), member)
    mark = last_id(session)

    entry = services.adjust(owner, membership.id, amount=7, note="welcome")
    services.adjust(owner, membership.id, amount=-2, note="typo")

    assert recorded(session, mark) == [
        (
            "points.earned",
            shop.id,
            {
                "membership_id": membership.id,
                "program_id": membership.program_id,
                "user_id": member.id,
                "entry_id": entry.id,
                "kind": "adjustment",
                "amount": 7,
                "balance": 7,
                "cause_type": None,
                "cause_id": None,
            },
        )
    ]


def test_a_reversal_is_points_reversed_and_transfers_announce_nothing(
    session: Session,
) -> None:
    owner = make_user(session)
    program = make_program(session, make_shop(session, owner))
    one = make_membership(session, program, make_user(session))
    other = make_membership(session, program, None, email="c@example.com")
    give_points(session, one, 20)
    mark = last_id(session)
    stamp = book.post(membership_id=one.id, amount=5, kind=EntryKind.STAMP, actor_id=None)
    after_stamp = last_id(session)

    reversal = book.reverse(stamp.id, actor_id=owner.id)
    after_reversal = last_id(session)
    book.transfer(
        from_membership_id=one.id,
        to_membership_id=other.id,
        amount=3,
        kind=EntryKind.MERGE,
        actor_id=owner.id,
    )

    kinds = [kind for kind, _, _ in recorded(session, mark)]
    assert kinds == ["points.earned", "points.reversed"]
    [(_, _, payload)] = recorded(session, after_stamp)
    assert (payload["entry_id"], payload["kind"], payload["amount"]) == (
        reversal.id,
        "reversal",
        5,
    )
    assert recorded(session, after_reversal) == []


def test_an_unclaimed_customer_earns_with_no_user(session: Session) -> None:
    program = make_program(session, make_shop(session, make_user(session)))
    customer = make_membership(session, program, None, email="walk-in@example.com")
    mark = last_id(session)
    book.post(membership_id=customer.id, amount=4, kind=EntryKind.PURCHASE, actor_id=None)
    [(_, _, payload)] = recorded(session, mark)
    assert (payload["user_id"], payload["kind"], payload["amount"]) == (None, "purchase", 4)
