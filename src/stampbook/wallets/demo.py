"""The café's coffee card goes in the phone's wallet: a pass certificate made for the demo
when the demo is loaded (self-signed, named as a demo certificate: phones refuse a pass it
signs, since Apple did not issue it, but the pass is complete and its signature checks out
against the demo's own "WWDR" certificate), set as the café's wallet settings; the regular's
pass is made (his card's page offers "Add to Apple Wallet")."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.wallets import services
from stampbook.wallets.models import WalletSettings

PASS_TYPE_ID = "pass.dev.stampbook.demo"
TEAM_ID = "DEMO000000"


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stampbook demo (not Apple)"),
        ]
    )


def demo_certificates() -> tuple[str, str, str]:
    """(pass certificate, its private key, the demo "WWDR" CA), PEM, made now."""
    now = clock.now()
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("stampbook DEMO WWDR certificate - not Apple's")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"DEMO Pass Type ID: {PASS_TYPE_ID}"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(pem).decode(), private, ca.public_bytes(pem).decode()


def load(world: DemoWorld) -> None:
    shop_id, (card_id, _club_id) = world.at()
    certificate, private_key, wwdr = demo_certificates()
    db.session.add(
        WalletSettings(
            shop_id=shop_id,
            apple_pass_type_id=PASS_TYPE_ID,
            apple_team_id=TEAM_ID,
            apple_certificate=certificate,
            apple_private_key=private_key,
            apple_wwdr_certificate=wwdr,
        )
    )
    regular_id = world.user_ids[2]
    services.make_passes([world.membership_ids[(card_id, regular_id)]])
    db.session.flush()
