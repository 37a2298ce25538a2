"""The Apple Wallet pass: a store card with the program, the shop's colour, the stamps
toward the next reward and the card code as its QR code; its manifest's hashes and its
PKCS#7 signature checked with a tool that did not make them (``openssl``)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from stampbook.rewards.models import Reward
from tests.factories.ledger import give_points
from tests.wallets.certificates import PASS_TYPE_ID, TEAM_ID, pass_certificates
from tests.wallets.conftest import Cafe, pass_json, read_pass


def test_the_pass_is_a_store_card_with_the_stamps_and_the_card_code(configured: Cafe) -> None:
    session = configured.session
    shop = configured.team.shop
    session.add(Reward(shop_id=shop.id, name="Free coffee", cost=8))
    membership = configured.team.memberships["member"]
    give_points(session, membership, 3)
    answer = configured.pkpass()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/vnd.apple.pkpass"
    document = pass_json(answer.data)
    assert document["formatVersion"] == 1
    assert document["passTypeIdentifier"] == PASS_TYPE_ID
    assert document["teamIdentifier"] == TEAM_ID
    assert document["backgroundColor"] == "rgb(111,78,55)"
    assert document["barcodes"] == [
        {
            "format": "PKBarcodeFormatQR",
            "message": membership.card_code,
            "messageEncoding": "iso-8859-1",
            "altText": membership.card_code,
        }
    ]
    card = document["storeCard"]
    assert card["primaryFields"][0]["value"] == "●●●○○○○○"
    assert card["secondaryFields"][0]["value"] == "Free coffee"
    assert card["headerFields"][0]["value"] == 3
    assert document["webServiceURL"].endswith("/api/v1/wallet")
    assert len(document["authenticationToken"]) >= 16
    files = read_pass(answer.data)
    assert {"icon.png", "icon@2x.png", "logo.png", "logo@2x.png"} <= set(files)
    assert files["icon.png"].startswith(b"\x89PNG")
    assert '"stamps" = "Sellos";' in files["es.lproj/pass.strings"].decode()


def test_the_same_pass_is_given_again(configured: Cafe) -> None:
    first = pass_json(configured.pkpass().data)
    second = pass_json(configured.pkpass().data)
    assert first["serialNumber"] == second["serialNumber"]
    assert first["authenticationToken"] == second["authenticationToken"]


def test_a_client_asking_for_octet_stream_gets_the_same_bytes_as_such(configured: Cafe) -> None:
    """Generic API clients read a file only as application/octet-stream."""
    apple = configured.pkpass()
    headers = {**configured.headers("member"), "Accept": "application/octet-stream"}
    url = f"/api/v1/memberships/{configured.membership_id}/pass.pkpass"
    generic = configured.client.get(url, headers=headers)
    assert apple.mimetype == "application/vnd.apple.pkpass"
    assert generic.mimetype == "application/octet-stream"
    assert read_pass(generic.data).keys() == read_pass(apple.data).keys()


def test_the_manifest_holds_each_files_sha1(configured: Cafe) -> None:
    files = read_pass(configured.pkpass().data)
    manifest = json.loads(files.pop("manifest.json"))
    files.pop("signature")
    assert manifest == {name: hashlib.sha1(data).hexdigest() for name, data in files.items()}  # noqa: S324


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_signature_verifies_with_openssl(configured: Cafe, tmp_path: Path) -> None:
    files = read_pass(configured.pkpass().data)
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"])
    (tmp_path / "signature").write_bytes(files["signature"])
    (tmp_path / "wwdr.pem").write_text(pass_certificates().wwdr)
    command = [
        "openssl", "smime", "-verify", "-binary", "-inform", "DER",
        "-in", str(tmp_path / "signature"),
        "-content", str(tmp_path / "manifest.json"),
        "-CAfile", str(tmp_path / "wwdr.pem"),
        "-purpose", "any",
        "-out", "/dev/null",
    ]  # fmt: skip
    verified = subprocess.run(command, capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
    # A manifest changed after signing does not verify.
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"] + b" ")
    tampered = subprocess.run(command, capture_output=True, text=True, check=False)
    assert tampered.returncode != 0


def test_a_shop_without_a_certificate_has_no_pass(cafe: Cafe) -> None:
    answer = cafe.pkpass()
    assert answer.status_code == 409
    assert answer.json["code"] == "wallet_not_configured"


@pytest.mark.parametrize("who", ["outsider", "assistant", "manager"])
def test_only_the_member_takes_their_pass(configured: Cafe, who: str) -> None:
    assert configured.pkpass(who).status_code in (403, 404)


def test_the_back_shows_the_shops_address_and_opening_hours(configured: Cafe) -> None:
    before = pass_json(configured.pkpass().data)["storeCard"]["backFields"]
    assert [field["key"] for field in before] == ["card_code"]
    shop = configured.team.shop
    edited = configured.client.patch(
        f"/api/v1/shops/{shop.id}",
        headers=configured.headers("creator"),
        json={
            "address": "  Calle Mayor 1\n28013 Madrid\n",
            "availability_schedule": [
                {"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["08:00", "18:00"]]}
            ],
        },
    )
    assert edited.status_code == 200, edited.json
    answer = configured.pkpass()
    back = {field["key"]: field for field in pass_json(answer.data)["storeCard"]["backFields"]}
    assert list(back) == ["address", "hours", "card_code"]
    assert back["address"] == {
        "key": "address",
        "label": "address",
        "value": "Calle Mayor 1\n28013 Madrid",
    }
    assert back["hours"] == {"key": "hours", "label": "hours", "value": "weekdays · 08:00 to 18:00"}
    strings = read_pass(answer.data)["es.lproj/pass.strings"].decode()
    assert '"address" = "Dirección";' in strings
    assert '"hours" = "Horario de apertura";' in strings
