"""The shop team's API keys page: a new key's secret shown once with its warning, the list
(never a secret), revoking with a CSRF-protected button; others refused; in English and
Spanish."""

from __future__ import annotations

import hashlib
import re

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from stampbook.apikeys.models import ApiKey
from tests.factories.accounts import make_user
from tests.factories.apikeys import make_api_key
from tests.factories.shops import make_role
from tests.pages import (
    EVIL,
    PAGE_BUDGET,
    Cafe,
    assert_escaped,
    error_next_to,
    log_in,
    post,
    statement_counts,
    text_of,
)

SECRET = re.compile(r"sk_[A-Za-z0-9_-]{43}")


def test_a_new_key_is_shown_once_with_a_warning(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/api-keys"
    assert "No key yet." in text_of(client.get(page))
    made = post(client, page, page, {"name": "Online store", "access": "write"})
    assert made.status_code == 200, text_of(made)
    assert made.headers["Cache-Control"] == "no-store"
    shown = text_of(made)
    secret = SECRET.search(shown)
    assert secret is not None, shown
    assert "Copy it now: it will not be shown again." in shown
    key = session.scalars(select(ApiKey)).one()
    assert key.secret_hash == hashlib.sha256(secret.group(0).encode()).hexdigest()
    assert (key.name, key.scopes, key.created_by) == (
        "Online store",
        ["read", "write"],
        cafe.owner.id,
    )
    # The form below is empty again, and the list names the key by its first characters.
    assert 'value="Online store"' not in shown.split('id="add-title"')[1]
    again = text_of(client.get(page))
    assert SECRET.search(again) is None
    assert "it will not be shown again" not in again
    assert key.prefix in again and "Read and write" in again and "never used" in again


def test_a_bad_name_is_said_next_to_it_and_nothing_saved(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/api-keys"
    refused = post(client, page, page, {"name": "   ", "access": "read"})
    assert refused.status_code == 422
    assert error_next_to(text_of(refused), "name", "")
    refused = post(client, page, page, {"name": "Store", "access": "admin"})
    assert refused.status_code == 422
    assert session.scalars(select(ApiKey)).all() == []


def test_revoking_a_key(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    _secret, key = make_api_key(session, cafe.shop, name="Till")
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/api-keys"
    assert "Revoke “Till”" in text_of(client.get(page))
    done = post(client, f"/api-keys/{key.id}/revoke", page, {})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(page)
    session.refresh(key)
    assert key.revoked_at is not None
    shown = text_of(client.get(page))
    assert "is revoked: it is refused from now on." in shown
    assert "Revoked on" in shown and "Revoke “Till”" not in shown
    # Without the form's CSRF token, nothing happens.
    assert client.post(f"/api-keys/{key.id}/revoke").status_code == 400


def test_the_shop_page_and_the_team_page_lead_to_it(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    link = f'href="/shops/{cafe.shop.id}/api-keys"'
    assert link in text_of(client.get(f"/shops/{cafe.shop.id}"))
    assert link in text_of(client.get(f"/shops/{cafe.shop.id}/team"))


def test_a_member_and_an_assistant_may_not_see_the_page(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    _secret, key = make_api_key(session, cafe.shop)
    assistant = make_user(session)
    make_role(session, cafe.shop, assistant, "assistant")
    for who in (cafe.member, assistant):
        browser = client.application.test_client()
        log_in(browser, who.email)
        page = browser.get(f"/shops/{cafe.shop.id}/api-keys")
        assert page.status_code == 403
        assert f"/shops/{cafe.shop.id}/api-keys" not in text_of(
            browser.get(f"/shops/{cafe.shop.id}")
        )
        shop_page = f"/shops/{cafe.shop.id}"
        assert post(browser, f"/api-keys/{key.id}/revoke", shop_page, {}).status_code == 403
    session.refresh(key)
    assert key.revoked_at is None


def test_a_manager_may(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    manager = make_user(session)
    make_role(session, cafe.shop, manager, "manager")
    log_in(client, manager.email)
    page = f"/shops/{cafe.shop.id}/api-keys"
    made = post(client, page, page, {"name": "Reports", "access": "read"})
    assert made.status_code == 200
    key = session.scalars(select(ApiKey)).one()
    assert (key.created_by, key.scopes) == (manager.id, ["read"])


def test_the_page_in_spanish_escapes_what_the_team_wrote(
    client: FlaskClient, session: Session, cafe: Cafe, engine: Engine
) -> None:
    make_api_key(session, cafe.shop, name=EVIL)
    log_in(client, cafe.owner.email)
    paths = [f"/shops/{cafe.shop.id}/api-keys"]
    assert_escaped(client, paths)
    assert all(n <= PAGE_BUDGET for n in statement_counts(client, engine, paths).values())
    spanish = text_of(client.get(paths[0], headers={"Accept-Language": "es"}))
    assert "Claves de API de Corner Café" in spanish
    made = client.post(
        paths[0],
        data={
            "name": "Tienda",
            "access": "read",
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', spanish).group(1),  # type: ignore[union-attr]
        },
        headers={"Accept-Language": "es"},
    )
    assert "Cópiala ahora: no se volverá a mostrar." in text_of(made)
