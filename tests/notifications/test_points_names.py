"""Notifications count a program's points in its own names ("1 star", "5 stars"), in the
recipient's language, through the templates' one filter, ``{{ amount | points }}``; a shop's
own template may use it too."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.notifications import delivering, rendering
from stampbook.notifications.kinds import KINDS
from stampbook.notifications.models import Delivery, Notification, Preference
from stampbook.programs.models import Membership, Program
from stampbook.shops.models import Shop
from tests.factories.accounts import auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task
from tests.notifications.test_email import Inbox, _parts, smtp  # noqa: F401 (fixture)

STARS = {"points_currency_singular": "star", "points_currency_plural": "stars"}
ESTRELLAS = {"points_currency_singular": "estrella", "points_currency_plural": "estrellas"}


def _member(session: Session, language: str = "en", **names: str) -> tuple[User, Membership]:
    """Ada, in a program of Café Luna where members stamp themselves."""
    owner, member = make_user(session), make_user(session, name="Ada", language=language)
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(session, shop, name="Coffee card", stamp_system_type="self", **names)
    return member, make_membership(session, program, member)


def _program(session: Session, membership: Membership) -> Program:
    return session.get_one(Program, membership.program_id)


def _stamp(
    client: FlaskClient, session: Session, member: User, membership: Membership, points: int
) -> None:
    task = make_task(session, _program(session, membership), point_value=points)
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": membership.id},
        headers=auth(session, member),
    )
    assert response.status_code == 201, response.json


def _notices(session: Session, user_id: int) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
            .execution_options(populate_existing=True)
        )
    )


def test_a_notice_counts_the_programs_stars_one_and_several(
    client: FlaskClient, session: Session
) -> None:
    member, membership = _member(session, **STARS)
    _stamp(client, session, member, membership, 1)
    [notice] = _notices(session, member.id)
    assert notice.title == "You earned 1 star in Café Luna"
    assert notice.body == "Coffee card: your balance is 1 star."
    _stamp(client, session, member, membership, 4)  # within the minute: the same notice
    [notice] = _notices(session, member.id)
    assert notice.title == "You earned 5 stars in Café Luna"
    listed = client.get("/api/v1/notifications", headers=auth(session, member)).json
    assert listed["items"][0]["title"] == "You earned 5 stars in Café Luna"
    assert listed["items"][0]["body"] == "Coffee card: your balance is 5 stars."


def test_the_points_email_body_counts_stars(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    member, membership = _member(session, **STARS)
    session.add(Preference(user_id=member.id, kind="points_earned", channel="email", enabled=True))
    session.flush()
    _stamp(client, session, member, membership, 5)
    [delivery] = session.scalars(select(Delivery).where(Delivery.user_id == member.id)).all()
    with app.app_context():
        g._db_session = session
        message = delivering.outgoing(delivery)
    assert message is not None
    assert message.subject == "You earned 5 stars in Café Luna"
    assert "You earned 5 stars in Coffee card at Café Luna. Your balance is 5 stars." in (
        message.text
    )
    assert message.html is not None and "Your balance is 5 stars." in message.html


def test_the_receipt_email_says_its_price_in_the_paying_programs_stars(
    client: FlaskClient,
    session: Session,
    smtp: tuple[Inbox, Controller],  # noqa: F811
) -> None:
    inbox, _controller = smtp
    member, membership = _member(session, **STARS)
    give_points(session, membership, 20)
    reward = make_reward(
        session,
        session.get_one(Shop, _program(session, membership).shop_id),
        name="Free coffee",
        cost=12,
    )
    response = client.post(
        f"/api/v1/rewards/{reward.id}/redemptions",
        json={"membership_id": membership.id},
        headers=auth(session, member),
    )
    assert response.status_code == 201, response.json
    [message] = inbox.messages
    text = _parts(message)["text/plain"]
    assert "You redeemed 1 \u00d7 Free coffee at Café Luna for 12 stars." in text


@pytest.mark.parametrize(
    ("names", "title", "body"),
    [
        ({}, "Ganaste 3 puntos en Café Luna", "Coffee card: tu saldo es 3 puntos."),
        (ESTRELLAS, "Ganaste 3 estrellas en Café Luna", "Coffee card: tu saldo es 3 estrellas."),
    ],
)
def test_in_spanish_the_default_says_puntos(
    client: FlaskClient, session: Session, names: dict[str, str], title: str, body: str
) -> None:
    member, membership = _member(session, "es", **names)
    _stamp(client, session, member, membership, 3)
    [notice] = _notices(session, member.id)
    assert (notice.title, notice.body) == (title, body)


def test_a_shops_own_template_says_points_with_the_filter(app_context: None) -> None:
    sample = KINDS["points_earned"].sample
    own = rendering.Template("{{ amount | points }} for you", "Balance: {{ balance | points }}")
    assert rendering.check(own, sample) == rendering.Rendered(
        "10 points for you", "Balance: 42 points"
    )
    starred = {**sample, "points_name": "star", "points_name_plural": "stars", "amount": 1}
    assert rendering.render(own, starred).subject == "1 star for you"
    spanish = rendering.Template("{{ amount | points }}", "{{ balance | points }}", "es")
    assert rendering.render(spanish, sample) == rendering.Rendered("10 puntos", "42 puntos")
    before = {k: v for k, v in sample.items() if not k.startswith("points_name")}
    assert rendering.render(own, before).subject == "10 points for you"  # values of old notices
    with pytest.raises(rendering.TemplateRefused):
        rendering.check(rendering.Template("{{ shop_name | points }}", ""), sample)
