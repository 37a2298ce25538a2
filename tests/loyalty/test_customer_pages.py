"""The team's customer pages: uploading a CSV file (larger than the API's bodies may be) to the
import log, an import's progress and failed rows, the customers' list and search, a
customer's profile, and the program's points activity by customer and dates."""

from __future__ import annotations

import io
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from stampbook.core.db import utcnow
from stampbook.loyalty.import_rules import HEADER
from stampbook.loyalty.models import CustomerImport, ImportStatus, Order
from stampbook.programs.models import Membership
from stampbook.tiers.models import MemberTier, Tier
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    csrf_token,
    log_in,
    signed_in,
    statement_counts,
    text_of,
)


def _upload(client: FlaskClient, cafe: Cafe, content: bytes, name: str = "customers.csv") -> object:
    page = f"/programs/{cafe.program.id}/customer-imports"
    return client.post(
        page,
        data={"file": (io.BytesIO(content), name), "csrf_token": csrf_token(client, page)},
        content_type="multipart/form-data",
    )


def _file(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def test_a_manager_uploads_a_file_and_sees_its_counts_and_failed_rows(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    answer = _upload(
        client,
        cafe,
        _file("u1,ana@example.com,,Ana,Ruiz,40,", "u2,not-an-email,,,,5,", "u3,,c-3,,,7,set"),
    )
    assert answer.status_code == 303, text_of(answer)  # type: ignore[attr-defined]
    found = session.scalars(select(CustomerImport)).one()
    assert answer.headers["Location"].endswith(f"/customer-imports/{found.id}")  # type: ignore[attr-defined]
    page = text_of(client.get(f"/customer-imports/{found.id}"))
    assert "Import of customers.csv" in page
    assert "The file customers.csv is being imported" in page
    assert "3 of 3 rows worked through." in page
    assert "The email is not a valid address." in page and "u2" in page
    log = client.get(f"/programs/{cafe.program.id}/customer-imports")
    assert "Refresh" not in log.headers  # nothing at work: no reloading
    assert "customers.csv" in text_of(log)


def test_the_upload_may_be_larger_than_the_apis_bodies(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    # Long rows of one customer: a big file whose import stays quick.
    name = "N" * 100
    lines = [f"{'i' * 90}{n:08d},big@example.com,,{name},{name},," for n in range(5_000)]
    content = _file(*lines)
    assert len(content) > 1_300_000
    log_in(client, cafe.owner.email)
    answer = _upload(client, cafe, content, "big.csv")
    assert answer.status_code == 303, text_of(answer)  # type: ignore[attr-defined]
    done = session.scalars(select(CustomerImport)).one()
    assert (done.status, done.rows_applied, done.customers_added) == (ImportStatus.DONE, 5_000, 1)
    # Every other route keeps the app's limit.
    page = f"/programs/{cafe.program.id}/customers"
    refused = client.post(
        f"/memberships/{cafe.membership.id}/adjust",
        data={"note": "x" * 1_300_000, "csrf_token": csrf_token(client, page)},
    )
    assert refused.status_code == 413


def test_an_upload_bigger_than_the_import_limit_is_refused(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    limit = app.config["CUSTOMER_IMPORT_MAX_BYTES"]
    app.config["CUSTOMER_IMPORT_MAX_BYTES"] = 2000
    try:
        answer = _upload(client, cafe, _file(*(f"r{n},r{n}@example.com,,,,1," for n in range(200))))
    finally:
        app.config["CUSTOMER_IMPORT_MAX_BYTES"] = limit
    assert answer.status_code == 413  # type: ignore[attr-defined]
    assert session.scalars(select(CustomerImport)).first() is None


def test_a_file_the_import_cannot_read_is_refused_next_to_the_field(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    answer = _upload(client, cafe, b"name,points\nAna,1\n")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    page = text_of(answer)
    assert 'id="file-help" class="invalid-feedback' in page
    assert "The first row names columns an import does not know: name." in page
    answer = _upload(client, cafe, "identifier,email\nr1,caf\xe9@example.com\n".encode("latin-1"))
    assert "The file is not UTF-8 text" in text_of(answer)
    assert session.scalars(select(CustomerImport)).first() is None


def test_a_page_of_an_import_at_work_reloads_itself(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    running = CustomerImport(
        program_id=cafe.program.id,
        created_by=cafe.owner.id,
        file_name="slow.csv",
        status=ImportStatus.RUNNING,
        rows_total=1000,
        rows_done=250,
    )
    session.add(running)
    session.flush()
    log_in(client, cafe.owner.email)
    page = client.get(f"/customer-imports/{running.id}")
    assert page.headers["Refresh"] == "3"
    assert 'aria-valuenow="25"' in text_of(page)
    assert client.get(f"/programs/{cafe.program.id}/customer-imports").headers["Refresh"] == "3"


def test_the_import_pages_are_the_managers(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    member = signed_in(app, cafe.member)
    assert member.get(f"/programs/{cafe.program.id}/customer-imports").status_code == 403
    assert _upload(member, cafe, _file("x1,x@example.com,,,,1,")).status_code == 403  # type: ignore[attr-defined]
    stranger = signed_in(app, make_user(session))
    assert stranger.get(f"/programs/{cafe.program.id}/customers").status_code == 403
    # The member's membership is theirs to show: hidden from strangers.
    assert stranger.get(f"/memberships/{cafe.membership.id}/customer").status_code == 404
    assert session.scalars(select(CustomerImport)).first() is None


def test_the_customers_list_finds_by_name_email_or_store_id_and_opens_a_profile(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    _upload(
        client, cafe, _file("c1,ana@example.com,s-1,Ána,Ruiz,,", "c2,bo@example.com,s-2,Bo,Díaz,,")
    )
    listing = f"/programs/{cafe.program.id}/customers"
    everyone = text_of(client.get(listing))
    assert "Ána Ruiz" in everyone and "Bo Díaz" in everyone and "Ada Member" in everyone
    for q in ("ruiz", "ANA", "ana@ex", "s-1"):
        found = text_of(client.get(listing, query_string={"q": q}))
        assert "Ána Ruiz" in found and "Bo Díaz" not in found, q
    assert "No customer matches" in text_of(client.get(listing, query_string={"q": "zzz"}))
    ana = session.scalars(select(Membership).where(Membership.external_id == "s-1")).one()
    assert f"/memberships/{ana.id}/customer" in everyone


def test_a_profile_shows_the_balance_orders_and_history_and_pending_and_expiring_points(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    customer = make_membership(
        session, cafe.program, None, email="cy@example.com", external_id="s-9"
    )
    give_points(session, customer, 25)
    session.add(
        Order(
            program_id=cafe.program.id,
            membership_id=customer.id,
            order_id="order-77",
            currency="USD",
            subtotal=1990,
            total=1990,
            status="paid",
            points_earned=19,
        )
    )
    session.flush()
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/memberships/{customer.id}/customer"))
    assert "cy@example.com" in page and "s-9" in page
    assert "25 points" in page
    assert "order-77" in page and "19.90 USD" in page
    assert "Adjustment by the team" in page
    assert f"/memberships/{customer.id}/history" in page
    assert f"/programs/{cafe.program.id}/activity?membership_id={customer.id}" in page
    assert "Pending" in page and "Expiring" not in page


def test_a_profile_shows_what_is_pending_and_what_expires_when(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    from datetime import UTC, datetime

    from stampbook.programs.models import HeldPoints, PointLot

    cafe.program.expiry_mode, cafe.program.expiry_days = "month", 0
    cafe.program.expiry_since = utcnow()
    customer = make_membership(session, cafe.program, None, email="dee@example.com", pending=7)
    give_points(session, customer, 12)
    later = utcnow() + timedelta(days=400)
    expires = datetime(later.year, later.month, 1, 12, tzinfo=UTC)
    session.add_all(
        [
            PointLot(
                membership_id=customer.id,
                amount=12,
                remaining=12,
                earned_at=utcnow(),
                expires_at=expires,
            ),
            HeldPoints(
                membership_id=customer.id,
                amount=7,
                kind="purchase",
                source_type="order",
                source_id="1",
                held_at=utcnow(),
                release_at=later,
            ),
        ]
    )
    session.flush()
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/memberships/{customer.id}/customer"))
    assert "7 points" in page  # pending
    assert "Expiring" in page and "12 points after" in page


def test_the_activity_log_filters_by_customer_and_dates(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    other = make_membership(session, cafe.program, None, email="other@example.com")
    give_points(session, cafe.membership, 11)
    give_points(session, other, 22)
    give_points(session, other, 33)
    log_in(client, cafe.owner.email)
    activity = f"/programs/{cafe.program.id}/activity"
    everyone = text_of(client.get(activity))
    assert "+11" in everyone and "+22" in everyone and "+33" in everyone
    assert "Ada Member" in everyone
    theirs = text_of(client.get(activity, query_string={"customer": "other@example.com"}))
    assert "+11" not in theirs and "+22" in theirs and "Only other@example.com." in theirs
    by_id = text_of(client.get(activity, query_string={"membership_id": cafe.membership.id}))
    assert "+11" in by_id and "+22" not in by_id
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    later = text_of(client.get(activity, query_string={"since": tomorrow}))
    assert "No points moved in this period." in later
    today = utcnow().date().isoformat()
    until_today = text_of(client.get(activity, query_string={"since": today, "until": tomorrow}))
    assert "+11" in until_today and "+33" in until_today
    unknown = text_of(client.get(activity, query_string={"customer": "nobody@example.com"}))
    assert "No customer of this program has this email or store id." in unknown


def test_the_pages_escape_what_files_bring_and_stay_within_budget(
    client: FlaskClient, session: Session, cafe: Cafe, engine: Engine
) -> None:
    log_in(client, cafe.owner.email)
    _upload(client, cafe, _file(f"e1,evil@example.com,,{EVIL},,5,", f"{EVIL},bad,,,,1,"), EVIL)
    found = session.scalars(select(CustomerImport)).one()
    evil = session.scalars(select(Membership).where(Membership.email == "evil@example.com")).one()
    paths = [
        f"/customer-imports/{found.id}",
        f"/programs/{cafe.program.id}/customer-imports",
        f"/programs/{cafe.program.id}/customers",
        f"/memberships/{evil.id}/customer",
        f"/programs/{cafe.program.id}/activity",
    ]
    for path in paths:
        page = text_of(client.get(path))
        assert EVIL not in page, path
        assert "&lt;script&gt;" in page, path
    counts = statement_counts(client, engine, paths)
    assert all(count <= PAGE_BUDGET for count in counts.values()), counts


def test_the_list_and_the_profile_show_the_vip_tier(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    silver = Tier(program_id=cafe.program.id, name="Silver Circle", threshold=100)
    session.add(silver)
    session.flush()
    customer = make_membership(session, cafe.program, None, email="vip@example.com")
    session.add(
        MemberTier(membership_id=customer.id, program_id=cafe.program.id, tier_id=silver.id)
    )
    session.flush()
    log_in(client, cafe.owner.email)
    listing = text_of(client.get(f"/programs/{cafe.program.id}/customers"))
    assert "VIP tier" in listing and listing.count("Silver Circle") == 1
    profile = text_of(client.get(f"/memberships/{customer.id}/customer"))
    assert "Silver Circle" in profile
