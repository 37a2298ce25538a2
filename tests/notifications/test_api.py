"""The notifications API: my centre, my preferences, a shop's templates; bad input is a
clear problem+json with nothing saved."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.notifications.models import Preference, TemplateOverride
from tests.factories.accounts import auth, make_user
from tests.factories.notifications import make_notification
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_role, make_shop


def test_my_centre_newest_first_with_an_unread_filter_and_count(
    client: FlaskClient, session: Session
) -> None:
    me, other = make_user(session), make_user(session)
    first = make_notification(session, me, title="First")
    second = make_notification(session, me, title="Second")
    make_notification(session, other, title="Not mine")
    headers = auth(session, me)
    page = client.get("/api/v1/notifications", headers=headers).json
    assert [n["title"] for n in page["items"]] == ["Second", "First"]
    assert page["unread_count"] == 2
    read = client.post(f"/api/v1/notifications/{first.id}/read", headers=headers)
    assert read.status_code == 200 and read.json["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).json
    assert [n["id"] for n in unread["items"]] == [second.id]
    assert unread["unread_count"] == 1
    paged = client.get("/api/v1/notifications?limit=1", headers=headers).json
    assert paged["next_cursor"]
    assert client.post("/api/v1/notifications/read-all", headers=headers).json == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=headers).json["unread_count"] == 0


def test_someone_elses_notification_is_not_found(client: FlaskClient, session: Session) -> None:
    me, other = make_user(session), make_user(session)
    theirs = make_notification(session, other)
    response = client.post(f"/api/v1/notifications/{theirs.id}/read", headers=auth(session, me))
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    assert response.mimetype == "application/problem+json"


def test_preferences_with_defaults_then_changed(client: FlaskClient, session: Session) -> None:
    me = make_user(session)
    owner = make_user(session)
    shop = make_shop(session, owner, name="Café Luna")
    make_membership(session, make_program(session, shop), me)
    headers = auth(session, me)
    mine = client.get("/api/v1/users/me/notification-preferences", headers=headers).json
    by = {(p["kind"], p["channel"]): p["enabled"] for p in mine["preferences"]}
    assert by[("points_earned", "in_app")] is True
    assert by[("points_earned", "email")] is False
    assert by[("redemption_receipt", "email")] is True
    assert mine["consents"] == [{"shop_id": shop.id, "shop_name": "Café Luna", "consent": False}]
    assert mine["language"] == "en"
    changed = client.put(
        "/api/v1/users/me/notification-preferences",
        headers=headers,
        json={
            "preferences": [{"kind": "points_earned", "channel": "email", "enabled": True}],
            "consents": [{"shop_id": shop.id, "consent": True}],
            "language": "es",
        },
    )
    assert changed.status_code == 200, changed.json
    by = {(p["kind"], p["channel"]): p["enabled"] for p in changed.json["preferences"]}
    assert by[("points_earned", "email")] is True
    assert changed.json["consents"][0]["consent"] is True
    assert changed.json["language"] == "es"


def _preferences(session: Session, user_id: int) -> int:
    return (
        session.scalar(select(func.count(Preference.id)).where(Preference.user_id == user_id)) or 0
    )


def test_unknown_kinds_or_channels_are_refused_and_nothing_is_saved(
    client: FlaskClient, session: Session
) -> None:
    me = make_user(session)
    headers = auth(session, me)
    good = {"kind": "new_message", "channel": "email", "enabled": True}
    for bad in (
        {"kind": "nonsense", "channel": "email", "enabled": True},
        {"kind": "new_message", "channel": "pigeon", "enabled": True},
        {"kind": "new_message", "channel": "email", "enabled": "maybe"},
    ):
        response = client.put(
            "/api/v1/users/me/notification-preferences",
            headers=headers,
            json={"preferences": [good, bad]},
        )
        assert response.status_code == 422, response.json
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] == "validation_failed"
        assert response.json["errors"]
    assert _preferences(session, me.id) == 0


TEMPLATES = "/api/v1/shops/{}/notification-templates"


def _shop_with_manager(session: Session) -> tuple[int, dict[str, str], dict[str, str]]:
    owner, manager, assistant = make_user(session), make_user(session), make_user(session)
    shop = make_shop(session, owner, name="Café Luna")
    make_role(session, shop, manager, "manager")
    make_role(session, shop, assistant, "assistant")
    return shop.id, auth(session, manager), auth(session, assistant)


def test_a_manager_overrides_a_template_and_previews_it(
    client: FlaskClient, session: Session
) -> None:
    shop_id, manager, assistant = _shop_with_manager(session)
    listed = client.get(TEMPLATES.format(shop_id), headers=manager).json["items"]
    assert {"kind": "redemption_receipt", "channel": "email", "language": "es"} in [
        {k: t[k] for k in ("kind", "channel", "language")} for t in listed
    ]
    url = TEMPLATES.format(shop_id) + "/redemption_receipt/email/es"
    body = {"subject": "¡Gracias, {{ user_name }}!", "body": "{{ reward_name }} te espera."}
    saved = client.put(url, headers=manager, json=body)
    assert saved.status_code == 200, saved.json
    assert saved.json["overridden"] is True
    assert "reward_name" in saved.json["names"]
    preview = client.post(
        TEMPLATES.format(shop_id) + "/preview",
        headers=manager,
        json={"kind": "redemption_receipt", "channel": "email", "language": "es", **body},
    )
    assert preview.status_code == 200, preview.json
    assert preview.json["subject"] == "¡Gracias, Ada!"
    assert preview.json["text"] == "Free coffee te espera."
    assert "<p>Free coffee te espera.</p>" in preview.json["html"]
    assert client.put(url, headers=assistant, json=body).status_code == 403
    assert client.delete(url, headers=manager).status_code == 204
    assert client.get(url, headers=manager).json["overridden"] is False


def test_unsafe_or_broken_templates_are_refused_and_nothing_is_saved(
    client: FlaskClient, session: Session
) -> None:
    shop_id, manager, _assistant = _shop_with_manager(session)
    url = TEMPLATES.format(shop_id) + "/shop_news/email/en"
    for body, code in (
        ("{{ ''.__class__.__mro__ }}", "template_unsafe"),
        ("{{ config.SECRET_KEY }}", "template_unknown_name"),
        ("{% if %}", "template_invalid"),
    ):
        response = client.put(url, headers=manager, json={"subject": "News", "body": body})
        assert response.status_code == 409, response.json
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] == code
        assert response.json["detail"]
    count = session.scalar(select(func.count(TemplateOverride.id)))
    assert count == 0
    unknown = client.get(TEMPLATES.format(shop_id) + "/nonsense/email/en", headers=manager)
    assert unknown.status_code == 404
    assert (
        client.get(TEMPLATES.format(shop_id) + "/buddy_request/fax/en", headers=manager).status_code
        == 404
    )
