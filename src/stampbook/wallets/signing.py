"""The cryptography of the passes, all through ``cryptography``: the ``.pkpass``'s detached
PKCS#7 signature of its manifest (the pass certificate signs, Apple's WWDR intermediate
rides along), Google's RS256 JWTs (the save link and the service account's OAuth
assertion), and the checks a merchant's PEM and JSON get when saved.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from stampbook.core.errors import AppError


class CertificateInvalid(AppError):
    status, code, title = 422, "wallet_certificate_invalid", "Certificate not readable"


class KeyInvalid(AppError):
    status, code, title = 422, "wallet_key_invalid", "Key not readable"


class ServiceAccountInvalid(AppError):
    status, code, title = 422, "wallet_service_account_invalid", "Service account not readable"


SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def certificate(pem: str, field: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        raise CertificateInvalid(field=field) from error


def private_key(pem: str) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise KeyInvalid() from error
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyInvalid()
    return key


def sign_manifest(manifest: bytes, *, cert_pem: str, key_pem: str, wwdr_pem: str) -> bytes:
    """The ``signature`` file: a detached PKCS#7 (CMS) signature of ``manifest`` in DER, by
    the pass certificate, with the WWDR certificate included (Apple checks the chain)."""
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest)
        .add_signer(
            certificate(cert_pem, "apple_certificate"), private_key(key_pem), hashes.SHA256()
        )
        .add_certificate(certificate(wwdr_pem, "apple_wwdr_certificate"))
    )
    return builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_rs256(claims: dict[str, Any], key_pem: str, key_id: str | None = None) -> str:
    """A compact JWS of ``claims``, RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518)."""
    key = private_key(key_pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyInvalid()
    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


@dataclass(frozen=True)
class ServiceAccount:
    """What stampbook takes from a Google service account's JSON key file."""

    client_email: str
    private_key: str
    private_key_id: str | None


def service_account(text: str) -> ServiceAccount:
    """Read (and check) a service account's JSON key: an email and an RSA private key."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ServiceAccountInvalid() from error
    if not isinstance(data, dict):
        raise ServiceAccountInvalid()
    email, key, key_id = (
        data.get("client_email"),
        data.get("private_key"),
        data.get("private_key_id"),
    )
    if not isinstance(email, str) or "@" not in email or not isinstance(key, str):
        raise ServiceAccountInvalid()
    try:
        loaded = private_key(key)
    except KeyInvalid as error:
        raise ServiceAccountInvalid() from error
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ServiceAccountInvalid()
    return ServiceAccount(email, key, key_id if isinstance(key_id, str) else None)
