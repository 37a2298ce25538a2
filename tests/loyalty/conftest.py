"""A café's loyalty program with a purchase rule of a point per dollar, as its manager
sees it through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import auth
from tests.factories.shops import Team, make_team
from tests.loyalty.fake_shopify_admin import fake_store  # noqa: F401 (a store's Admin API)


@dataclass
class Store:
    client: FlaskClient
    team: Team
    headers: dict[str, str]

    @property
    def program_id(self) -> int:
        return self.team.program.id

    def post(self, what: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            f"/api/v1/programs/{self.program_id}/{what}", json=body, headers=self.headers
        )

    def order(self, order_id: str, subtotal: str = "59.90", **fields: Any) -> Any:
        body = {
            "order_id": order_id,
            "external_id": "cust-1",
            "currency": "USD",
            "subtotal": subtotal,
            "total": subtotal,
            **fields,
        }
        return self.post("orders", body)

    def refund(self, refund_id: str, order_id: str, amount: str) -> Any:
        body = {"refund_id": refund_id, "order_id": order_id, "currency": "USD", "amount": amount}
        return self.post("refunds", body)

    def balance(self, external_id: str = "cust-1") -> int:
        page = self.client.get(
            f"/api/v1/programs/{self.program_id}/memberships",
            query_string={"external_id": external_id},
            headers=self.headers,
        )
        assert page.status_code == 200, page.json
        [membership] = page.json["items"]
        return int(membership["balance"])


@pytest.fixture
def store(client: FlaskClient, session: Session) -> Store:
    team = make_team(session)
    made = Store(client, team, auth(session, team.manager))
    rule = made.post("earning-rules", {"kind": "purchase", "points": 1, "per_amount": "1.00"})
    assert rule.status_code == 201, rule.json
    return made
