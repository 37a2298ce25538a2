"""A shop's chat webhook address: set, refused and cleared through the API and the shop's
settings page (in English and Spanish), checked by the SSRF guard when saved, and seen only
by those who edit the shop (whoever has it may post in the chat)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.core import egress
from stampbook.shops.models import Shop
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_role, make_shop
from tests.pages import Cafe, csrf_token, error_next_to, log_in, post, text_of

SLACK = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXX"
PUBLIC_ADDRESS = "34.200.80.1"  # what the tests' resolver answers for every name


@pytest.fixture(autouse=True)
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolve to a public address without asking real DNS (a third party)."""
    monkeypatch.setattr(egress, "resolve", lambda host, port: [PUBLIC_ADDRESS])


def patch_shop(client: FlaskClient, shop: Shop, headers: dict[str, str], **body: Any) -> Any:
    return client.patch(f"/api/v1/shops/{shop.id}", headers=headers, json=body)


def test_a_chat_address_is_saved_and_shown_to_those_who_edit_the_shop(
    client: FlaskClient, session: Session
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    manager, assistant, member = make_user(session), make_user(session), make_user(session)
    make_role(session, shop, manager, "manager")
    make_role(session, shop, assistant, "assistant")
    make_membership(session, make_program(session, shop), member)
    saved = patch_shop(client, shop, auth(session, manager), chat_webhook_url=SLACK)
    assert saved.status_code == 200, saved.json
    assert saved.json["chat_webhook_url"] == SLACK
    session.refresh(shop)
    assert shop.chat_webhook_url == SLACK
    path = f"/api/v1/shops/{shop.id}"
    assert client.get(path, headers=auth(session, owner)).json["chat_webhook_url"] == SLACK
    # A secret: the assistant, a member and a visitor see null.
    assert client.get(path, headers=auth(session, assistant)).json["chat_webhook_url"] is None
    assert client.get(path, headers=auth(session, member)).json["chat_webhook_url"] is None
    assert client.get(path).json["chat_webhook_url"] is None
    listed = client.get("/api/v1/shops").json["items"]
    assert [s["chat_webhook_url"] for s in listed if s["id"] == shop.id] == [None]


def test_only_those_who_edit_the_shop_may_set_it(client: FlaskClient, session: Session) -> None:
    shop = make_shop(session, make_user(session))
    assistant = make_user(session)
    make_role(session, shop, assistant, "assistant")
    refused = patch_shop(client, shop, auth(session, assistant), chat_webhook_url=SLACK)
    assert refused.status_code == 403
    session.refresh(shop)
    assert shop.chat_webhook_url is None


def test_a_new_shop_may_come_with_its_chat(client: FlaskClient, session: Session) -> None:
    headers = auth(session, make_user(session))
    made = client.post(
        "/api/v1/shops", headers=headers, json={"name": "Club", "chat_webhook_url": SLACK}
    )
    assert made.status_code == 201 and made.json["chat_webhook_url"] == SLACK


def test_null_disconnects_the_chat(client: FlaskClient, session: Session) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner, chat_webhook_url=SLACK)
    cleared = patch_shop(client, shop, auth(session, owner), chat_webhook_url=None)
    assert cleared.status_code == 200 and cleared.json["chat_webhook_url"] is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://chat.example.com/hook",
        "hooks.slack.com/services/x",
        "https://user:secret@hooks.slack.com/services/x",
        "",
        "https://" + "a" * 2000,
    ],
)
def test_what_is_not_a_web_address_is_refused(
    client: FlaskClient, session: Session, url: str
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    refused = patch_shop(client, shop, auth(session, owner), chat_webhook_url=url)
    assert refused.status_code == 422
    assert refused.json["code"] == "validation_failed"
    assert refused.json["errors"][0]["field"] == "chat_webhook_url"


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8080/hooks/x", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/hook", "::1"),
        ("http://2130706433/hook", "127.0.0.1"),
    ],
)
def test_the_ssrf_guard_refuses_a_private_address_when_saved(
    client: FlaskClient, session: Session, url: str, address: str
) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    refused = patch_shop(client, shop, auth(session, owner), chat_webhook_url=url)
    assert refused.status_code == egress.UrlNotAllowed.status
    assert refused.content_type == "application/problem+json"
    assert refused.json["code"] == "url_not_allowed"
    assert address in refused.json["detail"] and "private or reserved" in refused.json["detail"]
    session.refresh(shop)
    assert shop.chat_webhook_url is None


