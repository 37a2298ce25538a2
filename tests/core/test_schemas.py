"""Request bodies are read as the JSON they are: what the document allows, no more, no less.

Regression tests for what schemathesis found (tests/reliability/test_fuzz.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


@pytest.fixture
def adjust(client: FlaskClient, session: Session) -> Any:
    """POST an adjustment body (JSON text) as the shop's creator."""
    owner = make_user(session)
    membership = make_membership(
        session, make_program(session, make_shop(session, owner)), make_user(session)
    )
    give_points(session, membership, 100)
    headers = auth(session, owner)

    def post(body: str) -> Any:
        return client.post(
            f"/api/v1/memberships/{membership.id}/adjustments",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    post.membership = membership  # type: ignore[attr-defined]
    return post


@pytest.mark.parametrize(
    "amount",
    ['"5"', "true", "5.5", "NaN", "Infinity", "1e400", "[5]", "null", "9223372036854775808"],
)
def test_numbers_are_json_numbers(adjust: Any, session: Session, amount: str) -> None:
    # Lenient parsing took "5" for 5 and true for 1, which the document calls invalid.
    response = adjust(f'{{"amount": {amount}, "note": "x"}}')
    assert response.status_code in (400, 422), response.json
    assert response.mimetype == "application/problem+json"
    membership: Membership = adjust.membership
    session.refresh(membership)
    assert membership.balance == 100


@pytest.mark.parametrize("amount", ["5.0", "5", "5e0", "0.5e1"])
def test_a_whole_number_is_an_integer_however_written(adjust: Any, amount: str) -> None:
    # JSON Schema reads 5.0 as the integer 5; the API refused it ("valid integer").
    response = adjust(f'{{"amount": {amount}, "note": "x"}}')
    assert response.status_code == 201, response.json
    assert response.json["amount"] == 5


def test_a_body_of_null_is_not_an_empty_object(adjust: Any) -> None:
    assert adjust("null").status_code == 422


def test_nul_in_text_is_refused(adjust: Any, client: FlaskClient) -> None:
    # PostgreSQL cannot store U+0000: it was a 500 there.
    response = adjust(json.dumps({"amount": 5, "note": "a\x00b"}))
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "note"
    assert client.get("/api/v1/shops?q=%00").status_code == 422


@pytest.mark.parametrize("name", ["   ", "\x1c", "\u3000\t"])
def test_blank_names_are_refused_and_the_document_says_so(
    client: FlaskClient, session: Session, name: str
) -> None:
    # str.strip() emptied them after a length check the document could not express.
    response = client.post(
        "/api/v1/shops", json={"name": name}, headers=auth(session, make_user(session))
    )
    assert response.status_code == 422


def test_names_are_stored_stripped(client: FlaskClient, session: Session) -> None:
    response = client.post(
        "/api/v1/shops", json={"name": "  Café  "}, headers=auth(session, make_user(session))
    )
    assert (response.status_code, response.json["name"]) == (201, "Café")


@pytest.mark.parametrize(
    "until", ["0.5", "1700000000", "2030-01-31 23:00:00Z", "2030-01-31T23:00Z", "2030-01-31"]
)
def test_instants_are_rfc_3339(client: FlaskClient, session: Session, until: str) -> None:
    # "0.5" was read as a Unix time: the document says date-time.
    response = client.get(
        f"/api/v1/redemptions?until={until}", headers=auth(session, make_user(session))
    )
    assert response.status_code == 422


def test_special_use_email_domains_are_refused_as_documented(
    client: FlaskClient, session: Session
) -> None:
    body = {"email": "ada@example.test", "name": "Ada", "password": "correct horse battery"}
    assert client.post("/api/v1/users", json=body).status_code == 422


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/shops?cursor=zzzzzzzzzzzzz", 200),  # the largest cursor the pattern admits
        ("/api/v1/shops?cursor=0&limit=200", 200),
        ("/api/v1/shops/0", 404),
        (f"/api/v1/shops/{2**63 - 1}", 404),
        (f"/api/v1/programs/{2**63 - 1}/tasks", 404),
    ],
)
def test_every_documented_cursor_and_id_is_answered(
    client: FlaskClient, url: str, status: int
) -> None:
    # Well-formed values: a page (an empty one past the end) or not found, never refused as
    # malformed nor a 500.
    assert client.get(url).status_code == status
