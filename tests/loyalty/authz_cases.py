"""The loyalty domain's part of the authorization suites (tests/reliability/authz_*.py): the
program's purchase rule and a custom activity, and minimal bodies of a store's calls."""

from __future__ import annotations

from sqlalchemy.orm import Session

from stampbook.loyalty.models import EarningRule


def loyalty_objects(session: Session, program_id: int) -> dict[str, int]:
    purchase = EarningRule(program_id=program_id, kind="purchase", points=1, per_amount=100)
    activity = EarningRule(program_id=program_id, kind="activity", activity="survey", points=5)
    session.add_all([purchase, activity])
    session.flush()
    return {"earning_rule": purchase.id}


NEW_RULE = {"kind": "signup", "points": 5}
ACTIVITY = {"activity": "survey", "external_id": "authz-customer"}
ORDER = {
    "order_id": "authz-1",
    "external_id": "authz-customer",
    "currency": "USD",
    "subtotal": "10.00",
    "total": "10.00",
}
REFUND = {"refund_id": "authz-r1", "order_id": "authz-1", "currency": "USD", "amount": "5.00"}
