"""The OpenAPI document tells the truth about what the API accepts and answers.

Regression tests for what schemathesis found (tests/reliability/test_fuzz.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from stampbook.core.idempotency import KEY_PATTERN, REPLAYED
from stampbook.core.pagination import MAX_ID
from stampbook.core.schemas import NUL_FREE


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").json
    return document


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def test_path_ids_are_bounded_as_the_routes_are(spec: dict[str, Any]) -> None:
    # Ids beyond 2**63 - 1 match no route: the document must not call them valid.
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    assert parameter["schema"]["minimum"] == 0, path
                    assert parameter["schema"]["maximum"] == MAX_ID, path


def test_every_write_may_answer_409(spec: dict[str, Any]) -> None:
    # The error handler turns any unique or foreign key violation into a 409.
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "get":
                assert "409" in operation["responses"], f"{method} {path}"


def test_idempotency_key_pattern_is_documented(spec: dict[str, Any]) -> None:
    stamp = spec["paths"]["/api/v1/tasks/{task_id}/stamps"]["post"]
    key = next(p for p in stamp["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["pattern"] == KEY_PATTERN
    assert re.fullmatch(KEY_PATTERN, "order-1234 retry 2")
    assert not re.fullmatch(KEY_PATTERN, "tab\there")


def test_patch_fields_that_refuse_null_are_not_nullable(spec: dict[str, Any]) -> None:
    # They were documented as nullable and refused null ("may not be null").
    program = _schema(spec, "ProgramPatch")["properties"]
    assert program["name"]["type"] == "string"
    assert "anyOf" not in program["privacy_mode"]
    assert {"type": "null"} in program["summary"]["anyOf"]  # this one null clears
    reward = _schema(spec, "RewardPatch")["properties"]
    assert reward["cost"]["type"] == "integer"
    assert {"type": "null"} in reward["quantity"]["anyOf"]


def test_rules_between_fields_are_in_the_schema(spec: dict[str, Any]) -> None:
    # Model validators ("give either user_id or email") were invisible to clients. They are
    # an `if` with `else: false` (client generators read an object's anyOf as a union).
    invitation = _schema(spec, "InvitationIn")
    assert [alternative["required"] for alternative in invitation["if"]["oneOf"]] == [
        ["user_id"],
        ["email"],
    ]
    assert invitation["else"] is False
    assert "allOf" in _schema(spec, "MembershipIn")["if"]
    assert "allOf" in _schema(spec, "RoleIn")["if"]
    assert "allOf" in _schema(spec, "TaskIn")["if"]
    for name, schema in spec["components"]["schemas"].items():
        if "properties" in schema:
            assert not {"anyOf", "oneOf", "allOf", "not"} & schema.keys(), name


def test_free_text_of_requests_refuses_nul(spec: dict[str, Any]) -> None:
    name = _schema(spec, "ShopIn")["properties"]["name"]
    assert {"pattern": NUL_FREE} in name["allOf"]  # beside its own "not blank" pattern
    shops = spec["paths"]["/api/v1/shops"]["get"]
    query = next(p for p in shops["parameters"] if p["name"] == "q")
    assert query["schema"]["anyOf"][0]["pattern"] == NUL_FREE


def test_schedule_times_are_wall_clock_times(spec: dict[str, Any]) -> None:
    # "format: time" promised offsets ("08:00:00Z") that schedules refuse.
    schedule = _schema(spec, "Schedule")["properties"]
    times = schedule["times"]["items"]
    assert "format" not in times
    assert re.fullmatch(times["pattern"], "08:30")
    assert not re.fullmatch(times["pattern"], "08:30:00Z")
    assert schedule["months_of_year"]["items"]["maximum"] == 12
    assert schedule["days_of_week"]["items"]["maximum"] == 6


def test_time_zones_are_listed(spec: dict[str, Any]) -> None:
    time_zone = _schema(spec, "TimeZone")
    assert "Europe/Madrid" in time_zone["x-time-zones"]
    assert "" not in time_zone["x-time-zones"]
    # Not an enum: generators make identifiers of enum values, and GMT+0, GMT-0, GMT0 collide.
    assert "enum" not in time_zone
    for zone in ("Europe/Madrid", "Etc/GMT+5", "GMT-0", "GMT0"):
        assert re.fullmatch(time_zone["pattern"], zone), zone
    for text in ("Europe/Madri", "Etc/GMT5", "europe/madrid", ""):
        assert not re.fullmatch(time_zone["pattern"], text), text
    register = _schema(spec, "RegisterIn")["properties"]["time_zone"]
    assert register["$ref"] == "#/components/schemas/TimeZone"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            r for key, value in node.items() for r in ([value] if key == "$ref" else _refs(value))
        ]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def test_shared_types_are_one_named_component(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    # APIFlask named nested models "Parent.Child", one copy per parent.
    assert [name for name in schemas if "." in name] == []
    for name in ("Schedule", "TimeZone", "UserRef", "Problem", "Recurrence", "StreakBonus"):
        assert name in schemas
    refs = _refs(spec)
    assert refs.count("#/components/schemas/Schedule") > 5
    assert refs.count("#/components/schemas/UserRef") > 5
    # Every reference resolves, and every component is used.
    names = {ref.rsplit("/", 1)[-1] for ref in refs}
    assert names <= schemas.keys()
    assert schemas.keys() <= names


def test_every_operation_has_a_unique_operation_id(spec: dict[str, Any]) -> None:
    ids = [
        operation.get("operationId")
        for operations in spec["paths"].values()
        for operation in operations.values()
    ]
    assert None not in ids
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)
    stamps = spec["paths"]["/api/v1/tasks/{task_id}/stamps"]
    assert stamps["post"]["operationId"] == "stamp_task"
    assert stamps["get"]["operationId"] == "list_stamps"
    redemptions = spec["paths"]["/api/v1/rewards/{reward_id}/redemptions"]
    assert redemptions["post"]["operationId"] == "redeem_reward"
    assert spec["paths"]["/api/v1/shops"]["post"]["operationId"] == "create_shop"


def test_response_headers_are_declared(spec: dict[str, Any]) -> None:
    stamp = spec["paths"]["/api/v1/tasks/{task_id}/stamps"]["post"]["responses"]
    assert REPLAYED in stamp["201"]["headers"]
    assert REPLAYED in stamp["409"]["headers"]
    assert REPLAYED not in stamp["503"].get("headers", {})
    assert "headers" not in spec["paths"]["/api/v1/shops"]["get"]["responses"]["200"]
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert "Retry-After" in operation["responses"]["503"]["headers"]
    # The login route is rate limited: each answer may carry Flask-Limiter's headers.
    login = spec["paths"]["/api/v1/tokens"]["post"]["responses"]
    assert {"Retry-After", "X-RateLimit-Remaining"} <= login["429"]["headers"].keys()
    assert "Retry-After" in login["201"]["headers"]
    register = spec["paths"]["/api/v1/users"]["post"]["responses"]
    assert "429" in register


def test_replay_and_retry_headers_are_what_the_api_sends(
    client: FlaskClient, spec: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "k-1"}
    body = {"email": "replay@example.com", "password": "correct horse battery", "name": "R"}
    first = client.post("/api/v1/users", json=body)
    assert first.status_code == 201
    token = client.post(
        "/api/v1/tokens", json={"email": body["email"], "password": body["password"]}
    ).json["token"]
    auth = {"Authorization": f"Bearer {token}", **headers}
    # An idempotent route answering 404 stores it; the replay carries the mark.
    client.post("/api/v1/tasks/999999/stamps", json={}, headers=auth)
    replay = client.post("/api/v1/tasks/999999/stamps", json={}, headers=auth)
    assert replay.headers[REPLAYED] == "true"
    schema = spec["paths"]["/api/v1/tasks/{task_id}/stamps"]["post"]["responses"]
    assert str(replay.status_code) in schema
    assert schema[str(replay.status_code)]["headers"][REPLAYED]["schema"]["enum"] == ["true"]
    assert "Location" not in replay.headers
