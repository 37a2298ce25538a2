"""Google Wallet: the save link's JWT verifies with the service account's public key and holds
the loyalty class and object; once the member took the link, a balance change patches the
object through Google's API (a local fake with recorded payloads) under an OAuth token got
with the service account's signed assertion."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from stampbook.wallets import google
from tests.factories.tasks import make_task
from tests.wallets.certificates import ISSUER_ID, service_account_key
from tests.wallets.conftest import Cafe
from tests.wallets.fake_services import FakeWalletServices, recorded


def _part(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of an RS256 JWT, after checking its signature with the test's public key."""
    header, payload, signature = token.split(".")
    assert json.loads(_part(header))["alg"] == "RS256"
    service_account_key().public_key().verify(
        _part(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    claims: dict[str, Any] = json.loads(_part(payload))
    return claims


def _link(cafe: Cafe) -> str:
    answer = cafe.client.get(
        f"/api/v1/memberships/{cafe.membership_id}/google-wallet-link",
        headers=cafe.headers("member"),
    )
    assert answer.status_code == 200, answer.json
    url: str = answer.json["url"]
    return url


def test_the_save_link_is_a_signed_jwt_with_the_class_and_object(configured: Cafe) -> None:
    url = _link(configured)
    assert url.startswith(google.SAVE_URL)
    claims = verified_claims(url.removeprefix(google.SAVE_URL))
    assert claims["aud"] == "google"
    assert claims["typ"] == "savetowallet"
    assert claims["iss"] == "wallet@stampbook-test.iam.gserviceaccount.com"
    [loyalty_class] = claims["payload"]["loyaltyClasses"]
    [loyalty_object] = claims["payload"]["loyaltyObjects"]
    program = configured.team.program
    assert loyalty_class["id"] == f"{ISSUER_ID}.stampbook-program-{program.id}"
    assert loyalty_class["programName"] == program.name
    assert loyalty_object["classId"] == loyalty_class["id"]
    assert loyalty_object["id"].startswith(f"{ISSUER_ID}.")
    code = configured.team.memberships["member"].card_code
    assert loyalty_object["barcode"] == {"type": "QR_CODE", "value": code, "alternateText": code}
    assert loyalty_object["loyaltyPoints"]["balance"] == {"int": 0}


def test_the_object_carries_the_shops_address(configured: Cafe) -> None:
    configured.team.shop.address = "Calle Mayor 1\n28013 Madrid"
    configured.session.flush()
    claims = verified_claims(_link(configured).removeprefix(google.SAVE_URL))
    [loyalty_object] = claims["payload"]["loyaltyObjects"]
    modules = {module["id"]: module for module in loyalty_object["textModulesData"]}
    assert modules["address"] == {
        "id": "address",
        "header": "Address",
        "body": "Calle Mayor 1\n28013 Madrid",
    }


def test_a_tampered_link_does_not_verify(configured: Cafe) -> None:
    token = _link(configured).removeprefix(google.SAVE_URL)
    header, payload, signature = token.split(".")
    claims = json.loads(_part(payload))
    claims["payload"]["loyaltyObjects"][0]["loyaltyPoints"]["balance"] = {"int": 999}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        verified_claims(f"{header}.{forged}.{signature}")


def test_a_balance_change_patches_the_saved_object(
    configured: Cafe, fake_wallet_services: FakeWalletServices
) -> None:
    token = _link(configured).removeprefix(google.SAVE_URL)
    object_id = verified_claims(token)["payload"]["loyaltyObjects"][0]["id"]
    task = make_task(configured.session, configured.team.program, point_value=2)
    stamped = configured.client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": configured.membership_id},
        headers=configured.headers("creator"),
    )
    assert stamped.status_code == 201
    [token_call] = [call for call in fake_wallet_services.calls if call.path == "/token"]
    form = token_call.form()
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assertion = verified_claims(form["assertion"])
    assert assertion["scope"] == "https://www.googleapis.com/auth/wallet_object.issuer"
    [patch] = fake_wallet_services.patches()
    assert patch.path == f"/walletobjects/v1/loyaltyObject/{object_id}"
    assert patch.headers["authorization"] == f"Bearer {recorded('google_token')['access_token']}"
    assert patch.json()["loyaltyPoints"]["balance"] == {"int": 2}


def test_an_object_never_saved_is_not_patched(
    configured: Cafe, fake_wallet_services: FakeWalletServices
) -> None:
    configured.pkpass()  # an Apple pass only
    task = make_task(configured.session, configured.team.program, point_value=2)
    configured.client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": configured.membership_id},
        headers=configured.headers("creator"),
    )
    assert fake_wallet_services.patches() == []


def test_a_shop_without_google_has_no_link(cafe: Cafe) -> None:
    answer = cafe.client.get(
        f"/api/v1/memberships/{cafe.membership_id}/google-wallet-link",
        headers=cafe.headers("member"),
    )
    assert answer.status_code == 409
    assert answer.json["code"] == "wallet_not_configured"
