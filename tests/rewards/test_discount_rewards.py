"""Discount rewards: a reward's kind and value through the API (checked with clear codes) and
the reward form, and a receipt's code in the API and on its page (once issued). Making the code
in a store is tested in tests/flows/test_discount_codes.py."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.loyalty.models import Integration
from stampbook.rewards.models import Redemption, Reward, RewardChange
from tests.factories.accounts import auth
from tests.factories.ledger import give_points
from tests.factories.programs import make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import Team, make_team
from tests.pages import Cafe, help_of, log_in, post, redeem, text_of

AMOUNT = {"name": "5 off", "cost": 30, "kind": "discount_amount", "discount_amount": "5.00"}


@pytest.fixture
def team(session: Session) -> Team:
    return make_team(session)


def create(client: FlaskClient, session: Session, team: Team, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/shops/{team.shop.id}/rewards", json=body, headers=auth(session, team.manager)
    )


def patch(client: FlaskClient, session: Session, team: Team, reward_id: int, body: Any) -> Any:
    return client.patch(
        f"/api/v1/rewards/{reward_id}", json=body, headers=auth(session, team.manager)
    )


# --- A reward's kind and value --------------------------------------------------------------


def test_a_discount_of_an_amount_in_the_programs_currency(
    client: FlaskClient, session: Session, team: Team
) -> None:
    response = create(client, session, team, AMOUNT)

    assert response.status_code == 201, response.json
    assert {k: response.json[k] for k in AMOUNT} == AMOUNT
    assert response.json["discount_currency"] == "USD"
    assert response.json["discount_percent"] is None
    reward = session.get(Reward, response.json["id"])
    assert reward is not None
    assert (reward.discount_minor, reward.discount_currency) == (500, "USD")


def test_the_default_currency_is_the_connected_stores_then_the_first_programs(
    client: FlaskClient, session: Session, team: Team
) -> None:
    team.program.currency = "JPY"
    euros = make_program(session, team.shop, currency="EUR")
    session.flush()
    assert create(client, session, team, AMOUNT).json["discount_currency"] == "JPY"
    session.add(
        Integration(
            shop_id=team.shop.id,
            shop_domain="corner-cafe.myshopify.com",
            secret="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",
            program_id=euros.id,
            created_by=team.creator.id,
        )
    )
    session.flush()

    response = create(client, session, team, {**AMOUNT, "discount_amount": "5.999"})

    assert (response.json["discount_currency"], response.json["discount_amount"]) == (
        "EUR",
        "5.99",  # cut to the minor unit, never rounded up
    )


def test_a_percentage_and_free_shipping(client: FlaskClient, session: Session, team: Team) -> None:
    percent = create(
        client,
        session,
        team,
        {"name": "15%", "cost": 40, "kind": "discount_percent", "discount_percent": 15},
    )
    shipping = create(client, session, team, {"name": "Ship", "cost": 20, "kind": "free_shipping"})
    custom = create(client, session, team, {"name": "Coffee", "cost": 10})

    assert (percent.status_code, percent.json["discount_percent"]) == (201, 15)
    assert (shipping.status_code, shipping.json["kind"]) == (201, "free_shipping")
    assert (custom.json["kind"], custom.json["discount_amount"]) == ("custom", None)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "discount_amount"},
        {"kind": "discount_amount", "discount_amount": "0"},
        {"kind": "discount_amount", "discount_amount": "-1"},
        {"kind": "discount_amount", "discount_amount": 5},
        {"kind": "discount_amount", "discount_amount": "5", "discount_percent": 10},
        {"kind": "discount_amount", "discount_amount": "5", "discount_currency": "XYZ"},
        {"kind": "discount_percent"},
        {"kind": "discount_percent", "discount_percent": 0},
        {"kind": "discount_percent", "discount_percent": 101},
        {"kind": "discount_percent", "discount_percent": 10, "discount_amount": "5"},
        {"kind": "free_shipping", "discount_percent": 10},
        {"discount_amount": "5.00"},
        {"discount_currency": "USD"},
        {"kind": "coupon"},
        {"kind": "free_shipping", "is_group_reward": True},
    ],
)
def test_a_kind_and_its_value_go_together(
    client: FlaskClient, session: Session, team: Team, body: dict[str, Any]
) -> None:
    response = create(client, session, team, {"name": "Off", "cost": 10, **body})

    assert response.status_code == 422, response.json
    assert response.json["code"] == "validation_failed"


def test_an_amount_below_the_currencys_minor_unit_is_refused(
    client: FlaskClient, session: Session, team: Team
) -> None:
    response = create(client, session, team, {**AMOUNT, "discount_amount": "0.004"})

    assert response.status_code == 409
    assert response.json["code"] == "amount_below_minor_unit"
    assert "USD" in response.json["detail"]


def test_an_edit_leaves_the_reward_with_its_kinds_fields_and_records_each(
    client: FlaskClient, session: Session, team: Team
) -> None:
    reward_id = create(client, session, team, AMOUNT).json["id"]

    wrong = patch(
        client, session, team, reward_id, {"kind": "discount_percent", "discount_percent": 20}
    )
    grouped = patch(client, session, team, reward_id, {"is_group_reward": True})
    changed = patch(
        client,
        session,
        team,
        reward_id,
        {"kind": "discount_percent", "discount_percent": 20, "discount_amount": None},
    )
    back = patch(client, session, team, reward_id, {"kind": "custom", "discount_percent": None})

    assert (wrong.status_code, wrong.json["code"]) == (409, "discount_fields")
    assert "no discount_amount" in wrong.json["detail"]
    assert (grouped.status_code, grouped.json["code"]) == (409, "discount_group_reward")
    assert changed.status_code == 200, changed.json
    assert (changed.json["kind"], changed.json["discount_percent"]) == ("discount_percent", 20)
    assert (changed.json["discount_amount"], changed.json["discount_currency"]) == (None, None)
    assert back.status_code == 200 and back.json["kind"] == "custom"
    history = [
        (c.field, c.old_value, c.new_value)
        for c in session.scalars(
            select(RewardChange)
            .where(RewardChange.reward_id == reward_id)
            .order_by(RewardChange.id)
        )
    ]
    assert history == [
        ("kind", "discount_amount", "discount_percent"),
        ("discount_amount", "5.00", None),
        ("discount_currency", "USD", None),
        ("discount_percent", None, 20),
        ("kind", "discount_percent", "custom"),
        ("discount_percent", 20, None),
    ]


# --- Redeeming and the receipt's code -------------------------------------------------------


def test_a_receipt_shows_its_code_once_issued_and_keeps_the_discount(
    client: FlaskClient, session: Session, team: Team
) -> None:
    """No store connected: the code is issued at once, for the team to honour."""
    reward = make_reward(
        session,
        team.shop,
        cost=30,
        kind="discount_amount",
        discount_minor=500,
        discount_currency="USD",
    )
    membership = team.memberships["member"]
    give_points(session, membership, 100)
    headers = auth(session, team.member)

    answer = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": membership.id},
        headers=headers,
    )
    reward.discount_minor = 900  # later edits change no receipt
    session.flush()
    receipt = client.get(f"/api/v1/redemptions/{answer.json['id']}", headers=headers).json

    assert (answer.json["discount_status"], answer.json["discount_code"]) == ("pending", None)
    assert receipt["discount_status"] == "issued"
    assert len(receipt["discount_code"]) == 12
    content = receipt["reward_content"]
    assert (content["kind"], content["discount_amount"], content["discount_currency"]) == (
        "discount_amount",
        "5.00",
        "USD",
    )
    mine = client.get("/api/v1/redemptions", headers=headers).json["items"]
    assert [r["discount_code"] for r in mine] == [receipt["discount_code"]]
    team_view = client.get(
        f"/api/v1/shops/{team.shop.id}/redemptions", headers=auth(session, team.manager)
    ).json["items"]
    assert team_view[0]["discount_code"] == receipt["discount_code"]


def test_a_pending_code_is_not_shown(client: FlaskClient, session: Session, team: Team) -> None:
    reward = make_reward(session, team.shop, cost=1, kind="free_shipping")
    membership = team.memberships["member"]
    receipt = Redemption(
        shop_id=team.shop.id,
        reward_id=reward.id,
        user_id=team.member.id,
        paid_by_membership_id=membership.id,
        paid_by_user_id=team.member.id,
        points_paid=0,
        reward_content={"id": reward.id, "name": "Ship", "cost": 1, "kind": "free_shipping"},
        discount_code="KX7MPA4TQWC9",
        discount_status="pending",
    )
    session.add(receipt)
    session.flush()

    shown = client.get(f"/api/v1/redemptions/{receipt.id}", headers=auth(session, team.member))

    assert (shown.json["discount_status"], shown.json["discount_code"]) == ("pending", None)
    assert "KX7MPA4TQWC9" not in text_of(shown)


def test_a_discount_is_redeemed_one_at_a_time(
    client: FlaskClient, session: Session, team: Team
) -> None:
    reward = make_reward(session, team.shop, cost=1, kind="free_shipping")
    membership = team.memberships["member"]
    give_points(session, membership, 10)

    response = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": membership.id, "quantity": 2},
        headers=auth(session, team.member),
    )

    assert (response.status_code, response.json["code"]) == (409, "discount_quantity")


# --- Pages ----------------------------------------------------------------------------------


def test_the_team_makes_a_discount_reward_on_its_form(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    form_page = f"/shops/{cafe.shop.id}/rewards/new"
    assert "What it gives" in text_of(client.get(form_page))

    missing = post(
        client, form_page, form_page, {"name": "Off", "cost": "30", "kind": "discount_amount"}
    )
    made = post(
        client,
        form_page,
        form_page,
        {
            "name": "Off",
            "cost": "30",
            "kind": "discount_amount",
            "discount_amount": "7.50",
            "discount_percent": "12",  # another kind's: not sent
        },
    )

    assert missing.status_code == 422
    assert "Fill this in." in help_of(text_of(missing), "discount_amount")
    assert made.status_code in (302, 303), text_of(made)
    reward = session.scalars(select(Reward).where(Reward.name == "Off")).one()
    assert (reward.kind, reward.discount_minor, reward.discount_percent) == (
        "discount_amount",
        750,
        None,
    )
    edit = text_of(client.get(f"/rewards/{reward.id}/edit"))
    assert 'value="7.50"' in edit
    shown = text_of(client.get(f"/rewards/{reward.id}"))
    assert "$7.50 off your next online order" in shown


def test_the_receipt_page_shows_the_code_in_the_readers_language(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    reward = make_reward(
        session,
        cafe.shop,
        name="Descuento",
        cost=10,
        kind="discount_percent",
        discount_percent=15,
    )
    give_points(session, cafe.membership, 50)
    log_in(client, cafe.member.email)
    response = redeem(client, reward, cafe.membership)
    assert response.status_code == 303, text_of(response)
    receipt = session.scalars(select(Redemption)).one()

    english = text_of(client.get(response.headers["Location"]))
    spanish = text_of(client.get(response.headers["Location"], headers={"Accept-Language": "es"}))

    assert receipt.discount_code is not None and receipt.discount_code in english
    assert "15% off your next online order" in english
    assert "Use this code once at checkout:" in english
    assert "15 % de descuento en tu próximo pedido en línea" in spanish
    assert "Usa este código una vez al pagar:" in spanish
    assert receipt.discount_code in spanish
