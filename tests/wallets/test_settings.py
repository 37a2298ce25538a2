"""A shop's wallet settings: its creator and managers set them; the private key and the
service account's key are never shown back; a key that is not the certificate's, or text
that is not a certificate, is refused; the platform's certificate is the fallback."""

from __future__ import annotations

import pytest

from tests.wallets.certificates import apple_settings, google_settings, pass_certificates
from tests.wallets.conftest import Cafe


def _url(cafe: Cafe) -> str:
    return f"/api/v1/shops/{cafe.team.shop.id}/wallet-settings"


def test_a_manager_sets_them_and_the_secrets_stay_hidden(cafe: Cafe) -> None:
    body = {**apple_settings(), **google_settings()}
    saved = cafe.client.put(_url(cafe), json=body, headers=cafe.headers("manager"))
    assert saved.status_code == 200, saved.json
    out = saved.json
    assert out["apple_ready"] and out["google_ready"]
    assert out["apple_private_key_set"] and out["google_service_account_set"]
    assert out["google_client_email"] == "wallet@stampbook-test.iam.gserviceaccount.com"
    text = saved.get_data(as_text=True)
    assert "PRIVATE KEY" not in text
    assert "private_key_id" not in text
    # Left out, the secrets stay; the pass can be made.
    body.pop("apple_private_key")
    body.pop("google_service_account")
    again = cafe.client.put(_url(cafe), json=body, headers=cafe.headers("creator"))
    assert again.json["apple_private_key_set"] and again.json["apple_ready"]
    assert cafe.pkpass().status_code == 200
    # Null removes one.
    cleared = cafe.client.put(
        _url(cafe), json={**body, "apple_private_key": None}, headers=cafe.headers("creator")
    )
    assert not cleared.json["apple_private_key_set"] and not cleared.json["apple_ready"]
    read = cafe.client.get(_url(cafe), headers=cafe.headers("manager"))
    assert read.status_code == 200 and read.json == cleared.json


@pytest.mark.parametrize("who", ["assistant", "viewer", "member", "outsider"])
def test_others_may_not(cafe: Cafe, who: str) -> None:
    for answer in (
        cafe.client.get(_url(cafe), headers=cafe.headers(who)),
        cafe.client.put(_url(cafe), json=apple_settings(), headers=cafe.headers(who)),
    ):
        assert answer.status_code in (403, 404)


def test_a_key_of_another_certificate_is_refused(cafe: Cafe) -> None:
    other = google_settings()["google_service_account"]
    import json

    body = {**apple_settings(), "apple_private_key": json.loads(other)["private_key"]}
    refused = cafe.client.put(_url(cafe), json=body, headers=cafe.headers("manager"))
    assert refused.status_code == 422
    assert refused.json["code"] == "wallet_key_mismatch"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("apple_certificate", "-----BEGIN CERTIFICATE-----\nnope\n", "wallet_certificate_invalid"),
        ("apple_private_key", "not a key", "wallet_key_invalid"),
        ("google_service_account", '{"client_email": "x"}', "wallet_service_account_invalid"),
    ],
)
def test_unreadable_texts_are_refused(cafe: Cafe, field: str, value: str, code: str) -> None:
    body = {**apple_settings(), **google_settings(), field: value}
    refused = cafe.client.put(_url(cafe), json=body, headers=cafe.headers("manager"))
    assert refused.status_code == 422
    assert refused.json["code"] == code


def test_the_platform_certificate_is_the_fallback(
    cafe: Cafe, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = cafe.client.application.config
    made = pass_certificates()
    for name, value in {
        "WALLET_APPLE_PASS_TYPE_ID": "pass.dev.stampbook.platform",
        "WALLET_APPLE_TEAM_ID": "PLATFORM01",
        "WALLET_APPLE_CERTIFICATE": made.certificate,
        "WALLET_APPLE_PRIVATE_KEY": made.private_key,
        "WALLET_APPLE_WWDR_CERTIFICATE": made.wwdr,
    }.items():
        monkeypatch.setitem(config, name, value)
    assert cafe.pkpass().status_code == 200
    read = cafe.client.get(_url(cafe), headers=cafe.headers("manager"))
    assert read.json["apple_ready"] and not read.json["apple_private_key_set"]
