"""Racing on real parallel connections (PostgreSQL, and SQLite): a member's first pass asked
for from five devices at once is made once (one serial number and token for all); five
devices registering for it at once make five registrations, the same device five times one."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.wallets.models import WalletDevice, WalletPass, WalletSettings
from tests.concurrency import committed_session, run_parallel
from tests.factories.accounts import make_token
from tests.factories.shops import make_team
from tests.wallets.certificates import PASS_TYPE_ID, apple_settings

pytestmark = pytest.mark.concurrency


def _pass(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        loaded: dict[str, Any] = json.loads(archive.read("pass.json"))
    return loaded


def test_the_first_pass_asked_for_at_once_is_made_once(committed: Flask) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        session.add(WalletSettings(shop_id=team.shop.id, **apple_settings()))
        token = make_token(session, team.member)
        membership_id = team.memberships["member"].id
    url = f"/api/v1/memberships/{membership_id}/pass.pkpass"
    headers = {"Authorization": f"Bearer {token}"}

    answers = run_parallel(5, lambda _i: committed.test_client().get(url, headers=headers))

    passes = [_pass(answer) for answer in answers]
    assert len({(p["serialNumber"], p["authenticationToken"]) for p in passes}) == 1
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(WalletPass)) == 1

    document = passes[0]
    register = (
        f"/api/v1/wallet/v1/devices/{{device}}/registrations/{PASS_TYPE_ID}/"
        f"{document['serialNumber']}"
    )
    auth = {"Authorization": f"ApplePass {document['authenticationToken']}"}

    def _register(device: str) -> int:
        answer = committed.test_client().post(
            register.format(device=device), json={"pushToken": "abc123"}, headers=auth
        )
        return int(answer.status_code)

    assert sorted(run_parallel(5, lambda i: _register(f"device{i}"))) == [201] * 5
    same = sorted(run_parallel(5, lambda _i: _register("onedevice")))
    assert same.count(201) == 1 and same.count(200) == 4
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(WalletDevice)) == 6
