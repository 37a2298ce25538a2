"""A client that insists: every write carries an Idempotency-Key and is sent again, with the
same key and body, until the server answers it; and the books that check what came of it.

An answer is a status line and a body. A reset connection, a closed socket or a timeout is
no answer: the request may or may not have had its effect, and only the key makes sending
it again safe. A 503 is an answer that says "try again", so it is retried too.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, bindparam, text

RETRY_STATUSES = {502, 503, 504}
# Asks ``faults_app`` to kill the worker between the commit and the answer.
FAULT_HEADER = "X-Fault"
KILL_AFTER_COMMIT = "kill-after-commit"


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    sent_at: float
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Operation:
    """One intended write, identified by its key; ``note`` carries the key where it can."""

    kind: str  # "stamp", "adjustment" or "redemption"
    path: str
    body: dict[str, Any]
    token: str
    key: str = field(default_factory=lambda: f"faults-{uuid.uuid4().hex}")
    attempts: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def record(self, outcome: Answer | str) -> None:
        if isinstance(outcome, Answer):
            self.attempts.append(str(outcome.status))
            self.answers.append(outcome)
        else:
            self.attempts.append(outcome)

    @property
    def final(self) -> Answer:
        return self.answers[-1]

    @property
    def retries(self) -> int:
        return len(self.attempts) - 1


def send(
    port: int,
    operation: Operation,
    *,
    timeout: float,
    extra_headers: dict[str, str] | None = None,
) -> Answer | str:
    """One attempt: the answer, or the name of what happened instead of one."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {operation.token}",
        "Idempotency-Key": operation.key,
        "Connection": "close",
        **(extra_headers or {}),
    }
    started = time.monotonic()
    try:
        connection.request("POST", operation.path, json.dumps(operation.body), headers)
        response = connection.getresponse()
        body = response.read()
        return Answer(
            response.status,
            body,
            {k.lower(): v for k, v in response.getheaders()},
            started,
            time.monotonic() - started,
        )
    except TimeoutError:
        return "timeout"
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    finally:
        connection.close()


def fire(
    port: int,
    operation: Operation,
    *,
    timeout: float = 10,
    give_up_after: float = 90,
    first_headers: dict[str, str] | None = None,
) -> Answer:
    """Send until answered (503 included in "not yet"); every attempt is recorded."""
    deadline = time.monotonic() + give_up_after
    delay = 0.05
    while True:
        extra = first_headers if not operation.attempts else None
        outcome = send(port, operation, timeout=timeout, extra_headers=extra)
        operation.record(outcome)
        if isinstance(outcome, Answer) and outcome.status not in RETRY_STATUSES:
            return outcome
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{operation.kind} {operation.key}: no answer: {operation.attempts}"
            )
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


@dataclass
class World:
    """What one test writes to: its own shop, program, task, reward and members."""

    owner_token: str
    task_id: int
    reward_id: int
    membership_ids: list[int]
    member_tokens: dict[int, str]  # membership id -> its user's token

    def stamp(self, membership_id: int) -> Operation:
        operation = Operation("stamp", f"/api/v1/tasks/{self.task_id}/stamps", {}, self.owner_token)
        operation.body = {"membership_id": membership_id, "note": operation.key}
        return operation

    def adjustment(self, membership_id: int, amount: int) -> Operation:
        operation = Operation(
            "adjustment",
            f"/api/v1/memberships/{membership_id}/adjustments",
            {},
            self.owner_token,
        )
        operation.body = {"amount": amount, "note": operation.key}
        return operation

    def redemption(self, membership_id: int) -> Operation:
        return Operation(
            "redemption",
            f"/api/v1/rewards/{self.reward_id}/redemptions",
            {"membership_id": membership_id},
            self.member_tokens[membership_id],
        )


@dataclass
class Books:
    """What the database holds, compared key by key with what the client was told."""

    lost: list[str]  # a key answered "done" whose effect is missing
    duplicates: list[str]  # an effect no answer claims, or a key with two effects
    key_rows_wrong: list[str]  # a stored idempotent answer that differs from the one given

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicates or self.key_rows_wrong)


