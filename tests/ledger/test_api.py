"""The ledger's API: entries name their cause by its integer id."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from tests.factories.accounts import auth, make_user
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_shop


def test_an_entry_names_its_cause_by_integer_id(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    member = make_member(session, shop, 30)
    user = session.get(User, member.user_id)
    assert user is not None
    reward = make_reward(session, shop, cost=10)
    headers = auth(session, user)
    receipt = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": member.id},
        headers=headers,
    )
    assert receipt.status_code == 201, receipt.json

    entries = client.get(f"/api/v1/memberships/{member.id}/entries", headers=headers).json["items"]
    spent = next(e for e in entries if e["cause_type"] == "redemption")
    assert spent["cause_id"] == receipt.json["id"] and isinstance(spent["cause_id"], int)
    # An entry with no cause (the factory's gift) has none.
    assert [e["cause_id"] for e in entries if e["cause_type"] is None] == [None]

    cancel = client.post(
        f"/api/v1/redemptions/{receipt.json['id']}/cancel",
        json={"reason": "spilt"},
        headers=auth(session, owner),
    )
    assert cancel.status_code == 200
    entries = client.get(f"/api/v1/memberships/{member.id}/entries", headers=headers).json["items"]
    refund = entries[0]
    assert refund["reverses_id"] == spent["id"]
    assert (refund["cause_type"], refund["cause_id"]) == ("redemption", receipt.json["id"])
