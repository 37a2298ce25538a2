"""A ``.pkpass``: a zip of ``pass.json``, its images, a ``pass.strings`` per language,
``manifest.json`` (every other file's SHA-1) and ``signature`` (the manifest signed, PKCS#7
detached, DER). Apple refuses a pass whose manifest misses a file or whose signature does not
match: the manifest is made from the very bytes zipped."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping

from stampbook.wallets import images, rules, signing
from stampbook.wallets.credentials import AppleCredentials

MEDIA_TYPE = "application/vnd.apple.pkpass"


def pkpass(
    card: rules.Card,
    apple: AppleCredentials,
    *,
    web_service_url: str | None,
    labels: Mapping[str, Mapping[str, str]],
    logo: bytes | None = None,
) -> bytes:
    document = rules.pass_json(
        card,
        pass_type_id=apple.pass_type_id,
        team_id=apple.team_id,
        web_service_url=web_service_url,
    )
    files: dict[str, bytes] = {"pass.json": json.dumps(document, ensure_ascii=False).encode()}
    files.update(images.pass_images(card.colour, logo))
    for language, said in labels.items():
        files[f"{language}.lproj/pass.strings"] = rules.pass_strings(said)
    manifest = rules.manifest(files)
    signature = signing.sign_manifest(
        manifest,
        cert_pem=apple.certificate,
        key_pem=apple.private_key,
        wwdr_pem=apple.wwdr_certificate,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**files, "manifest.json": manifest, "signature": signature}.items():
            archive.writestr(name, data)
    return buffer.getvalue()