def test_a_name_resolving_to_a_private_address_is_refused(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(egress, "resolve", lambda host, port: ["10.0.0.7"])
    owner = make_user(session)
    shop = make_shop(session, owner)
    refused = patch_shop(client, shop, auth(session, owner), chat_webhook_url=SLACK)
    assert refused.status_code == egress.UrlNotAllowed.status
    assert "10.0.0.7" in refused.json["detail"]


def test_private_addresses_are_allowed_where_the_flag_is_set(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    owner = make_user(session)
    shop = make_shop(session, owner)
    url = "http://127.0.0.1:8065/hooks/mattermost"
    saved = patch_shop(client, shop, auth(session, owner), chat_webhook_url=url)
    assert saved.status_code == 200 and saved.json["chat_webhook_url"] == url


# --- The shop's settings page ---------------------------------------------------------------


def _edit(cafe: Cafe, **fields: str) -> dict[str, str]:
    return {"name": cafe.shop.name, "time_zone": "UTC", "privacy_mode": "public", **fields}


def test_the_settings_page_connects_and_disconnects_the_chat(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/edit"
    form = text_of(client.get(page))
    assert "Chat announcements" in form and 'for="chat_webhook_url"' in form
    assert "Send a test announcement" not in form  # nothing to test yet
    saved = post(client, page, page, _edit(cafe, chat_webhook_url=SLACK))
    assert saved.status_code == 302
    session.refresh(cafe.shop)
    assert cafe.shop.chat_webhook_url == SLACK
    form = text_of(client.get(page))
    assert f'value="{SLACK}"' in form and "Send a test announcement" in form
    post(client, page, page, _edit(cafe, chat_webhook_url=""))
    session.refresh(cafe.shop)
    assert cafe.shop.chat_webhook_url is None


def test_the_settings_page_says_why_an_address_is_refused_next_to_it(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/edit"
    refused = post(client, page, page, _edit(cafe, chat_webhook_url="http://192.168.1.5/hook"))
    assert refused.status_code == 422
    assert error_next_to(text_of(refused), "chat_webhook_url", "192.168.1.5")
    malformed = post(client, page, page, _edit(cafe, chat_webhook_url="hooks.slack.com/x"))
    assert malformed.status_code == 422
    assert error_next_to(text_of(malformed), "chat_webhook_url", "starting with https://")
    session.refresh(cafe.shop)
    assert cafe.shop.chat_webhook_url is None


def test_the_chat_fields_in_spanish(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    cafe.shop.chat_webhook_url = SLACK
    session.flush()
    log_in(client, cafe.owner.email)
    page = f"/shops/{cafe.shop.id}/edit"
    spanish = {"Accept-Language": "es"}
    form = text_of(client.get(page, headers=spanish))
    for english in ("Chat announcements", "Chat webhook address", "Send a test announcement"):
        assert english not in form
    assert "Anuncios en el chat" in form
    refused = client.post(
        page,
        headers=spanish,
        data={
            **_edit(cafe, chat_webhook_url="http://10.1.2.3/x"),
            "csrf_token": csrf_token(client, page),
        },
    )
    assert error_next_to(text_of(refused), "chat_webhook_url", "10.1.2.3")
    assert "private or reserved" not in text_of(refused)
    malformed = client.post(
        page,
        headers=spanish,
        data={**_edit(cafe, chat_webhook_url="chat/x"), "csrf_token": csrf_token(client, page)},
    )
    assert error_next_to(text_of(malformed), "chat_webhook_url", "Pega la dirección completa")