def _claimed_id(operation: Operation) -> int | None:
    answer = operation.final
    if answer.status != 201:
        return None
    body = answer.json()
    return int(body["stamp"]["id"] if operation.kind == "stamp" else body["id"])


def audit(engine: Engine, world: World, operations: list[Operation]) -> Books:
    """Every key had exactly one effect if it was answered 201, none otherwise."""
    lost: list[str] = []
    duplicates: list[str] = []
    members = tuple(world.membership_ids)
    with engine.connect() as connection:
        stamps = connection.execute(
            text("SELECT id, note FROM stamps WHERE task_id = :task"), {"task": world.task_id}
        ).all()
        adjustments = connection.execute(
            text(
                "SELECT id, note FROM ledger_entries "
                "WHERE kind = 'adjustment' AND membership_id IN :members"
            ).bindparams(_expanding("members")),
            {"members": members},
        ).all()
        redemptions = connection.execute(
            text("SELECT id FROM redemptions WHERE reward_id = :reward"),
            {"reward": world.reward_id},
        ).all()
        caused = connection.execute(
            text(
                "SELECT cause_type, cause_id, count(*) FROM ledger_entries "
                "WHERE membership_id IN :members AND cause_type IS NOT NULL "
                "GROUP BY cause_type, cause_id"
            ).bindparams(_expanding("members")),
            {"members": members},
        ).all()
        stored = connection.execute(
            text("SELECT key, status, body FROM idempotency_keys WHERE key IN :keys").bindparams(
                _expanding("keys")
            ),
            {"keys": tuple(o.key for o in operations)},
        ).all()

    rows_by_kind: dict[str, dict[int, str | None]] = {
        "stamp": {row[0]: row[1] for row in stamps},
        "adjustment": {row[0]: row[1] for row in adjustments},
        "redemption": {row[0]: None for row in redemptions},
    }
    claimed: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        row_id = _claimed_id(operation)
        rows = rows_by_kind[operation.kind]
        by_note = [i for i, note in rows.items() if note == operation.key]
        if row_id is None:
            if by_note:  # refused, yet it left a trace
                duplicates.append(operation.key)
            continue
        claimed[(operation.kind, row_id)] += 1
        if row_id not in rows or (operation.kind != "redemption" and by_note != [row_id]):
            (lost if row_id not in rows else duplicates).append(operation.key)
    for kind, rows in rows_by_kind.items():
        for row_id in rows:
            if claimed[(kind, row_id)] != 1:
                duplicates.append(f"{kind} {row_id} claimed by {claimed[(kind, row_id)]} keys")
    # Each stamp and redemption paid or earned exactly once in the ledger.
    entries = {(row[0], row[1]): row[2] for row in caused}
    for kind in ("stamp", "redemption"):
        for row_id in rows_by_kind[kind]:
            count = entries.get((kind, str(row_id)), 0)
            if count != 1:
                (lost if count == 0 else duplicates).append(f"{kind} {row_id}: {count} entries")
    for (kind, cause_id), count in entries.items():
        if kind in ("stamp", "redemption") and int(cause_id) not in rows_by_kind[kind]:
            duplicates.append(f"{count} ledger entries for a missing {kind} {cause_id}")

    answers = {o.key: o.final for o in operations}
    key_rows_wrong = [
        key
        for key, status, body in stored
        if status != answers[key].status or body.encode() != answers[key].body
    ]
    key_rows_wrong += sorted(set(answers) - {row[0] for row in stored})
    return Books(lost, duplicates, key_rows_wrong)


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


class Tally:
    """Counts shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.operations: list[Operation] = []

    def add(self, operation: Operation) -> None:
        with self.lock:
            self.operations.append(operation)

    def figures(self) -> dict[str, Any]:
        operations = self.operations
        attempts = Counter(a for o in operations for a in o.attempts)
        return {
            "operations": len(operations),
            "retries": sum(o.retries for o in operations),
            "no_answer": sum(1 for o in operations for a in o.attempts if not a.isdigit()),
            "replayed": sum(
                1 for o in operations if o.retries and o.final.headers.get("idempotent-replayed")
            ),
            "final_statuses": dict(Counter(str(o.final.status) for o in operations)),
            "attempt_outcomes": dict(attempts),
        }
