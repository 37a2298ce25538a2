"""The OpenAPI document tells the truth about what the API accepts and answers.

Regression tests for what schemathesis found (tests/reliability/test_fuzz.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from stampbook.core.idempotency import KEY_PATTERN
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
    # Model validators ("give either user_id or email") were invisible to clients.
    invitation = _schema(spec, "InvitationIn")
    assert [alternative["required"] for alternative in invitation["oneOf"]] == [
        ["user_id"],
        ["email"],
    ]
    assert "allOf" in _schema(spec, "MembershipIn")
    assert "allOf" in _schema(spec, "RoleIn")
    assert "allOf" in _schema(spec, "TaskIn")


def test_free_text_of_requests_refuses_nul(spec: dict[str, Any]) -> None:
    name = _schema(spec, "ShopIn")["properties"]["name"]
    assert {"pattern": NUL_FREE} in name["allOf"]  # beside its own "not blank" pattern
    shops = spec["paths"]["/api/v1/shops"]["get"]
    query = next(p for p in shops["parameters"] if p["name"] == "q")
    assert query["schema"]["anyOf"][0]["pattern"] == NUL_FREE


def test_schedule_times_are_wall_clock_times(spec: dict[str, Any]) -> None:
    # "format: time" promised offsets ("08:00:00Z") that schedules refuse.
    schedule = _schema(spec, "ShopIn.Schedule")["properties"]
    times = schedule["times"]["items"]
    assert "format" not in times
    assert re.fullmatch(times["pattern"], "08:30")
    assert not re.fullmatch(times["pattern"], "08:30:00Z")
    assert schedule["months_of_year"]["items"]["maximum"] == 12
    assert schedule["days_of_week"]["items"]["maximum"] == 6


def test_time_zones_are_listed(spec: dict[str, Any]) -> None:
    time_zone = _schema(spec, "RegisterIn")["properties"]["time_zone"]
    assert "Europe/Madrid" in time_zone["enum"]
    assert "" not in time_zone["enum"]
