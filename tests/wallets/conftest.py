"""The wallets' tests: a shop's team (tests.factories.shops.make_team) with the pass
certificate made in the test, and the member's pass."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.wallets.models import WalletSettings
from tests.factories.accounts import make_token
from tests.factories.shops import Team, make_team
from tests.wallets.certificates import apple_settings, google_settings
from tests.wallets.fake_services import fake_wallet_services  # noqa: F401 (APNs, Google)


@dataclass
class Cafe:
    client: FlaskClient
    session: Session
    team: Team
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    @property
    def membership_id(self) -> int:
        return self.team.memberships["member"].id

    def pkpass(self, who: str = "member") -> Any:
        return self.client.get(
            f"/api/v1/memberships/{self.membership_id}/pass.pkpass", headers=self.headers(who)
        )


def read_pass(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pass_json(data: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(read_pass(data)["pass.json"])
    return loaded


def configure(session: Session, shop_id: int, *, google: bool = False) -> WalletSettings:
    row = WalletSettings(
        shop_id=shop_id, **apple_settings(), **(google_settings() if google else {})
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def cafe(client: FlaskClient, session: Session) -> Cafe:
    team = make_team(session, shop_fields={"color": "#6f4e37"})
    tokens = {
        name: make_token(session, getattr(team, name))
        for name in ("creator", "manager", "assistant", "viewer", "member", "outsider")
    }
    return Cafe(client, session, team, tokens)


@pytest.fixture
def configured(cafe: Cafe) -> Cafe:
    configure(cafe.session, cafe.team.shop.id, google=True)
    return cafe
