"""Customer imports through the API and their job: bad rows each with their reason while the
rest import, the same file twice changing nothing, add and set, how a customer is found,
names kept and found by search, progress a batch at a time, a lost job taken up again."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core import clock
from stampbook.core.db import utcnow
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.loyalty import importing
from stampbook.loyalty.import_rules import HEADER
from stampbook.loyalty.models import (
    CustomerImport,
    CustomerImportChunk,
    CustomerImportRow,
    CustomerProfile,
    ImportFormat,
)
from stampbook.programs.models import Membership
from tests.factories.accounts import auth, make_user
from tests.factories.apikeys import bearer, make_api_key
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership
from tests.factories.shops import Team, make_team
from tests.occurrences import last_id, recorded


@dataclass
class Importer:
    client: FlaskClient
    session: Session
    team: Team
    headers: dict[str, str]

    @property
    def program_id(self) -> int:
        return self.team.program.id

    def send(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/api/v1/programs/{self.program_id}/customer-imports",
            json=body,
            headers=headers or self.headers,
        )

    def csv(self, *lines: str) -> dict[str, Any]:
        """Import a file of these rows (after the header); its state once its job ran."""
        sent = self.send({"csv": "\n".join([HEADER, *lines]) + "\n"})
        assert sent.status_code == 202, sent.json
        return self.get(sent.json["id"])

    def get(self, import_id: int) -> dict[str, Any]:
        found = self.client.get(f"/api/v1/customer-imports/{import_id}", headers=self.headers)
        assert found.status_code == 200, found.json
        result: dict[str, Any] = found.json
        return result

    def failures(self, import_id: int, **query: Any) -> dict[str, Any]:
        found = self.client.get(
            f"/api/v1/customer-imports/{import_id}/rows", query_string=query, headers=self.headers
        )
        assert found.status_code == 200, found.json
        result: dict[str, Any] = found.json
        return result

    def customer(self, **match: str) -> Membership:
        column = Membership.email if "email" in match else Membership.external_id
        return self.session.scalars(
            select(Membership)
            .where(Membership.program_id == self.program_id, column == next(iter(match.values())))
            .execution_options(populate_existing=True)
        ).one()

    def snapshot(self) -> dict[str, Any]:
        """Everything an import may change in the program."""
        members = self.session.execute(
            select(Membership.id, Membership.email, Membership.external_id, Membership.balance)
            .where(Membership.program_id == self.program_id)
            .order_by(Membership.id)
            .execution_options(populate_existing=True)
        ).all()
        profiles = self.session.execute(
            select(
                CustomerProfile.membership_id, CustomerProfile.first_name, CustomerProfile.last_name
            )
            .order_by(CustomerProfile.membership_id)
            .execution_options(populate_existing=True)
        ).all()
        entries = self.session.scalar(select(func.count()).select_from(LedgerEntry))
        return {"members": members, "profiles": profiles, "entries": entries}


@pytest.fixture
def importer(client: FlaskClient, session: Session) -> Importer:
    team = make_team(session)
    return Importer(client, session, team, auth(session, team.manager))


def test_a_file_with_bad_rows_reports_each_rows_reason_and_imports_the_rest(
    importer: Importer,
) -> None:
    done = importer.csv(
        "r1,ana@example.com,,Ana,Ruiz,10,",
        "r2,not-an-email,,,,5,",
        ",bo@example.com,,,,5,",
        "r4,cy@example.com,,,,-3,",
        "r5,dee@example.com,,,,5,twice",
        "r6,,,Nobody,,5,",
        "r7,,c-7,,,7,set",
        "r8,eve@example.com,,,,1,add,surplus",
    )
    assert done["status"] == "done" and done["progress"] == 100
    assert (done["rows_total"], done["rows_done"]) == (8, 8)
    assert (done["rows_applied"], done["rows_failed"], done["rows_skipped"]) == (2, 6, 0)
    assert (done["customers_added"], done["points_credited"]) == (2, 17)
    reasons = [
        (f["row"], f["code"], f["identifier"]) for f in importer.failures(done["id"])["items"]
    ]
    assert reasons == [
        (2, "email_invalid", "r2"),
        (3, "identifier_missing", None),
        (4, "points_invalid", "r4"),
        (5, "mode_invalid", "r5"),
        (6, "customer_missing", "r6"),
        (8, "columns_invalid", "r8"),
    ]
    page = importer.failures(done["id"])["items"]
    assert page[0]["detail"] == "The email is not a valid address."
    assert importer.customer(email="ana@example.com").balance == 10
    assert importer.customer(external_id="c-7").balance == 7


def test_the_same_file_twice_changes_nothing(importer: Importer, session: Session) -> None:
    existing = make_membership(session, importer.team.program, None, email="old@example.com")
    give_points(session, existing, 50)
    lines = (
        "a1,new@example.com,c-1,Nia,New,30,add",
        "a2,old@example.com,c-2,Olga,,20,set",
        "a3,bad-email,,,,5,",
        "a4,,c-3,,,0,set",
        "a5,new@example.com,,,Newer,5,",
    )
    first = importer.csv(*lines)
    assert (first["rows_applied"], first["rows_failed"], first["customers_added"]) == (4, 1, 2)
    assert (first["points_credited"], first["points_debited"]) == (35, 30)
    before = importer.snapshot()
    occurrences = last_id(session)

    again = importer.csv(*lines)

    assert importer.snapshot() == before
    assert (again["rows_applied"], again["rows_skipped"], again["rows_failed"]) == (0, 4, 1)
    assert (again["customers_added"], again["points_credited"], again["points_debited"]) == (
        0,
        0,
        0,
    )
    assert recorded(session, occurrences) == []
    assert importer.customer(email="old@example.com").balance == 20
    assert importer.customer(email="new@example.com").balance == 35


def test_add_credits_and_set_moves_the_balance_both_ways_never_below_zero(
    importer: Importer, session: Session
) -> None:
    member = make_membership(session, importer.team.program, None, external_id="c-1")
    give_points(session, member, 50)
    done = importer.csv(
        "s1,,c-1,,,20,set",  # 50 -> 20: a debit of 30
        "s2,,c-1,,,5,add",  # 25
        "s3,,c-1,,,80,set",  # a credit of 55
        "s4,,c-1,,,80,set",  # nothing to move
        "s5,,c-1,,,0,set",  # everything goes, and no further
    )
    assert done["rows_applied"] == 5
    assert importer.customer(external_id="c-1").balance == 0
    entries = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.membership_id == member.id, LedgerEntry.cause_type == "import")
        .order_by(LedgerEntry.id)
    ).all()
    assert [(e.amount, e.balance_after) for e in entries] == [
        (-30, 20),
        (5, 25),
        (55, 80),
        (-80, 0),
    ]
    assert {e.kind for e in entries} == {EntryKind.ADJUSTMENT}
    assert all(e.actor_id == importer.team.manager.id for e in entries)
    applied = dict(
        session.execute(
            select(CustomerImportRow.id, CustomerImportRow.identifier).where(
                CustomerImportRow.import_id == done["id"]
            )
        ).all()
    )
    assert [applied[int(e.cause_id or 0)] for e in entries] == ["s1", "s2", "s3", "s5"]
    assert (done["points_credited"], done["points_debited"]) == (60, 110)


def test_a_customer_is_found_by_external_id_then_email_or_made(
    importer: Importer, session: Session
) -> None:
    program = importer.team.program
    by_email = make_membership(session, program, None, email="found@example.com")
    by_id = make_membership(session, program, None, external_id="c-9", email="before@example.com")
    other = make_membership(session, program, None, email="other@example.com", external_id="c-8")
    make_membership(session, program, None, email="gone@example.com", status="removed")
    owner = make_user(session, email="owner@example.com")
    claimed = make_membership(session, program, owner, external_id="c-owner")
    occurrences = last_id(session)
    done = importer.csv(
        # The email's customer gets the store id.
        "f1,found@example.com,c-1,,,1,",
        # The store id's (unclaimed) customer moves to the new address.
        "f2,after@example.com,c-9,,,1,",
        # The email is another store id's customer: nothing changes.
        "f3,other@example.com,c-7,,,1,",
        # The address is another customer's.
        "f4,other@example.com,c-9,,,1,",
        "f5,gone@example.com,,,,1,",
        # An account's address stays its owner's.
        "f6,someone@example.com,c-owner,,,1,",
        "f7,fresh@example.com,c-fresh,Fresh,,1,",
    )
    reasons = {f["identifier"]: f["code"] for f in importer.failures(done["id"])["items"]}
    assert reasons == {
        "f3": "customer_conflict",
        "f4": "email_taken",
        "f5": "membership_not_active",
    }
    session.expire_all()
    assert (by_email.external_id, by_email.balance) == ("c-1", 1)
    assert (by_id.email, by_id.balance) == ("after@example.com", 1)
    assert (other.external_id, other.balance) == ("c-8", 0)
    assert (claimed.email, claimed.balance) == (None, 1)
    fresh = importer.customer(external_id="c-fresh")
    assert (fresh.email, fresh.user_id, fresh.balance) == ("fresh@example.com", None, 1)
    added = [p for t, _shop, p in recorded(session, occurrences) if t == "customer.added"]
    assert added == [{"membership_id": fresh.id, "program_id": program.id}]


def test_names_are_kept_and_found_by_the_searches(
    importer: Importer, session: Session, client: FlaskClient
) -> None:
    importer.csv("n1,ana@example.com,,Ána,Ruiz,,", "n2,bo@example.com,,Bo,,,")
    importer.csv("n3,bo@example.com,,,Díaz,,")  # an empty cell keeps the first name
    profiles = session.execute(
        select(CustomerProfile.first_name, CustomerProfile.last_name, CustomerProfile.search_name)
        .order_by(CustomerProfile.membership_id)
        .execution_options(populate_existing=True)
    ).all()
    assert [tuple(p) for p in profiles] == [("Ána", "Ruiz", "ana ruiz"), ("Bo", "Díaz", "bo diaz")]
    found = client.get(
        f"/api/v1/shops/{importer.team.shop.id}/members",
        query_string={"q": "ana"},
        headers=importer.headers,
    )
    assert found.status_code == 200, found.json
    assert [(m["name"], m["email"]) for m in found.json["items"]] == [
        ("Ána Ruiz", "ana@example.com")
    ]


def test_rows_sent_as_json_import_like_a_file(importer: Importer) -> None:
    sent = importer.send(
        {
            "rows": [
                {"identifier": "j1", "email": "ana@example.com", "points": 12},
                {"identifier": "j2", "external_id": "c-2", "points": 7, "mode": "set"},
                {"identifier": "j3", "email": "x", "points": 1},
                {},
                {"identifier": "j5", "email": " "},
            ],
            "file_name": "nightly sync",
        }
    )
    assert sent.status_code == 202, sent.json
    assert (sent.json["status"], sent.json["format"], sent.json["rows_total"]) == (
        "queued",
        "json",
        5,
    )
    done = importer.get(sent.json["id"])
    assert (done["file_name"], done["rows_applied"], done["points_credited"]) == (
        "nightly sync",
        2,
        19,
    )
    # Each row has its result, empty ones too: row 4 is the fourth of rows.
    assert [(f["row"], f["code"]) for f in importer.failures(done["id"])["items"]] == [
        (3, "email_invalid"),
        (4, "identifier_missing"),
        (5, "customer_missing"),
    ]


@pytest.mark.parametrize(
    ("csv", "detail"),
    [
        (
            "identifier,email,point\nr1,a@example.com,1\n",
            "does not know: point. It may name these: identifier, email,",
        ),
        ("email,points\na@example.com,1\n", "it lacks identifier"),
        ("identifier,points\nr1,1\n", "it lacks email | external_id"),
        (f"{HEADER}\n\n,,,\n", "The file has no rows to import."),
    ],
)
def test_a_file_an_import_cannot_read_is_refused_and_nothing_kept(
    importer: Importer, session: Session, csv: str, detail: str
) -> None:
    refused = importer.send({"csv": csv})
    assert refused.status_code == 422, refused.json
    assert refused.json["code"] == "import_file_invalid"
    assert detail in refused.json["detail"]
    assert session.scalar(select(func.count()).select_from(CustomerImport)) == 0


def test_a_body_with_rows_and_csv_or_neither_is_refused(importer: Importer) -> None:
    for body in ({}, {"rows": [{"identifier": "x"}], "csv": HEADER}, {"rows": []}):
        assert importer.send(body).status_code == 422, body


def test_failed_rows_come_page_by_page_in_row_order(importer: Importer) -> None:
    done = importer.csv(*(f"b{n},bad{n},,,,1," for n in range(1, 6)))
    first = importer.failures(done["id"], limit=2)
    second = importer.failures(done["id"], limit=2, cursor=first["next_cursor"])
    third = importer.failures(done["id"], limit=2, cursor=second["next_cursor"])
    rows = [f["row"] for page in (first, second, third) for f in page["items"]]
    assert rows == [1, 2, 3, 4, 5] and third["next_cursor"] is None


def test_the_import_log_lists_the_programs_imports_newest_first(importer: Importer) -> None:
    first = importer.csv("l1,a@example.com,,,,,")
    second = importer.csv("l2,b@example.com,,,,,")
    log = importer.client.get(
        f"/api/v1/programs/{importer.program_id}/customer-imports", headers=importer.headers
    )
    assert [i["id"] for i in log.json["items"]] == [second["id"], first["id"]]


def test_a_shops_key_imports_with_the_write_scope_and_reads_with_read(
    importer: Importer, session: Session
) -> None:
    write, _key = make_api_key(session, importer.team.shop, scopes=("write",))
    read, _key = make_api_key(session, importer.team.shop, scopes=("read",))
    body = {"rows": [{"identifier": "k1", "external_id": "c-1", "points": 3}]}
    refused = importer.send(body, headers=bearer(read))
    assert (refused.status_code, refused.json["code"]) == (403, "api_key_scope")
    sent = importer.send(body, headers=bearer(write))
    assert sent.status_code == 202, sent.json
    seen = importer.client.get(f"/api/v1/customer-imports/{sent.json['id']}", headers=bearer(read))
    assert seen.json["rows_applied"] == 1


# --- The job ---------------------------------------------------------------------------------


def _stored(session: Session, importer: Importer, rows: int) -> int:
    """An import stored, its job not run (as if its worker had not picked it up)."""
    text = "\n".join([HEADER, *(f"p{n},p{n}@example.com,,,,{n},add" for n in range(1, rows + 1))])
    made = importing.start(
        importer.team.manager,
        importer.program_id,
        io.BytesIO(text.encode()),
        file_name="p.csv",
        format=ImportFormat.CSV,
    )
    session.info.pop("after_commit", None)  # no job: the test runs it
    session.commit()
    return made.id


class Killed(BaseException):
    """The worker dies between two batches."""


def test_the_job_commits_progress_batch_by_batch_and_a_lost_job_is_taken_up(
    importer: Importer, session: Session, app_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = _stored(session, importer, 7)
    seen: list[int] = []

    def die_after_two(done: int) -> None:
        seen.append(session.get(CustomerImport, import_id).rows_done)  # type: ignore[union-attr]
        if len(seen) == 2:
            raise Killed()

    with pytest.raises(Killed):
        importing.work_through(import_id, batch=2, on_batch=die_after_two)
    assert seen == [2, 4]
    # Its heartbeat is fresh: no second job takes it, the sweep leaves it.
    assert importing.work_through(import_id, batch=2) == 0
    assert importing.sweep() == 0
    later = utcnow() + importing.STALE + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert importing.sweep() == 1
    session.info.pop("after_commit", None)
    progress: list[int] = []
    assert importing.work_through(import_id, batch=2, on_batch=progress.append) == 3
    assert progress == [6, 7]
    done = session.get(CustomerImport, import_id, populate_existing=True)
    assert done is not None and (done.status, done.rows_applied, done.points_credited) == (
        "done",
        7,
        sum(range(1, 8)),
    )
    chunks = select(func.count()).where(CustomerImportChunk.import_id == import_id)
    assert session.scalar(chunks) == 0  # the file is forgotten


def test_a_job_that_fails_stops_the_import_and_says_why(
    importer: Importer, session: Session, app_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = _stored(session, importer, 3)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(importing, "apply_rows", broken)
    importing.work_through(import_id)
    stopped = session.get(CustomerImport, import_id, populate_existing=True)
    assert stopped is not None and (stopped.status, stopped.error_code) == (
        "failed",
        "internal_error",
    )
    assert stopped.finished_at is not None


def test_an_archived_programs_imports_are_gone_for_the_api(
    importer: Importer, session: Session
) -> None:
    done = importer.csv("g1,a@example.com,,,,1,")
    importer.team.program.archived_at = utcnow()
    session.flush()
    assert (
        importer.send({"rows": [{"identifier": "g2", "email": "b@example.com"}]}).status_code == 404
    )
    gone = importer.client.get(f"/api/v1/customer-imports/{done['id']}", headers=importer.headers)
    assert gone.status_code == 404
