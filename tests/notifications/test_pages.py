"""Notifications' pages: the centre with its header badge, my notification settings, a
shop's template editor with its preview, the unsubscribe page; in English and Spanish."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from stampbook.notifications.models import MarketingConsent, Notification, Preference
from tests.factories.notifications import make_notification
from tests.pages import PAGE_BUDGET, Cafe, csrf_token, log_in, post, text_of
from tests.querycount import count_statements

SPANISH = {"Accept-Language": "es"}


def _earned(session: Session, cafe: Cafe, amount: int, **fields: object) -> Notification:
    return make_notification(
        session,
        cafe.member,
        kind="points_earned",
        shop_id=cafe.shop.id,
        title=f"You earned {amount} points in Corner Café",
        body="Coffee card",
        context={
            "amount": amount,
            "balance": 40,
            "shop_name": "Corner Café",
            "program_name": "Coffee card",
            "user_name": "Ada",
        },
        **fields,
    )


def _badge(page: str) -> str | None:
    found = re.search(r"data-unread-notifications>(\d+)<", page)
    return found.group(1) if found else None


def test_the_centre_and_its_badge_in_english_and_spanish(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    _earned(session, cafe, 10)
    _earned(session, cafe, 5)
    log_in(client, cafe.member.email)
    page = text_of(client.get("/notifications"))
    assert "You earned 10 points in Corner Café" in page
    assert "2 unread notifications." in page
    assert _badge(text_of(client.get("/"))) == "2"
    spanish = text_of(client.get("/notifications", headers=SPANISH))
    assert "Ganaste 10 puntos en Corner Café" in spanish
    assert "2 notificaciones sin leer." in spanish
    assert "Marcar todo como leído" in spanish


def test_marking_read_from_the_page(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    first = _earned(session, cafe, 10)
    _earned(session, cafe, 5)
    log_in(client, cafe.member.email)
    answer = post(client, f"/notifications/{first.id}/read", "/notifications", {})
    assert answer.status_code == 303
    assert _badge(text_of(client.get("/notifications"))) == "1"
    post(client, "/notifications/read-all", "/notifications", {})
    assert _badge(text_of(client.get("/notifications"))) is None


def test_the_badge_costs_no_statement_of_its_own(
    app: Flask, client: FlaskClient, session: Session, engine: Engine, cafe: Cafe
) -> None:
    """The unread count and the invitations' count are one query."""
    _earned(session, cafe, 10)
    log_in(client, cafe.member.email)
    for path in ("/", "/notifications", "/account", f"/shops/{cafe.shop.id}"):
        with count_statements(engine) as statements:
            assert client.get(path).status_code == 200
        assert statements.count <= PAGE_BUDGET, (path, statements.count)
        invitations = [s for s in statements if "shop_invitations" in s]
        assert len(invitations) <= 1 + (path == "/"), (path, invitations)


def test_my_notification_settings_save_and_read_in_spanish(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account/notifications", headers=SPANISH))
    assert "Qué notificaciones te llegan y cómo" in page
    assert "Aceptar novedades de Corner Café" in page
    form = {
        "on": ["points_earned:in_app", "points_earned:email"],
        "consent": [str(cafe.shop.id)],
        "language": "es",
    }
    answer = post(client, "/account/notifications", "/account/notifications", form)
    assert answer.status_code == 303
    emailed = session.scalar(
        select(Preference.enabled).where(
            Preference.user_id == cafe.member.id,
            Preference.kind == "points_earned",
            Preference.channel == "email",
        )
    )
    assert emailed is True
    assert (
        session.scalar(
            select(func.count(MarketingConsent.id)).where(
                MarketingConsent.user_id == cafe.member.id
            )
        )
        == 1
    )
    session.refresh(cafe.member)
    assert cafe.member.language == "es"


def test_the_template_editor_previews_saves_and_refuses(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    listing = f"/shops/{cafe.shop.id}/notification-templates"
    assert "Plantillas de notificación" in text_of(client.get(listing, headers=SPANISH))
    editor = f"{listing}/redemption_receipt/email/es"
    page = text_of(client.get(editor))
    assert "Tu recibo de Free coffee en Café Luna" in page  # the sample, rendered
    assert "notification_preview.js" in page
    token = csrf_token(client, editor)
    preview = client.post(
        f"{editor}/preview",
        data={"csrf_token": token, "subject": "Hola {{ user_name }}", "body": "x"},
    )
    assert "Hola Ada" in text_of(preview)
    unsafe = client.post(
        editor,
        data={"csrf_token": token, "subject": "Hi", "body": "{{ ''.__class__.__mro__ }}"},
    )
    assert unsafe.status_code == 409
    assert "may not use" in text_of(unsafe)
    saved = client.post(
        editor, data={"csrf_token": token, "subject": "Gracias", "body": "{{ reward_name }}"}
    )
    assert saved.status_code == 303
    assert "texto propio" in text_of(client.get(listing, headers=SPANISH))


def test_the_unsubscribe_page_asks_first_and_a_bad_link_is_a_400_page(
    app: Flask, client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    from stampbook.notifications.links import unsubscribe_token

    with app.app_context():
        token = unsubscribe_token(cafe.member.id, cafe.shop.id, "shop_news")
    page = client.get(f"/unsubscribe/{token}", headers=SPANISH)
    assert page.status_code == 200
    assert "¿Dejar de recibir novedades de Corner Café" in text_of(page)
    bad = client.get(f"/unsubscribe/{token[:-2]}xx", headers=SPANISH)
    assert bad.status_code == 400
    assert "no es válido" in text_of(bad)
