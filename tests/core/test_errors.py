"""Every error is problem+json with a stable code; bad input never gives a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


def assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/shops/99999999999999999999999",  # no id is that large: no route matches
        f"/api/v1/shops/{2**63}/rewards",
        "/api/v1/rewards/-1",
    ],
)
def test_unknown_route(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert_problem(response, 404, "not_found")
    assert response.json["detail"] == "Nothing is at this address."
    spanish = client.get(path, headers={"Accept-Language": "es"})
    assert_problem(spanish, 404, "not_found")
    assert spanish.json["detail"] == "No hay nada en esta dirección."


def test_the_largest_id_is_an_object_not_found(client: FlaskClient) -> None:
    response = client.get(f"/api/v1/shops/{2**63 - 1}")
    assert_problem(response, 404, "not_found")
    assert response.json["detail"] == "No such shop."


def test_wrong_method(client: FlaskClient) -> None:
    response = client.put("/api/v1/tokens", json={})
    assert_problem(response, 405, "method_not_allowed")
    assert response.json["detail"] == "This address does not take PUT requests."
    assert "POST" in response.headers["Allow"]
    spanish = client.put("/api/v1/tokens", json={}, headers={"Accept-Language": "es"})
    assert spanish.json["detail"] == "Esta dirección no admite peticiones PUT."


def test_malformed_json(client: FlaskClient) -> None:
    response = client.post("/api/v1/users", data="{not json", content_type="application/json")
    assert_problem(response, 400, "malformed_json")


def test_wrong_content_type(client: FlaskClient) -> None:
    response = client.post("/api/v1/users", data="email=a", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


def test_oversized_body(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/users", data="x" * (1024 * 1024 + 1), content_type="application/json"
    )
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        {"email": 5, "name": "A", "password": "0123456789"},
        {"email": "a@example.com", "name": ["A"], "password": "0123456789"},
        {"email": "a@example.com", "name": "A", "password": None},
        {"email": "a@example.com", "name": "A", "password": 1e308},
    ],
)
def test_wrong_field_types(client: FlaskClient, body: object) -> None:
    assert_problem(client.post("/api/v1/users", json=body), 422, "validation_failed")


@pytest.mark.parametrize(
    "amount", [0, -0, 1.5, "10", None, True, 2**63, -(2**63) - 1, float("inf")]
)
def test_bad_amounts_change_nothing(client: FlaskClient, session: Session, amount: object) -> None:
    owner = make_user(session)
    membership = make_membership(session, make_program(session, make_shop(session, owner)), owner)
    # Written by hand: json.dumps cannot write Infinity the way a careless client might.
    literal = {None: "null", True: "true", float("inf"): "Infinity", "10": '"10"'}.get(
        amount,
        str(amount),  # type: ignore[arg-type]
    )
    body = f'{{"amount": {literal}, "note": "x"}}'
    response = client.post(
        f"/api/v1/memberships/{membership.id}/adjustments",
        headers=auth(session, owner),
        data=body,
        content_type="application/json",
    )
    assert response.status_code in {400, 422}
    assert response.content_type == "application/problem+json"
    session.refresh(membership)
    assert membership.balance == 0


def test_validation_errors_list_each_field(client: FlaskClient) -> None:
    response = client.post("/api/v1/users", json={"email": "bad", "password": "x"})
    assert_problem(response, 422, "validation_failed")
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"email", "name", "password"}


def test_bad_query_parameters(client: FlaskClient, session: Session) -> None:
    user = make_user(session)
    for query in ("limit=0", "limit=201", "limit=abc", "cursor=%%%", "since=yesterday"):
        response = client.get(f"/api/v1/memberships/1/entries?{query}", headers=auth(session, user))
        assert response.status_code in {404, 422}, query
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("path", ["/no-such-page", "/shops/99999999999999999999999"])
def test_pages_get_html_errors(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Nothing is at this address." in response.get_data(as_text=True)
    spanish = client.get(path, headers={"Accept": "text/html", "Accept-Language": "es"})
    assert spanish.status_code == 404 and spanish.content_type.startswith("text/html")
    assert "No hay nada en esta dirección." in spanish.get_data(as_text=True)


def test_unexpected_errors_are_500_problems_without_trace(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stampbook.accounts import services

    def explode(**_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "register", explode)
    response = client.post(
        "/api/v1/users", json={"email": "a@example.com", "name": "A", "password": "0123456789"}
    )
    assert_problem(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)


def test_database_outage_is_503(tmp_path) -> None:
    from tests.conftest import make_test_app

    # A real outage: nothing listens on this port.
    app = make_test_app(
        "postgresql+psycopg://postgres@127.0.0.1:9/none", tmp_path, DATABASE_TIMEOUT_SECONDS=1
    )
    response = app.test_client().get("/readyz", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "service_unavailable"
    assert response.headers["Retry-After"]
