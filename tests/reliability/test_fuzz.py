"""schemathesis against the whole JSON API, with every check it enables by default.

Each operation of ``/api/v1/openapi.json`` is called in-process (WSGI) as a plain member
(``test_api_as_member``) and, separately, as a shop manager (``test_api_as_manager``), over
one committed world (``api_world``): path, query and body ids often name real objects. Every
case runs in a transaction rolled back afterwards, so each meets the same world (a DELETE or
a merge does not starve the cases after it); after a write is accepted the ledger must still
match its entries. ``test_stateful`` then chains calls along the links schemathesis infers.

Phases: examples, coverage and fuzzing for the member; examples and fuzzing (half as much
again) for the manager. The coverage phase derives the same cases from the document whoever
sends them (its negative ones are refused by validation before anyone's rights are looked
at), so it runs once.

Bounded in time by ``max_examples``; ``STAMPBOOK_SOAK=1`` raises it for long runs.
Run: ``.venv/bin/pytest -q tests/reliability/test_fuzz.py``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, time
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import schemathesis
from argon2 import PasswordHasher
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from schemathesis import Case
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import ensure_resource_availability
from sqlalchemy import Engine

from stampbook.accounts import passwords
from stampbook.core.idempotency import HEADER, KEY_PATTERN
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.import_rules import HEADER as CSV_HEADER
from stampbook.loyalty.import_schemas import MAX_CSV
from stampbook.schedules.rules import MAX_RRULE_LENGTH, WALL_TIME_PATTERN, Schedule
from tests.conftest import make_test_app
from tests.reliability.api_world import Stage, World, app_session, staged_world

SOAK = os.environ.get("STAMPBOOK_SOAK") == "1"
MAX_EXAMPLES = 300 if SOAK else 10
STATEFUL_EXAMPLES = 500 if SOAK else 15
MAX_ID = 2**63 - 1
SECRETS = {"member": "sb_fuzz_member", "manager": "sb_fuzz_manager"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Which real ids a field or parameter named so may take.
ID_KINDS = {
    "shop_id": "shop_id",
    "source_shop_id": "shop_id",
    "program_id": "program_id",
    "source_program_id": "program_id",
    "membership_id": "membership_id",
    "task_id": "task_id",
    "reward_id": "reward_id",
    "redemption_id": "redemption_id",
    "invitation_id": "invitation_id",
    "role_id": "role_id",
    "stamp_id": "stamp_id",
    "user_id": "user_id",
    "gift_to_user_id": "user_id",
    "to_user_id": "user_id",
    "with_user_id": "user_id",
    "post_id": "post_id",
    "message_id": "message_id",
    "up_to_id": "message_id",
    "request_id": "request_id",
    "rule_id": "rule_id",
    "campaign_id": "campaign_id",
}

# The app schemathesis calls. It is built at import time, as the schemas are loaded then; the
# module's world binds its sessions to one connection, as ``tests.conftest.session`` does.
APP = make_test_app("sqlite://", Path(tempfile.mkdtemp(prefix="stampbook-fuzz-")))
# A body over the size limit is refused with 413 before it is read (schemathesis's list for
# refused invalid data lacks it; a negative CSV can be megabytes long).
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CHECKS = {"negative_data_rejection": {"expected-statuses": [*REFUSED, "5xx"]}}
as_member = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", APP, config=schemathesis.Config.from_dict({"checks": CHECKS})
)
as_manager = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    APP,
    config=schemathesis.Config.from_dict(
        {"checks": CHECKS, "phases": {"coverage": {"enabled": False}}}
    ),
)
# The world of the running module: the hooks below read it.
_worlds: list[World] = []
# Requests sent, by status class: printed when the module ends (``-s`` shows them).
_sent: Counter[str] = Counter()


@pytest.fixture(scope="module")
def stage(app: Flask, engine: Engine) -> Iterator[Stage]:
    with pytest.MonkeyPatch.context() as patch:
        # Registering and logging in hash passwords with argon2 at full cost (a quarter of a
        # second each); what the fuzzer tests is everything around it.
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        patch.setattr(passwords, "_hasher", cheap)  # the dummy hash follows its costs
        with staged_world(APP, engine, SECRETS) as staged:
            _worlds.append(staged.world)
            yield staged
            _worlds.remove(staged.world)
    classes = ", ".join(f"{k} {v}" for k, v in sorted(_sent.items()) if k != "all")
    print(f"\nfuzzing ({engine.dialect.name}): {_sent['all']} requests sent; {classes}")


def _bearer(secret: str) -> type:
    class Bearer:
        """Some cases are built at collection, before any world exists: the secret is fixed,
        and the world gives it to whom the test calls the API as."""

        def get(self, case: Case, context: schemathesis.AuthContext) -> str:
            return secret

        def set(self, case: Case, data: str, context: schemathesis.AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    return Bearer


def _is_id(value: Any) -> bool:
    return type(value) is int and 1 <= value <= MAX_ID


def _aim(_context: schemathesis.HookContext, values: Any) -> st.SearchStrategy[Any]:
    """Valid ids sometimes become ids of real objects of the world.

    Only values that are valid already are replaced, by other valid values, so a negative
    case stays negative and a positive one positive.
    """
    if not isinstance(values, dict) or not _worlds:
        return st.just(values)
    ids = _worlds[-1].ids
    choices = {
        name: st.one_of(st.just(value), st.sampled_from(ids[ID_KINDS[name]]))
        for name, value in values.items()
        if name in ID_KINDS and _is_id(value)
    }
    if not choices:
        return st.just(values)
    return st.fixed_dictionaries(choices).map(lambda real: {**values, **real})


for _schema, _caller in ((as_member, "member"), (as_manager, "manager")):
    _schema.auth(refresh_interval=None)(_bearer(SECRETS[_caller]))
    for _container in ("path_parameters", "query", "body"):
        _schema.hook(f"flatmap_{_container}")(_aim)


# --- Rules between values that no JSON Schema states ----------------------------------------


def bend(value: Any) -> None:
    """Bend a body to the few rules between values that no JSON Schema can state.

    Each is written in the document's descriptions, and answered 422: a partial stamp is
    worth at most a full one; two bonuses of one list never share a threshold; a date range
    ends on or after its start; a time range ends at another time than it starts; an rrule
    reads as one; a customer import's CSV text names its columns; a wallet's certificates and
    keys are readable PEM and JSON that belong together, and its logo is a PNG (left out
    instead: each is optional).
    Only well-formed values are touched, so a case stays as positive or as negative as it was
    generated.
    """
    if isinstance(value, list):
        for item in value:
            bend(item)
        return
    if not isinstance(value, dict):
        return
    for item in value.values():
        bend(item)
    full, partial = value.get("point_value"), value.get("point_value_partial")
    if _is_count(full) and _is_count(partial) and partial > full:
        value["point_value_partial"] = full
    for name, key in BONUS_KEYS.items():
        if isinstance(value.get(name), list):
            value[name] = _first_of_each(value[name], key)
    if isinstance(value.get("date_ranges"), list):
        value["date_ranges"] = [_ordered(pair) for pair in value["date_ranges"]]
    if isinstance(value.get("time_ranges"), list):
        value["time_ranges"] = [pair for pair in value["time_ranges"] if not _empty_range(pair)]
    for name in WALLET_SECRETS:
        if isinstance(value.get(name), str) and "\x00" not in value[name]:
            del value[name]
    csv = value.get("csv")
    if isinstance(csv, str) and 0 < len(csv) <= MAX_CSV and "\x00" not in csv:
        # A customer import's CSV text starts with a header naming its columns, and has rows.
        value["csv"] = f"{CSV_HEADER}\nfuzz-row,,fuzz-customer,,,1,\n"
    rrule = value.get("rrule")
    if isinstance(rrule, str) and 0 < len(rrule) <= MAX_RRULE_LENGTH and "\x00" not in rrule:
        try:
            Schedule(rrule=rrule)
        except ValidationError:
            value["rrule"] = "FREQ=WEEKLY;BYDAY=MO,TH"


WALLET_SECRETS = (
    "apple_certificate",
    "apple_private_key",
    "apple_wwdr_certificate",
    "google_service_account",
    "logo_png",
)


def _is_count(value: Any) -> bool:
    # JSON Schema reads 5.0 as the integer 5, and so does the API.
    return type(value) in (int, float) and value >= 0 and value == int(value)


def _streak_key(bonus: dict[str, Any]) -> Any:
    return (bonus.get("period", "day"), bonus.get("length"))


def _quantity_key(bonus: dict[str, Any]) -> Any:
    return bonus.get("quantity")


BONUS_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "streaks": _streak_key,
    "group_streaks": _streak_key,
    "milestones": _quantity_key,
    "group_milestones": _quantity_key,
}


def _first_of_each(bonuses: list[Any], key: Callable[[dict[str, Any]], Any]) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for bonus in bonuses:
        if isinstance(bonus, dict):
            identity = repr(_as_the_api_reads(key(bonus)))
            if identity in seen:
                continue
            seen.add(identity)
        kept.append(bonus)
    return kept


def _as_the_api_reads(value: Any) -> Any:
    """5.0 is the integer 5 to the API (and to JSON Schema): two thresholds 5 and 5.0 are one."""
    if isinstance(value, tuple):
        return tuple(_as_the_api_reads(item) for item in value)
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _ordered(pair: Any) -> Any:
    if isinstance(pair, list) and len(pair) == 2 and all(_is_date(day) for day in pair):
        return sorted(pair)
    return pair


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _empty_range(pair: Any) -> bool:
    if not (isinstance(pair, list) and len(pair) == 2):
        return False
    if not all(isinstance(t, str) and re.fullmatch(WALL_TIME_PATTERN, t) for t in pair):
        return False
    return time.fromisoformat(pair[0]) == time.fromisoformat(pair[1])


# --- Sequences --------------------------------------------------------------------------------


# The one operation whose 404 after a create under the same path is the documented answer, not
# the created resource gone: POST /buddies creates a buddy *request*, and DELETE
# /buddies/{user_id} ends a friendship, which only exists once the other person accepts. Every
# other resource meets use_after_free and ensure_resource_availability in full.
NOT_A_CREATED_RESOURCE: dict[tuple[str, str], list[Any]] = {
    ("DELETE", "/api/v1/buddies/{user_id}"): [ensure_resource_availability],
}
SCOPES = ("reward_id", "task_id")
# A store connection names one of its shop's programs (any other is 404, the answer for a body's
# reference elsewhere too): in a shop the sequence just created, the program named is the
# world's, of another shop, or one the sequence made in some shop, so a 404 there is not the new
# shop gone. The shop's availability is checked by every other operation under it.
CONNECTION = ("POST", "/api/v1/shops/{shop_id}/integrations")


def connects_a_new_shop(case: Case) -> bool:
    """Whether the case connects a store of a shop the sequence made."""
    if (case.method.upper(), case.path) != CONNECTION or not _worlds:
        return False
    return (case.path_parameters or {}).get("shop_id") not in _worlds[-1].ids["shop_id"]


def scope_within(case: Case) -> None:
    """A role's scope names one of its shop's own rewards or tasks (any other is 404): a shop
    the sequence just created has none, so a role there is given none (always valid)."""
    if (case.method.upper(), case.path) != ("POST", "/api/v1/shops/{shop_id}/roles"):
        return
    shop_id = (case.path_parameters or {}).get("shop_id")
    if not _worlds or shop_id in _worlds[-1].ids["shop_id"] or not isinstance(case.body, dict):
        return
    for scope in SCOPES:
        case.body.pop(scope, None)


def name_existing_objects(body: Any, seen: set[int]) -> None:
    """In a sequence, a body's reference to another object (``user_id`` of a new role, say)
    names one of the world's or one an earlier answer gave.

    Otherwise the API rightly answers 404 for the missing object, and ensure_resource_
    availability, which reads any 404 after a create as the created resource being gone, fails
    the sequence. Unknown references are fuzzed by the stateless tests above. A valid id is
    replaced by another valid id, so the case stays positive or negative as it was.
    """
    if not isinstance(body, dict) or not _worlds:
        return
    ids = _worlds[-1].ids
    for name, value in body.items():
        known = ids.get(ID_KINDS.get(name, ""), [])
        if not (known and _is_count(value) and 1 <= value <= MAX_ID):
            continue
        if int(value) not in known and int(value) not in seen:
            body[name] = known[int(value) % len(known)]


def ids_named(value: Any) -> Iterator[int]:
    """Every id in an answer: the values of ``id`` and of keys ending in ``_id``."""
    if isinstance(value, list):
        for item in value:
            yield from ids_named(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if (key == "id" or key.endswith("_id")) and type(item) is int:
                yield item
            else:
                yield from ids_named(item)


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# --- The tests ------------------------------------------------------------------------------


def call(case: Case, stage: Stage) -> None:
    bend(case.body)
    # Assigned, the body is checked against the document again before the case is sent, so
    # whether it is positive or negative is what the schema says. (The coverage phase calls
    # some nested values positive that an anyOf of their model refuses, e.g. a recurrence
    # given no days, dates, times or rrule.)
    case.body = case.body
    with stage.case() as session:
        response = case.call_and_validate()
        _sent.update(["all", f"{response.status_code // 100}xx"])
        if case.method.upper() not in SAFE_METHODS and response.status_code < 300:
            with app_session(APP, session):
                assert find_discrepancies() == [], "the ledger no longer adds up"


@as_member.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_as_member(case: Case, stage: Stage) -> None:
    call(case, stage)


@as_manager.parametrize()
@settings(
    max_examples=MAX_EXAMPLES * 3 // 2, deadline=None, suppress_health_check=list(HealthCheck)
)
def test_api_as_manager(case: Case, stage: Stage) -> None:
    call(case, stage)


@pytest.mark.parametrize("schema", [as_member, as_manager], ids=["member", "manager"])
def test_stateful(schema: BaseSchema, stage: Stage) -> None:
    """Sequences of calls along the links schemathesis infers from the document (an id one
    answer gives, fed to the operations that take it), where use_after_free and
    ensure_resource_availability have something to check. Each sequence runs in a
    transaction of its own."""

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.cases = ExitStack()
            self.session = self.cases.enter_context(stage.case())
            self.keys: set[str] = set()
            self.seen: set[int] = set()  # ids the sequence's answers named

        def teardown(self) -> None:
            self.cases.close()

        def before_call(self, case: Case) -> None:
            bend(case.body)
            name_existing_objects(case.body, self.seen)
            scope_within(case)
            case.body = case.body
            # A client names each operation with a key of its own; a key generated twice in
            # one sequence would be a reuse for another request, rightly refused.
            key = (case.headers or {}).get(HEADER)
            if key is None or re.fullmatch(KEY_PATTERN, key) is None:
                return
            if key in self.keys:
                key = case.headers[HEADER] = f"{key[:200]}-{uuid4().hex}"
            self.keys.add(key)

        def validate_response(self, response: Any, case: Case, *args: Any, **kwargs: Any) -> None:
            _sent.update(["all", f"{response.status_code // 100}xx"])
            self.seen.update(ids_named(_json_or_none(response)))
            excluded = NOT_A_CREATED_RESOURCE.get((case.method.upper(), case.path), [])
            if connects_a_new_shop(case):
                excluded = [*excluded, ensure_resource_availability]
            case.validate_response(
                response,
                excluded_checks=excluded,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )
            if case.method.upper() not in SAFE_METHODS and response.status_code < 300:
                with app_session(APP, self.session):
                    assert find_discrepancies() == [], "the ledger no longer adds up"

    run_state_machine_as_test(
        Sequences,
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_the_document_is_valid_openapi() -> None:
    schema: BaseSchema = as_member
    schema.validate()
