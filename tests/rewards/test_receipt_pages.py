"""The receipt pages: a reward's and a shop's receipts for the team, handed over or
cancelled; a receipt; my receipts by shop and period. Driven through the test client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stampbook.core.clock import now as clock_now
from stampbook.rewards.models import Redemption, RedemptionStatus
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.pages import (
    Cafe,
    log_in,
    post,
    redeem,
    signed_in,
    text_of,
)

# --- A reward's receipts and a receipt --------------------------------------------------------


def test_the_team_sees_a_rewards_receipts_and_hands_them_over(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    member = signed_in(client.application, cafe.member)
    for _ in range(2):
        redeem(member, cafe.coffee, cafe.membership)
    first, second = session.scalars(
        select(Redemption).where(Redemption.reward_id == cafe.coffee.id).order_by(Redemption.id)
    ).all()

    log_in(client, cafe.owner.email)
    listing = f"/rewards/{cafe.coffee.id}/redemptions"
    shown = text_of(client.get(listing))
    assert "Ada Member" in shown and f"Mark #{first.id} as handed over" in shown
    response = post(client, f"/receipts/{first.id}/fulfil?next={listing}", listing, {})
    assert response.status_code == 303 and response.headers["Location"].endswith(listing)
    response = post(
        client, f"/receipts/{second.id}/cancel?next={listing}", listing, {"reason": "Sold out"}
    )
    assert response.status_code == 303
    session.expire_all()
    assert first.status == RedemptionStatus.FULFILLED
    assert second.status == RedemptionStatus.CANCELLED
    shown = text_of(client.get(listing))
    assert "Handed over" in shown and "cancelled: Sold out" in shown
    assert "Mark #" not in shown
    receipt = text_of(member.get(f"/receipts/{first.id}"))
    assert "Handed over" in receipt and "Mark as handed over" not in receipt


def test_the_receipt_page_offers_the_team_to_hand_it_over(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    log_in(client, cafe.member.email)
    receipt = redeem(client, cafe.coffee, cafe.membership)
    path = receipt.headers["Location"]
    team = signed_in(client.application, cafe.owner)
    shown = text_of(team.get(path))
    assert "Mark as handed over" in shown and "Cancel and refund" in shown
    response = post(team, f"{path}/fulfil", path, {})
    assert response.status_code == 303
    assert "Handed over" in text_of(team.get(path))


# --- A shop's receipts ------------------------------------------------------------------------


def test_receipts_filter_by_reward_status_and_period_and_are_fulfilled(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 1000)
    for reward in (cafe.coffee, cafe.cake):
        member = app.test_client()
        log_in(member, cafe.member.email)
        redeem(member, reward, cafe.membership, quantity=1)
    coffee = session.scalars(select(Redemption).where(Redemption.reward_id == cafe.coffee.id)).one()
    log_in(client, cafe.owner.email)
    listing = f"/shops/{cafe.shop.id}/redemptions"
    everything = text_of(client.get(listing))
    assert "Free coffee" in everything and "Cake" in everything
    assert "Mark #" in everything and "as handed over" in everything
    assert "Handed over #" not in everything and "Cancel and refund #" in everything
    only_coffee = text_of(client.get(f"{listing}?reward_id={cafe.coffee.id}"))
    assert f"#{coffee.id}</a> · Free coffee" in only_coffee and "</a> · Cake" not in only_coffee
    today = clock_now().date()
    assert "No receipts for these filters." in text_of(
        client.get(f"{listing}?until={today - timedelta(days=2)}")
    )
    assert "Free coffee" in text_of(client.get(f"{listing}?since={today}&until={today}"))
    assert client.get(f"{listing}?since=garbage").status_code == 422

    response = post(client, f"/receipts/{coffee.id}/fulfil?next={listing}", listing, {})
    assert response.status_code == 303 and response.headers["Location"] == listing
    session.refresh(coffee)
    assert coffee.status == RedemptionStatus.FULFILLED
    page = text_of(client.get(listing))
    assert f"Receipt {coffee.id} is marked as handed over." in page
    handed = text_of(client.get(f"{listing}?status=fulfilled"))
    assert "Free coffee" in handed and "</a> · Cake" not in handed


def test_a_cancelled_receipt_cannot_be_handed_over(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    member = signed_in(app, cafe.member)
    redeem(member, cafe.coffee, cafe.membership, quantity=1)
    receipt = session.scalars(select(Redemption)).one()
    session.execute(
        update(Redemption)
        .where(Redemption.id == receipt.id)
        .values(status=RedemptionStatus.CANCELLED)
    )
    log_in(client, cafe.owner.email)
    listing = f"/shops/{cafe.shop.id}/redemptions"
    response = post(client, f"/receipts/{receipt.id}/fulfil?next={listing}", listing, {})
    assert response.status_code == 303
    assert "This redemption was cancelled." in text_of(client.get(listing))


def test_a_member_may_not_fulfil_their_own_receipt(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    log_in(client, cafe.member.email)
    redeem(client, cafe.coffee, cafe.membership, quantity=1)
    receipt = session.scalars(select(Redemption)).one()
    response = post(client, f"/receipts/{receipt.id}/fulfil", "/", {})
    assert response.status_code == 403  # theirs to see, not to hand over (as the API)
    session.refresh(receipt)
    assert receipt.status == RedemptionStatus.ISSUED
    assert client.get(f"/shops/{cafe.shop.id}/redemptions").status_code == 403


# --- My receipts ------------------------------------------------------------------------------


def test_my_receipts_by_shop_and_period_a_page_at_a_time(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    elsewhere = make_shop(session, cafe.owner, name="Bakery")
    bread = make_reward(session, elsewhere, name="Bread", cost=1)
    bakery_card = make_membership(session, make_program(session, elsewhere), cafe.member)
    give_points(session, bakery_card, 100)
    give_points(session, cafe.membership, 1000)
    cafe.coffee.quantity = None
    session.flush()
    log_in(client, cafe.member.email)
    bread_page = f"/rewards/{bread.id}"
    post(client, f"{bread_page}/redeem", bread_page, {"membership_id": bakery_card.id})
    old = session.scalars(select(Redemption).where(Redemption.reward_id == bread.id)).one()
    old.created_at = datetime.now(UTC) - timedelta(days=40)
    session.flush()
    for _ in range(22):
        redeem(client, cafe.coffee, cafe.membership)

    first = text_of(client.get("/receipts"))
    assert first.count("Free coffee</a>") == 20 and "Older receipts" in first
    more = re.search(r'href="(/receipts\?cursor=[^"]+)"', first)
    assert more
    second = text_of(client.get(more.group(1).replace("&amp;", "&")))
    assert second.count("Free coffee</a>") == 2 and "Bread" in second
    bakery = text_of(client.get(f"/receipts?shop_id={elsewhere.id}"))
    assert "Bread" in bakery and "Free coffee</a>" not in bakery
    since = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    recent = text_of(client.get(f"/receipts?since={since}"))
    assert "Bread" not in recent
    assert "No receipts for these filters." in text_of(
        client.get(f"/receipts?shop_id={elsewhere.id}&since={since}")
    )


def test_my_receipts_filter_by_shop_and_period(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    other_shop = make_shop(session, cafe.owner, name="Bakery")
    bread = make_reward(session, other_shop, name="Bread", cost=1)
    other = make_membership(session, make_program(session, other_shop), cafe.member)
    give_points(session, other, 10)
    log_in(client, cafe.member.email)
    for reward, membership in ((cafe.coffee, cafe.membership), (bread, other)):
        redeem(client, reward, membership, quantity=1)
    everything = text_of(client.get("/receipts"))
    assert "Free coffee" in everything and "Bread" in everything
    only_bakery = text_of(client.get(f"/receipts?shop_id={other_shop.id}"))
    assert "Bread" in only_bakery and "Free coffee" not in only_bakery
    assert "No receipts" in text_of(client.get("/receipts?until=2000-01-01"))
    assert client.get("/receipts?since=garbage").status_code == 422


# --- Cancelling asks first --------------------------------------------------------------------


def test_cancelling_a_receipt_asks_for_confirmation_first(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    member = signed_in(client.application, cafe.member)
    redeem(member, cafe.coffee, cafe.membership)
    receipt = session.scalars(select(Redemption)).one()
    log_in(client, cafe.owner.email)
    listing = f"/shops/{cafe.shop.id}/redemptions"
    shown = text_of(client.get(listing))
    confirm = f"/receipts/{receipt.id}/cancel?next={listing}"
    assert f'href="/receipts/{receipt.id}/cancel?next=' in shown
    assert f'action="/receipts/{receipt.id}/cancel' not in shown  # no one-click cancelling
    page = text_of(client.get(confirm))
    assert f"Cancel receipt #{receipt.id}?" in page and "Ada Member" in page
    assert "Its 12 points go back to the member" in page
    assert "Go back without changing anything" in page
    session.refresh(receipt)
    assert receipt.status == RedemptionStatus.ISSUED  # looking changes nothing
    response = post(client, confirm, confirm, {"reason": "Machine broken"})
    assert response.status_code == 303 and response.headers["Location"] == listing
    session.refresh(receipt)
    assert receipt.status == RedemptionStatus.CANCELLED
    assert "already cancelled" in text_of(client.get(confirm))
    # Only the team: the member may not even look at the confirmation.
    assert member.get(f"/receipts/{receipt.id}/cancel").status_code == 403


def test_the_receipt_page_links_to_the_cancel_confirmation(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    give_points(session, cafe.membership, 100)
    log_in(client, cafe.member.email)
    path = redeem(client, cafe.coffee, cafe.membership).headers["Location"]
    team = signed_in(client.application, cafe.owner)
    shown = text_of(team.get(path))
    assert f'href="{path}/cancel"' in shown and "Cancel and refund…" in shown
