"""Certificates made in the test (``cryptography``): a self-signed CA standing for Apple's
WWDR intermediate, a pass certificate it signed, and a Google service account's RSA key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PASS_TYPE_ID = "pass.dev.stampbook.test"
TEAM_ID = "TEST123456"
ISSUER_ID = "3388000000022195611"


@dataclass(frozen=True)
class PassCertificates:
    certificate: str
    private_key: str
    wwdr: str


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@cache
def pass_certificates() -> PassCertificates:
    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test WWDR CA"))
        .issuer_name(_name("Test WWDR CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Pass Type ID: {PASS_TYPE_ID}"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return PassCertificates(
        certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
        private_key=_pem(key),
        wwdr=ca.public_bytes(serialization.Encoding.PEM).decode(),
    )


@cache
def service_account_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_json() -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "stampbook-test",
            "private_key_id": "0123456789abcdef",
            "private_key": _pem(service_account_key()),
            "client_email": "wallet@stampbook-test.iam.gserviceaccount.com",
            "client_id": "100000000000000000001",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


def apple_settings() -> dict[str, str]:
    """The body of ``PUT /shops/{id}/wallet-settings`` for the test's pass certificate."""
    made = pass_certificates()
    return {
        "apple_pass_type_id": PASS_TYPE_ID,
        "apple_team_id": TEAM_ID,
        "apple_certificate": made.certificate,
        "apple_private_key": made.private_key,
        "apple_wwdr_certificate": made.wwdr,
    }


def google_settings() -> dict[str, str]:
    return {"google_issuer_id": ISSUER_ID, "google_service_account": service_account_json()}
