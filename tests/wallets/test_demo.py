"""The demo café's coffee card has a pass certificate made for the demo (clearly named so):
the regular's pass is made and signed by it, and the signature checks out against the demo's
own "WWDR" certificate."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.accounts.demo import PEOPLE
from stampbook.accounts.models import User
from stampbook.programs.models import Membership
from stampbook.wallets import demo, services
from stampbook.wallets.models import WalletPass, WalletSettings
from tests.wallets.conftest import pass_json, read_pass


def test_the_demo_cafe_has_a_demo_pass_certificate(
    app: Flask, app_context: None, session: Session, tmp_path: Path
) -> None:
    domains.load_demo()
    settings = session.scalars(select(WalletSettings)).one()
    assert settings.apple_pass_type_id == demo.PASS_TYPE_ID
    assert settings.apple_certificate is not None and settings.apple_wwdr_certificate
    regular = session.scalars(select(User).where(User.email == PEOPLE[2][0])).one()
    wallet_pass = session.scalars(select(WalletPass)).one()
    membership = session.get(Membership, wallet_pass.membership_id)
    assert membership is not None and membership.user_id == regular.id
    with app.test_request_context():
        data, _made = services.apple_pass(regular, membership.id)
    document = pass_json(data)
    assert document["barcodes"][0]["message"] == membership.card_code
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    files = read_pass(data)
    for name in ("manifest.json", "signature"):
        (tmp_path / name).write_bytes(files[name])
    (tmp_path / "wwdr.pem").write_text(settings.apple_wwdr_certificate)
    verified = subprocess.run(
        [
            "openssl",
            "smime",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "signature"),
            "-content",
            str(tmp_path / "manifest.json"),
            "-CAfile",
            str(tmp_path / "wwdr.pem"),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
