"""A store's server calls loyalty's routes with its shop's API key: orders, refunds,
activities and rules of its own shop's programs, within the key's scopes, nowhere else."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.apikeys import make_api_key
from tests.factories.shops import make_team
from tests.loyalty.conftest import Store

ORDER = {
    "order_id": "k-1",
    "external_id": "c-1",
    "currency": "USD",
    "subtotal": "20.00",
    "total": "20.00",
}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_shops_key_records_orders_and_manages_rules_of_its_programs(
    store: Store, session: Session
) -> None:
    secret, _key = make_api_key(session, store.team.shop)
    base = f"/api/v1/programs/{store.program_id}"
    order = store.client.post(f"{base}/orders", json=ORDER, headers=bearer(secret))
    assert (order.status_code, order.json["points_earned"]) == (201, 20)
    rules = store.client.get(f"{base}/earning-rules", headers=bearer(secret))
    rule_id = rules.json["items"][0]["id"]
    edited = store.client.patch(
        f"/api/v1/earning-rules/{rule_id}", json={"points": 2}, headers=bearer(secret)
    )
    assert (edited.status_code, edited.json["points"]) == (200, 2)
    found = store.client.get(
        f"{base}/memberships", query_string={"external_id": "c-1"}, headers=bearer(secret)
    )
    assert [m["balance"] for m in found.json["items"]] == [20]


def test_a_key_reaches_its_own_shop_alone_and_within_its_scopes(
    client: FlaskClient, store: Store, session: Session
) -> None:
    other = make_team(session)
    foreign, _ = make_api_key(session, other.shop)
    base = f"/api/v1/programs/{store.program_id}"
    elsewhere = client.post(f"{base}/orders", json=ORDER, headers=bearer(foreign))
    assert elsewhere.status_code == 404
    rules = client.get(f"{base}/earning-rules", headers=store.headers).json["items"]
    hidden = client.patch(
        f"/api/v1/earning-rules/{rules[0]['id']}", json={"points": 9}, headers=bearer(foreign)
    )
    assert hidden.status_code == 404
    reader, _ = make_api_key(session, store.team.shop, scopes=("read",))
    refused = client.post(f"{base}/orders", json=ORDER, headers=bearer(reader))
    assert (refused.status_code, refused.json["code"]) == (403, "api_key_scope")
    assert client.get(f"{base}/earning-rules", headers=bearer(reader)).status_code == 200
