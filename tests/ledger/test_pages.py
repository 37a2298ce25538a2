"""Points adjusted from a program's members page: once however often the form is sent,
with a reason, by the shop's managers only."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.ledger.models import LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.pages import (
    Cafe,
    csrf_token,
    log_in,
    post,
    text_of,
)


def test_points_are_adjusted_with_a_reason_once_however_often_the_form_is_sent(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/programs/{cafe.program.id}/members/manage"
    form = {
        "amount": 25,
        "note": "Welcome gift",
        "idempotency_key": "k" * 24,
        "csrf_token": csrf_token(client, page),
    }
    first = client.post(f"/memberships/{cafe.membership.id}/adjust", data=form)
    assert first.status_code == 303
    assert "Added 25 points: the balance is 25 points." in text_of(client.get(page))
    again = client.post(f"/memberships/{cafe.membership.id}/adjust", data=form)
    assert again.status_code == 303
    assert "This form was sent already: it was not done twice." in text_of(client.get(page))
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 25
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.membership_id == cafe.membership.id)
    ).one()
    assert (entry.kind, entry.note, entry.actor_id) == ("adjustment", "Welcome gift", cafe.owner.id)

    too_much = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        page,
        {"amount": -100, "note": "Oops", "idempotency_key": "m" * 24},
    )
    assert too_much.status_code == 303
    assert "This needs 100 points; the balance is 25." in text_of(client.get(page))
    zero = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        page,
        {"amount": 0, "note": "Nothing", "idempotency_key": "n" * 24},
    )
    assert zero.status_code == 303
    assert "Say how many points (not zero) and why." in text_of(client.get(page))
    session.refresh(cafe.membership)
    assert cafe.membership.balance == 25
    with app.app_context():
        assert find_discrepancies() == []


def test_only_the_shop_managers_adjust_and_the_member_pages_are_refused_to_others(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    stamper = make_user(session, email="stamper@example.com")
    make_membership(session, cafe.program, stamper, role_type="manager")  # program role only
    log_in(client, stamper.email)
    page = f"/programs/{cafe.program.id}/members/manage"
    listing = text_of(client.get(page))
    assert "Ada Member" in listing and "Adjust the points" not in listing
    refused = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        page,
        {"amount": 5, "note": "Mine", "idempotency_key": "q" * 24},
    )
    assert refused.status_code == 404  # as the API: not theirs to know about
    assert cafe.membership.balance == 0
    log_in(client, cafe.member.email)
    assert client.get(page).status_code == 403
    response = post(
        client,
        f"/memberships/{cafe.membership.id}/adjust",
        f"/programs/{cafe.program.id}",
        {"amount": 5, "note": "Mine", "idempotency_key": "r" * 24},
    )
    assert response.status_code == 403
    secret = make_program(session, cafe.shop, privacy_mode="private")
    assert client.get(f"/programs/{secret.id}/members/manage").status_code == 404
