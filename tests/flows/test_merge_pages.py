"""Merges on the pages: what moves is said first, then it moves; refused as the API
refuses."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.ledger.queries import find_discrepancies
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import make_task
from tests.pages import (
    Cafe,
    log_in,
    post,
    text_of,
)


def stated(page: str, label: str) -> str:
    """What a confirmation page's list says next to ``label``."""
    found = re.search(rf"<dt[^>]*>{re.escape(label)}</dt>\s*<dd[^>]*>([^<]*)</dd>", page)
    assert found is not None, label
    return " ".join(found.group(1).split())


def test_a_shop_merge_says_what_moves_then_moves_it(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    other = make_shop(session, cafe.owner, name="Bakery")
    bread = make_program(session, other, name="Bread card")
    make_task(session, bread, name="Buy bread")
    make_reward(session, other, name="Free loaf", cost=5)
    for n in range(3):
        give_points(session, make_membership(session, bread, make_user(session)), 10 * (n + 1))
    make_role(session, other, make_user(session), "assistant")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/merge"
    chooser = text_of(client.get(page))
    assert "Bakery" in chooser and "Corner Café</option>" not in chooser
    preview = text_of(client.get(f"{page}?source={other.id}"))
    assert "Merging Bakery into Corner Café:" in preview
    assert stated(preview, "Programs that move here, with their members and tasks") == (
        "1 (1 running)"
    )
    assert stated(preview, "Their active members") == "3"
    assert stated(preview, "Points their memberships hold, every one kept as it is") == "60"
    assert stated(preview, "Tasks") == "1"
    assert stated(preview, "Rewards that move here, with their receipts") == "1"
    assert stated(preview, "Managers and assistants who join this shop's team") == "1"
    assert other.deleted_at is None
    response = post(client, page, f"{page}?source={other.id}", {"source": other.id})
    assert response.status_code == 303, text_of(response)
    session.refresh(other)
    session.refresh(bread)
    assert other.merged_into_id == cafe.shop.id and bread.shop_id == cafe.shop.id
    assert "Merged into Corner Café. Programs moved: 1; rewards: 1; team members: 1." in (
        text_of(client.get(response.headers["Location"]))
    )
    assert client.get(f"{page}?source=999999").status_code == 422


def test_a_program_merge_says_what_moves_then_keeps_every_point(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 7)
    tea = make_program(session, cafe.shop, name="Tea card")
    make_task(session, tea, name="Buy tea")
    give_points(session, make_membership(session, tea, cafe.member), 30)  # in both
    give_points(session, make_membership(session, tea, make_user(session)), 5)  # tea only
    log_in(client, cafe.owner.email)
    page = f"/programs/{cafe.program.id}/merge"
    assert "Tea card" in text_of(client.get(page))
    preview = text_of(client.get(f"{page}?source={tea.id}"))
    assert stated(preview, "Memberships that move here as they are") == "1 (1 active)"
    assert stated(preview, "Points they hold") == "5"
    assert stated(preview, "People in both programs") == "1"
    assert stated(preview, "Their points there, added to their membership here") == "30"
    assert stated(preview, "Tasks that move here, with their stamps and history") == "1"
    response = post(client, page, f"{page}?source={tea.id}", {"source": tea.id})
    assert response.status_code == 303, text_of(response)
    session.refresh(cafe.membership)
    session.refresh(tea)
    assert cafe.membership.balance == 37 and tea.merged_into_id == cafe.program.id
    with app.app_context():
        assert find_discrepancies() == []


def test_merges_are_refused_as_the_api_refuses(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    boss = make_user(session, email="boss@example.com")
    make_role(session, cafe.shop, boss, "manager")
    log_in(client, boss.email)
    assert client.get(f"/shops/{cafe.shop.id}/merge").status_code == 403  # the creator only
    assert client.get(f"/programs/{cafe.program.id}/merge").status_code == 200
    log_in(client, cafe.member.email)
    assert client.get(f"/programs/{cafe.program.id}/merge").status_code == 403
    strangers = make_shop(session, make_user(session), name="Elsewhere")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/merge"
    assert "Elsewhere" not in text_of(client.get(page))
    response = post(client, page, page, {"source": strangers.id})
    assert response.status_code == 303
    session.refresh(strangers)
    assert strangers.deleted_at is None
