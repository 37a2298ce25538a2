"""A user's phone for text messages: set, refused and cleared through the API and the
profile page (in English and Spanish), seen by the user alone; an SMS opt-out shown, kept
while the number stays and lifted by a new one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts import phones, services
from tests.factories.accounts import auth, make_user
from tests.pages import Cafe, csrf_token, field_error, log_in, post, text_of

ME = "/api/v1/users/me"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def patch_me(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    return client.patch(ME, headers=headers, json=body)


def test_a_phone_is_set_shown_to_its_owner_and_cleared(
    client: FlaskClient, session: Session
) -> None:
    ada = make_user(session)
    headers = auth(session, ada)
    assert client.get(ME, headers=headers).json["phone"] is None
    saved = patch_me(client, headers, phone="+34600123456")
    assert saved.status_code == 200, saved.json
    assert (saved.json["phone"], saved.json["sms_opted_out_at"]) == ("+34600123456", None)
    # Seen by the user alone: not on the page others see.
    other = auth(session, make_user(session))
    assert "phone" not in client.get(f"/api/v1/users/{ada.id}", headers=other).json
    cleared = patch_me(client, headers, phone=None)
    assert cleared.status_code == 200 and cleared.json["phone"] is None


@pytest.mark.parametrize(
    "phone",
    ["600123456", "+34 600 123 456", "+0600123456", "+1234567", "+1234567890123456", "+34abc", ""],
    ids=["no-plus", "spaces", "leading-zero", "7-digits", "16-digits", "letters", "empty"],
)
def test_a_phone_not_in_e164_is_refused_clearly(
    client: FlaskClient, session: Session, phone: str
) -> None:
    user = make_user(session, phone="+34600123456")
    response = patch_me(client, auth(session, user), phone=phone)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "validation_failed"
    [error] = response.json["errors"]
    assert error["field"] == "phone"
    assert "E.164" in error["message"] and "+34600123456" in error["message"]
    session.refresh(user)
    assert user.phone == "+34600123456"


def test_the_document_states_the_phones_pattern(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    [phone] = [v for v in schemas["UserPatch"]["properties"]["phone"]["anyOf"] if "pattern" in v]
    assert phone["pattern"] == phones.E164


def test_an_opt_out_stays_with_the_number_and_a_new_number_lifts_it(
    client: FlaskClient, session: Session
) -> None:
    # As the delivery job leaves it (phones.record_opt_out, tests/notifications/test_sms.py).
    ada = make_user(session, phone="+34600123456", sms_opted_out_at=T0)
    headers = auth(session, ada)
    shown = client.get(ME, headers=headers).json
    assert shown["sms_opted_out_at"] is not None
    # Saving the same number (a profile form saves every field) keeps the opt-out.
    assert patch_me(client, headers, phone="+34600123456").json["sms_opted_out_at"] is not None
    renewed = patch_me(client, headers, phone="+34600765432").json
    assert (renewed["phone"], renewed["sms_opted_out_at"]) == ("+34600765432", None)
    session.refresh(ada)
    assert phones.sms_number(ada) == "+34600765432"


def test_deleting_the_account_forgets_the_phone(session: Session, app_context: None) -> None:
    ada = make_user(session, phone="+34600123456", sms_opted_out_at=T0)
    services.anonymise(ada)
    assert (ada.phone, ada.sms_opted_out_at) == (None, None)


# --- The profile page -----------------------------------------------------------------------


def test_the_profile_page_takes_a_phone_as_people_write_it(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    page = text_of(client.get("/account"))
    assert 'type="tel"' in page and 'for="phone"' in page and "Phone for text messages" in page
    done = post(client, "/account", "/account", {"name": "Ada", "phone": "+34 600-12 34 56"})
    assert done.status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.phone == "+34600123456"
    assert 'value="+34600123456"' in text_of(client.get("/account"))
    bad = post(client, "/account", "/account", {"name": "Ada", "phone": "600 12 34 56"})
    assert bad.status_code == 422
    assert field_error(text_of(bad), "Write the number with its country code")
    cleared = post(client, "/account", "/account", {"name": "Ada", "phone": ""})
    assert cleared.status_code == 303
    session.refresh(cafe.member)
    assert cafe.member.phone is None


def test_the_profile_page_says_when_the_number_opted_out(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.member.phone, cafe.member.sms_opted_out_at = "+34600123456", T0
    session.flush()
    log_in(client, cafe.member.email)
    assert "answered STOP" in text_of(client.get("/account"))


def test_the_phone_field_in_spanish(client: FlaskClient, session: Session, cafe: Cafe) -> None:
    cafe.member.phone, cafe.member.sms_opted_out_at = "+34600123456", T0
    session.flush()
    log_in(client, cafe.member.email)
    spanish = {"Accept-Language": "es"}
    page = text_of(client.get("/account", headers=spanish))
    assert "Phone for text messages" not in page and "answered STOP" not in page
    assert "Teléfono para mensajes de texto" in page
    token = csrf_token(client, "/account")
    bad = client.post(
        "/account", headers=spanish, data={"name": "Ada", "phone": "600", "csrf_token": token}
    )
    assert field_error(text_of(bad), "Escribe el número con su prefijo de país")
