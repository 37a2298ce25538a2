"""Bad numbers in request bodies are refused with a 4xx problem and change nothing.

Every integer field of every JSON request body is found by walking the OpenAPI document,
so a field added later is covered without editing this file; an operation or a field that
no accepted request below exercises fails ``test_every_integer_field_is_exercised``.

For each field, the bad values are those its schema rules out (below its minimum, above its
maximum, zero where zero is refused) and those no integer field accepts: fractions, numbers
beyond 2**63, NaN and the infinities, strings, booleans, containers, and null where null is
not allowed. Each is sent in a request that is accepted with a good value, so the refusal
can only be the number's doing.
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from stampbook.core.errors import PROBLEM_JSON
from tests.conftest import make_test_app
from tests.reliability.api_world import MINE_CARD, Stage, snapshot, staged_world

Path_ = tuple[str | int, ...]  # keys and list indexes into a body
ITEM = 0  # which list item a path into a list names
ANY = "*"  # a path into a mapping (additionalProperties) names its first entry


def _load_document() -> dict[str, Any]:
    app = make_test_app("sqlite://", Path(tempfile.mkdtemp(prefix="stampbook-numbers-")))
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").json
    return document


DOCUMENT = _load_document()
COMPONENTS: dict[str, Any] = DOCUMENT["components"]["schemas"]


@dataclass(frozen=True)
class IntegerField:
    schema: dict[str, Any]  # the integer variant of the field's schema
    nullable: bool


def _walk(
    schema: dict[str, Any],
    path: Path_,
    seen: frozenset[str],
    found: dict[Path_, IntegerField],
    nullable: bool = False,
) -> None:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:  # a recursive model (a schedule's exclusion): its fields are found once
            return
        seen = seen | {name}
        schema = COMPONENTS[name]
    alternatives = [*schema.get("anyOf", []), *schema.get("oneOf", [])]
    nullable = nullable or any(v.get("type") == "null" for v in alternatives)
    for variant in alternatives + schema.get("allOf", []):
        _walk(variant, path, seen, found, nullable)
    if schema.get("type") == "integer" and path:
        found[path] = IntegerField(schema, nullable)
    for name, child in schema.get("properties", {}).items():
        _walk(child, (*path, name), seen, found)
    if isinstance(schema.get("items"), dict):
        _walk(schema["items"], (*path, ITEM), seen, found)
    if isinstance(schema.get("additionalProperties"), dict):
        _walk(schema["additionalProperties"], (*path, ANY), seen, found)
    for index, child in enumerate(schema.get("prefixItems", [])):
        _walk(child, (*path, index), seen, found)


def _integer_fields() -> dict[str, dict[Path_, IntegerField]]:
    """Per operation ("POST /api/v1/..."), the integer fields of its JSON body."""
    fields: dict[str, dict[Path_, IntegerField]] = {}
    for url, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            found: dict[Path_, IntegerField] = {}
            _walk(body["schema"], (), frozenset(), found)
            if found:
                fields[f"{method.upper()} {url}"] = found
    return fields


INTEGER_FIELDS = _integer_fields()

# Raw JSON tokens Python's json module writes (and reads) for these floats.
NAN, INFINITY = math.nan, math.inf


def bad_values(field: IntegerField) -> list[Any]:
    schema = field.schema
    values: list[Any] = [1.5, 2**63, -(2**64), NAN, INFINITY, "7", True]
    if "minimum" in schema:
        values += [schema["minimum"] - 1, min(schema["minimum"] - 1, -1)]
    if "maximum" in schema:
        values.append(schema["maximum"] + 1)
    if schema.get("not") == {"const": 0}:
        values.append(0)
    if not field.nullable:
        values.append(None)
    unique: list[Any] = []
    for value in values:
        # 0 == False and 1.0 == 1 in Python; keep each distinct JSON value once.
        if not any(type(value) is type(seen) and value == seen for seen in unique):
            unique.append(value)
    return unique


# --- Requests accepted with good values ------------------------------------------------------


@dataclass(frozen=True)
class Request:
    caller: str  # who sends it: a person of the world
    url: str
    body: dict[str, Any]


HOST = {
    "professional_name": "Numbers",
    "years_experience": 4,
    "weekly_hours": [{"day": 1, "start": "09:00", "end": "12:00"}],
    "slot_minutes": 30,
    "buffer_minutes": 5,
    "cancel_hours": 12,
}
EXPIRY = {
    "pending_days": 14,
    "expiry_mode": "days",
    "expiry_days": 365,
    "expiry_warning_days": 30,
    "expiry_last_chance_days": 3,
}
SCHEDULE = {
    "days_of_week": [0, 2],
    "months_of_year": [1, 6],
    "times": ["08:00"],
    "excluded": {"days_of_week": [6], "months_of_year": [8]},
}
WINDOW = {
    "days_of_week": [0, 1, 2, 3, 4],
    "months_of_year": [1, 2, 3],
    "time_ranges": [["08:00", "20:00"]],
    "excluded": {"days_of_week": [5], "months_of_year": [12]},
}
TASK = {
    "name": "Numbers",
    "point_value": 10,
    "allows_partial": True,
    "point_value_partial": 4,
    "allows_multiple": True,
    "max_multiple": 3,
    "target": 20,
    "group_target": 500,
    "availability_settings": {"schedules": [WINDOW]},
    "frequency_settings": {"quantity": 2, "time_unit_quantity": 1, "time_unit": "day"},
    "bonus_values": {
        "reach_total": 5,
        "first_time_only": 2,
        "streaks": [{"length": 3, "points": 5}],
        "milestones": [{"quantity": 10, "points": 20}],
        "group_success": {"points": 30, "group_min_members": 2},
        "group_streaks": [{"length": 2, "points": 3, "group_min_members": 2}],
        "group_milestones": [{"quantity": 100, "points": 10, "group_min_members": 2}],
    },
}
# A discount reward's percentage (the reward above is a custom one).
PERCENT_OFF = {"name": "15% off", "kind": "discount_percent", "discount_percent": 15}
REWARD = {
    "name": "Numbers",
    "cost": 30,
    "quantity": 10,
    "group_limit": 100,
    "user_limit": 2,
    "schedule_settings": {
        "limit_reset": [{"schedule": SCHEDULE, "limit_type": "user"}],
        "quantity_renewal": [{"schedule": SCHEDULE, "renewal_quantity": 5, "cap": 50}],
        "availability": [WINDOW],
    },
}


def accepted_requests(n: Mapping[str, int]) -> dict[str, list[Request]]:
    """Per operation, requests it accepts (``n``: the world's ids by name); together they
    hold every integer field of the document."""
    return {
        "POST /api/v1/memberships/{membership_id}/adjustments": [
            Request(
                "owner",
                f"/api/v1/memberships/{n['mine']}/adjustments",
                {"amount": -25, "note": "Fix"},
            )
        ],
        "POST /api/v1/programs/{program_id}/invitations": [
            Request(
                "owner", f"/api/v1/programs/{n['coffee']}/invitations", {"user_id": n["outsider"]}
            )
        ],
        "POST /api/v1/programs/{program_id}/memberships": [
            Request(
                "owner", f"/api/v1/programs/{n['coffee']}/memberships", {"user_id": n["outsider"]}
            )
        ],
        "POST /api/v1/programs/{program_id}/merge": [
            Request(
                "owner", f"/api/v1/programs/{n['coffee']}/merge", {"source_program_id": n["runs"]}
            )
        ],
        "POST /api/v1/programs/{program_id}/earning-rules": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/earning-rules",
                {
                    "kind": "activity",
                    "activity": "numbers",
                    "points": 5,
                    "limit_count": 3,
                    "limit_period": "week",
                },
            )
        ],
        "POST /api/v1/programs/{program_id}/tiers": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/tiers",
                {
                    "name": "Platinum",
                    "threshold": 90_000,
                    "reward_id": n["free_coffee"],
                    "entry_points": 5,
                },
            )
        ],
        "PATCH /api/v1/tiers/{tier_id}": [
            Request(
                "owner",
                f"/api/v1/tiers/{n['silver']}",
                {"threshold": 1_500, "reward_id": n["free_coffee"], "entry_points": 3},
            )
        ],
        "PUT /api/v1/programs/{program_id}/referral-settings": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/referral-settings",
                {
                    "advocate_points": 5,
                    "advocate_reward_id": n["free_coffee"],
                    "friend_points": 2,
                    "friend_reward_id": n["free_coffee"],
                    "escalation": [{"from_count": 3, "points": 9, "reward_id": n["free_coffee"]}],
                    "expiry_days": 30,
                    "cap_count": 10,
                },
            )
        ],
        "POST /api/v1/programs/{program_id}/referrals": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/referrals",
                {"code": "WXYZ2345", "membership_id": n["mine"]},
            )
        ],
        "POST /api/v1/shops/{shop_id}/events": [
            Request(
                "owner",
                f"/api/v1/shops/{n['shop']}/events",
                {
                    "title": "Numbers night",
                    "starts_at": "2030-01-01T19:00:00Z",
                    "ends_at": "2030-01-01T21:00:00Z",
                    "capacity": 30,
                    "hold_hours": 24,
                    "points": 10,
                    "program_id": n["coffee"],
                },
            )
        ],
        "PATCH /api/v1/events/{event_id}": [
            Request(
                "owner",
                f"/api/v1/events/{n['event']}",
                {"capacity": 50, "hold_hours": 12, "points": 5, "program_id": n["coffee"]},
            )
        ],
        "POST /api/v1/shops/{shop_id}/hosts": [
            Request("owner", f"/api/v1/shops/{n['shop']}/hosts", {**HOST, "user_id": n["manager"]})
        ],
        "PATCH /api/v1/hosts/{host_id}": [
            Request("owner", f"/api/v1/hosts/{n['host']}", {**HOST, "user_id": n["friend"]})
        ],
        "POST /api/v1/bookings/{booking_id}/rating": [
            Request(
                "member", f"/api/v1/bookings/{n['finished']}/rating", {"user_feedback_rating": 4}
            )
        ],
        "PUT /api/v1/programs/{program_id}/tier-settings": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/tier-settings",
                {"period": "calendar_year", "retention_percent": 80},
            )
        ],
        "POST /api/v1/memberships/{membership_id}/tier": [
            Request(
                "owner",
                f"/api/v1/memberships/{n['mine']}/tier",
                {"tier_id": n["gold"], "reason": "Numbers"},
            )
        ],
        "PATCH /api/v1/earning-rules/{rule_id}": [
            Request(
                "owner",
                f"/api/v1/earning-rules/{n['survey']}",
                {"points": 7, "limit_count": 2, "limit_period": "day"},
            )
        ],
        "POST /api/v1/programs/{program_id}/campaigns": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/campaigns",
                {
                    "name": "Numbers",
                    "kind": "bonus",
                    "bonus_points": 5,
                    "starts_at": "2030-01-01T00:00:00Z",
                    "ends_at": "2030-01-08T00:00:00Z",
                },
            )
        ],
        "PATCH /api/v1/campaigns/{campaign_id}": [
            Request("owner", f"/api/v1/campaigns/{n['bonus_week']}", {"bonus_points": 9})
        ],
        "POST /api/v1/programs/{program_id}/activities": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/activities",
                {"activity": "survey", "membership_id": n["mine"]},
            )
        ],
        "POST /api/v1/shops/{shop_id}/integrations": [
            Request(
                "owner",
                f"/api/v1/shops/{n['shop']}/integrations",
                {
                    "kind": "shopify",
                    "shop_domain": "numbers.myshopify.com",
                    "secret": "shpss_numbers-store-secret",
                    "program_id": n["coffee"],
                },
            )
        ],
        "POST /api/v1/programs/{program_id}/customer-imports": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/customer-imports",
                {"rows": [{"identifier": "numbers-1", "external_id": "numbers", "points": 5}]},
            )
        ],
        "POST /api/v1/programs/{program_id}/orders": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/orders",
                {
                    "order_id": "numbers-1",
                    "membership_id": n["mine"],
                    "currency": "USD",
                    "subtotal": "12.50",
                    "total": "12.50",
                },
            )
        ],
        "POST /api/v1/programs/{program_id}/tasks": [
            Request("owner", f"/api/v1/programs/{n['coffee']}/tasks", TASK)
        ],
        "PATCH /api/v1/tasks/{task_id}": [Request("owner", f"/api/v1/tasks/{n['daily']}", TASK)],
        "PUT /api/v1/tasks/{task_id}/overrides/{membership_id}": [
            Request(
                "owner",
                f"/api/v1/tasks/{n['espresso']}/overrides/{n['mine']}",
                {
                    "target": 7,
                    "availability_settings": {"schedules": [WINDOW]},
                    "frequency_settings": {
                        "quantity": 1,
                        "time_unit_quantity": 2,
                        "time_unit": "week",
                    },
                },
            )
        ],
        "POST /api/v1/programs/{program_id}/card-scans/stamps": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/card-scans/stamps",
                {"card_code": MINE_CARD, "task_id": n["espresso"], "quantity": 2},
            )
        ],
        "POST /api/v1/programs/{program_id}/card-scans/redemptions": [
            Request(
                "owner",
                f"/api/v1/programs/{n['coffee']}/card-scans/redemptions",
                {"card_code": MINE_CARD, "reward_id": n["gift"], "quantity": 2},
            )
        ],
        "POST /api/v1/tasks/{task_id}/stamps": [
            Request(
                "member",
                f"/api/v1/tasks/{n['espresso']}/stamps",
                {"membership_id": n["mine"], "quantity": 2},
            )
        ],
        "POST /api/v1/shops/{shop_id}/rewards": [
            Request("owner", f"/api/v1/shops/{n['shop']}/rewards", REWARD),
            Request("owner", f"/api/v1/shops/{n['shop']}/rewards", {**PERCENT_OFF, "cost": 10}),
        ],
        "PATCH /api/v1/rewards/{reward_id}": [
            Request("owner", f"/api/v1/rewards/{n['free_coffee']}", REWARD),
            Request("owner", f"/api/v1/rewards/{n['free_coffee']}", PERCENT_OFF),
        ],
        "POST /api/v1/rewards/{reward_id}/contributions": [
            Request(
                "member",
                f"/api/v1/rewards/{n['party']}/contributions",
                {"membership_id": n["mine"], "points": 10},
            )
        ],
        "POST /api/v1/rewards/{reward_id}/redemptions": [
            Request(
                "member",
                f"/api/v1/rewards/{n['gift']}/redemptions",
                {"membership_id": n["mine"], "quantity": 2, "gift_to_user_id": n["friend"]},
            )
        ],
        "POST /api/v1/shops": [
            Request(
                "member",
                "/api/v1/shops",
                {"name": "Numbers", "availability_schedule": [WINDOW], "review_points": 5},
            )
        ],
        "POST /api/v1/shops/{shop_id}/programs": [
            Request("owner", f"/api/v1/shops/{n['shop']}/programs", {"name": "Numbers", **EXPIRY})
        ],
        "PATCH /api/v1/programs/{program_id}": [
            Request("owner", f"/api/v1/programs/{n['coffee']}", EXPIRY)
        ],
        "PATCH /api/v1/shops/{shop_id}": [
            Request(
                "owner",
                f"/api/v1/shops/{n['shop']}",
                {
                    "availability_schedule": [WINDOW],
                    "review_points": 5,
                    "order_program_ids": [n["runs"], n["coffee"]],
                    "order_reward_ids": [n["gift"], n["free_coffee"]],
                },
            )
        ],
        "POST /api/v1/shops/{shop_id}/invitations": [
            Request(
                "owner", f"/api/v1/shops/{n['other_shop']}/invitations", {"user_id": n["member"]}
            )
        ],
        "POST /api/v1/shops/{shop_id}/merge": [
            Request(
                "owner", f"/api/v1/shops/{n['shop']}/merge", {"source_shop_id": n["other_shop"]}
            )
        ],
        "POST /api/v1/shops/{shop_id}/roles": [
            Request(
                "owner",
                f"/api/v1/shops/{n['shop']}/roles",
                {"user_id": n["outsider"], "role_type": "assistant", "reward_id": n["gift"]},
            ),
            Request(
                "owner",
                f"/api/v1/shops/{n['shop']}/roles",
                {"user_id": n["outsider"], "role_type": "viewer", "task_id": n["lap"]},
            ),
        ],
        "PATCH /api/v1/users/me": [
            Request(
                "member",
                "/api/v1/users/me",
                {
                    "order_settings": {
                        "shop_ids": [n["shop"]],
                        "program_task_ids": {str(n["coffee"]): [n["daily"], n["espresso"]]},
                    }
                },
            )
        ],
        "PUT /api/v1/users/me/notification-preferences": [
            Request(
                "member",
                "/api/v1/users/me/notification-preferences",
                {"consents": [{"shop_id": n["shop"], "consent": True}]},
            )
        ],
        "PUT /api/v1/users/me/starred-shop": [
            Request("member", "/api/v1/users/me/starred-shop", {"shop_id": n["shop"]})
        ],
        "POST /api/v1/buddies": [Request("member", "/api/v1/buddies", {"user_id": n["friend"]})],
        "POST /api/v1/messages": [
            Request(
                "member",
                "/api/v1/messages",
                {
                    "to_user_id": n["friend"],
                    "body": "About my stamps",
                    "shop_id": n["shop"],
                    "program_id": n["coffee"],
                    "task_id": n["espresso"],
                },
            )
        ],
        "POST /api/v1/conversations/{user_id}/read": [
            Request("member", f"/api/v1/conversations/{n['friend']}/read", {"up_to_id": n["reply"]})
        ],
        "POST /api/v1/posts": [
            Request(
                "member",
                "/api/v1/posts",
                {
                    "body": "Good espresso.",
                    "audience": "program",
                    "program_id": n["coffee"],
                    "rating": 4,
                    "task_id": n["espresso"],
                },
            ),
            Request(
                "member",
                "/api/v1/posts",
                {
                    "body": "Nice gift card.",
                    "audience": "public",
                    "program_id": n["coffee"],
                    "rating": 5,
                    "reward_id": n["gift"],
                },
            ),
            Request(
                "member",
                "/api/v1/posts",
                {"body": "For you.", "audience": "invited", "recipient_ids": [n["friend"]]},
            ),
        ],
        "PATCH /api/v1/posts/{post_id}": [
            Request("member", f"/api/v1/posts/{n['review']}", {"rating": 3})
        ],
        "PATCH /api/v1/roles/{role_id}": [
            Request("owner", f"/api/v1/roles/{n['assistant_role']}", {"reward_id": n["gift"]}),
            Request("owner", f"/api/v1/roles/{n['assistant_role']}", {"task_id": n["lap"]}),
        ],
    }


def _key(container: Any, key: str | int) -> str | int:
    return next(iter(container)) if key == ANY else key


def _holds(body: Any, path: Path_) -> bool:
    for key in path:
        if isinstance(key, int):
            if not (isinstance(body, list) and len(body) > key):
                return False
        elif not (isinstance(body, dict) and body and _key(body, key) in body):
            return False
        body = body[_key(body, key)]
    return True


def _with(body: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    container: Any = changed
    for key in path[:-1]:
        container = container[_key(container, key)]
    container[_key(container, path[-1])] = value
    return changed


def _label(path: Path_) -> str:
    return ".".join(f"[{key}]" if isinstance(key, int) else key for key in path).replace(".[", "[")


# --- The world, once per module --------------------------------------------------------------

# The requests' shapes, known before any world exists: every id is 0 in them.
SHAPES = accepted_requests(defaultdict(int))


@dataclass
class Numbers:
    stage: Stage
    pristine: dict[str, list[tuple[Any, ...]]]

    def send(self, operation: str, index: int, value: Any = None, path: Path_ = ()) -> Any:
        world = self.stage.world
        request = accepted_requests(world.named)[operation][index]
        body = _with(request.body, path, value) if path else request.body
        return self.stage.app.test_client().open(
            request.url,
            method=operation.split()[0],
            data=json.dumps(body),  # NaN and the infinities as Python writes them
            content_type="application/json",
            headers={"Authorization": f"Bearer {world.tokens[request.caller]}"},
        )


@pytest.fixture(scope="module")
def numbers(app: Flask, engine: Engine) -> Iterator[Numbers]:
    with staged_world(app, engine) as stage:
        with stage.case() as session:
            pristine = snapshot(session)
        yield Numbers(stage, pristine)


def test_every_integer_field_is_exercised() -> None:
    missing = [
        f"{operation} {_label(path)}"
        for operation, fields in INTEGER_FIELDS.items()
        for path in fields
        if not any(_holds(request.body, path) for request in SHAPES.get(operation, []))
    ]
    assert missing == [], "give these a good value in accepted_requests()"


@pytest.mark.parametrize(
    ("operation", "index"),
    [
        (operation, index)
        for operation, requests in SHAPES.items()
        for index in range(len(requests))
    ],
)
def test_the_requests_are_accepted_with_good_values(
    numbers: Numbers, operation: str, index: int
) -> None:
    with numbers.stage.case():
        response = numbers.send(operation, index)
        assert 200 <= response.status_code < 300, response.json


def _cases() -> Iterator[Any]:
    nested: set[str] = set()
    for operation, fields in INTEGER_FIELDS.items():
        for path, field in fields.items():
            if len(path) > 1:
                # A nested model (a schedule, a bonus) is validated alike wherever it is sent:
                # each of its fields is tried in the first operation that has it.
                name = next(key for key in reversed(path) if isinstance(key, str))
                shape = json.dumps([name, field.schema, field.nullable], sort_keys=True)
                if shape in nested:
                    continue
                nested.add(shape)
            index = next(
                (
                    i
                    for i, request in enumerate(SHAPES.get(operation, []))
                    if _holds(request.body, path)
                ),
                None,
            )
            if index is None:
                continue  # reported by test_every_integer_field_is_exercised
            for value in bad_values(field):
                yield pytest.param(
                    operation, index, path, value, id=f"{operation} {_label(path)}={value!r}"
                )


@pytest.mark.parametrize(("operation", "index", "path", "value"), list(_cases()))
def test_a_bad_number_is_refused_and_changes_nothing(
    numbers: Numbers, operation: str, index: int, path: Path_, value: Any
) -> None:
    with numbers.stage.case() as session:
        response = numbers.send(operation, index, value, path)
        assert response.status_code in (400, 422), response.get_data(as_text=True)
        assert response.mimetype == PROBLEM_JSON
        assert response.json["code"] in ("validation_failed", "malformed_json")
        assert snapshot(session) == numbers.pristine
