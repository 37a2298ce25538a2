"""Apple's pass web service: a device registers with the pass's token (201, then 200), lists
the passes changed since a tag (204 when none), fetches the latest pass (304 when not
modified), unregisters; a device without the pass's token is refused 401 and nothing is
written. A stamp marks the pass updated, APNs is told, and the next fetch has the new
balance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from stampbook.wallets.models import WalletDevice
from tests.factories.tasks import make_task
from tests.wallets.certificates import PASS_TYPE_ID
from tests.wallets.conftest import Cafe, pass_json
from tests.wallets.fake_services import FakeWalletServices

DEVICE = "b33e3a3dccb3030333e3333da33333a3"
PUSH_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
BASE = "/api/v1/wallet/v1"


def _pass(cafe: Cafe) -> dict[str, Any]:
    return pass_json(cafe.pkpass().data)


def _auth(document: dict[str, Any], token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"ApplePass {token or document['authenticationToken']}"}


def _registration(document: dict[str, Any], device: str = DEVICE) -> str:
    return f"{BASE}/devices/{device}/registrations/{PASS_TYPE_ID}/{document['serialNumber']}"


def _devices(cafe: Cafe) -> int:
    return int(cafe.session.scalar(select(func.count()).select_from(WalletDevice)) or 0)


def test_a_device_registers_lists_fetches_and_unregisters(configured: Cafe) -> None:
    client = configured.client
    document = _pass(configured)
    url = _registration(document)
    made = client.post(url, json={"pushToken": PUSH_TOKEN}, headers=_auth(document))
    assert made.status_code == 201, made.get_data(as_text=True)
    again = client.post(url, json={"pushToken": PUSH_TOKEN}, headers=_auth(document))
    assert again.status_code == 200
    listed = client.get(f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}")
    assert listed.status_code == 200
    assert listed.json["serialNumbers"] == [document["serialNumber"]]
    tag = listed.json["lastUpdated"]
    since = client.get(
        f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}?passesUpdatedSince={tag}"
    )
    assert since.status_code == 204
    fetched = client.get(
        f"{BASE}/passes/{PASS_TYPE_ID}/{document['serialNumber']}", headers=_auth(document)
    )
    assert fetched.status_code == 200
    assert fetched.mimetype == "application/vnd.apple.pkpass"
    modified = fetched.headers["Last-Modified"]
    unchanged = client.get(
        f"{BASE}/passes/{PASS_TYPE_ID}/{document['serialNumber']}",
        headers={**_auth(document), "If-Modified-Since": modified},
    )
    assert unchanged.status_code == 304
    gone = client.delete(url, headers=_auth(document))
    assert gone.status_code == 200
    assert _devices(configured) == 0
    logged = client.post(f"{BASE}/log", json={"logs": ["Web service error for pass"]})
    assert logged.status_code == 204


def test_a_device_without_the_token_is_refused(configured: Cafe) -> None:
    client = configured.client
    document = _pass(configured)
    url = _registration(document)
    for headers in ({}, _auth(document, "x" * 43), {"Authorization": "Bearer nothing"}):
        refused = client.post(url, json={"pushToken": PUSH_TOKEN}, headers=headers)
        assert refused.status_code == 401
        assert refused.json["code"] == "pass_token_invalid"
        fetch = client.get(
            f"{BASE}/passes/{PASS_TYPE_ID}/{document['serialNumber']}", headers=headers
        )
        assert fetch.status_code == 401
    other_type = client.post(
        url.replace(PASS_TYPE_ID, "pass.dev.other"),
        json={"pushToken": PUSH_TOKEN},
        headers=_auth(document),
    )
    assert other_type.status_code == 401
    unknown = client.post(
        url.replace(document["serialNumber"], "0" * 32),
        json={"pushToken": PUSH_TOKEN},
        headers=_auth(document),
    )
    assert unknown.status_code == 401
    assert _devices(configured) == 0
    assert client.delete(url, headers={}).status_code == 401


def test_a_stamp_updates_the_pass_and_pushes_it(
    configured: Cafe, fake_wallet_services: FakeWalletServices
) -> None:
    client = configured.client
    document = _pass(configured)
    assert document["storeCard"]["headerFields"][0]["value"] == 0
    assert (
        client.post(
            _registration(document), json={"pushToken": PUSH_TOKEN}, headers=_auth(document)
        ).status_code
        == 201
    )
    before = client.get(f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}").json
    fetched = client.get(
        f"{BASE}/passes/{PASS_TYPE_ID}/{document['serialNumber']}", headers=_auth(document)
    )
    modified = fetched.headers["Last-Modified"]

    task = make_task(configured.session, configured.team.program, point_value=1)
    stamped = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": configured.membership_id},
        headers=configured.headers("creator"),
    )
    assert stamped.status_code == 201, stamped.json

    pushes = fake_wallet_services.pushes()
    assert [call.path for call in pushes] == [f"/3/device/{PUSH_TOKEN}"]
    assert pushes[0].headers["apns-topic"] == PASS_TYPE_ID
    assert pushes[0].body == b"{}"
    changed = client.get(
        f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE_ID}"
        f"?passesUpdatedSince={before['lastUpdated']}"
    )
    assert changed.status_code == 200
    assert changed.json["serialNumbers"] == [document["serialNumber"]]
    assert int(changed.json["lastUpdated"]) > int(before["lastUpdated"])
    latest = client.get(
        f"{BASE}/passes/{PASS_TYPE_ID}/{document['serialNumber']}",
        headers={**_auth(document), "If-Modified-Since": modified},
    )
    assert latest.status_code == 200
    assert pass_json(latest.data)["storeCard"]["headerFields"][0]["value"] == 1


def test_a_device_gone_from_apns_is_unregistered(
    configured: Cafe, fake_wallet_services: FakeWalletServices
) -> None:
    client = configured.client
    document = _pass(configured)
    client.post(_registration(document), json={"pushToken": "gone0123"}, headers=_auth(document))
    task = make_task(configured.session, configured.team.program, point_value=1)
    client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": configured.membership_id},
        headers=configured.headers("creator"),
    )
    assert len(fake_wallet_services.pushes()) == 1
    assert _devices(configured) == 0
