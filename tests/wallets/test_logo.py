"""The passes' logo: the team uploads a PNG (through the API, base64, or the settings page);
the Apple pass carries it as its logo, listed in the signed manifest; Google's loyalty class
points at the page that serves it; a file that is not a PNG, or too large, is refused and
changes nothing; null (or "remove") goes back to the stamp on the shop's colour."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zlib

from flask import Flask
from werkzeug.test import TestResponse

from stampbook.wallets import images, rules
from tests.pages import csrf_token, signed_in, text_of
from tests.wallets.certificates import apple_settings
from tests.wallets.conftest import Cafe, read_pass

# A 40 x 12 logo, one colour: a real PNG made by the same few lines any encoder would write.
LOGO = images.png(40, 12, [bytes(rules.rgb("#112233")) * 40] * 12)


def _url(cafe: Cafe) -> str:
    return f"/api/v1/shops/{cafe.team.shop.id}/wallet-settings"


def _put(cafe: Cafe, **fields: object) -> TestResponse:
    return cafe.client.put(
        _url(cafe), json={**apple_settings(), **fields}, headers=cafe.headers("manager")
    )


def test_the_uploaded_logo_is_the_passes_logo(cafe: Cafe) -> None:
    saved = _put(cafe, logo_png=base64.b64encode(LOGO).decode())
    assert saved.status_code == 200, saved.json
    assert saved.json["logo_set"] is True
    logo_page = f"/shops/{cafe.team.shop.id}/wallet-logo.png"
    assert saved.json["logo_url"].endswith(logo_page)

    files = read_pass(cafe.pkpass().data)
    assert files["logo.png"] == LOGO and files["logo@2x.png"] == LOGO
    assert files["icon.png"].startswith(b"\x89PNG")  # the icon stays the stamp
    manifest = json.loads(files["manifest.json"])
    assert manifest["logo.png"] == hashlib.sha1(LOGO).hexdigest()  # noqa: S324 (Apple's own)
    served = cafe.client.get(logo_page)
    assert served.status_code == 200 and served.data == LOGO

    # Left out, it stays; null removes it: the stamp again.
    kept = _put(cafe)
    assert kept.json["logo_set"] is True
    removed = _put(cafe, logo_png=None)
    assert removed.json["logo_set"] is False
    files = read_pass(cafe.pkpass().data)
    assert files["logo.png"] != LOGO and files["logo.png"].startswith(b"\x89PNG")
    assert cafe.client.get(logo_page).data != LOGO


def _png_of_size(width: int, height: int) -> bytes:
    row = b"\x00" + b"\x00\x00\x00" * width
    header = images.png(1, 1, [b"\x00\x00\x00"])[:8]
    ihdr = images._chunk(
        b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    )
    data = images._chunk(b"IDAT", zlib.compress(row * height))
    return header + ihdr + data + images._chunk(b"IEND", b"")


def test_what_is_not_a_usable_png_is_refused_and_changes_nothing(cafe: Cafe) -> None:
    assert _put(cafe, logo_png=base64.b64encode(LOGO).decode()).status_code == 200
    for bad in (
        b"GIF89a not a png at all",
        LOGO[:20],  # cut short
        _png_of_size(1025, 10),  # too wide
        LOGO + b"\x00" * images.MAX_LOGO_BYTES,  # too heavy
    ):
        refused = _put(cafe, logo_png=base64.b64encode(bad).decode())
        assert refused.status_code == 422, bad[:10]
        assert refused.json["code"] == "wallet_logo_invalid"
    not_base64 = _put(cafe, logo_png="AAAA====")
    assert not_base64.status_code == 422
    assert read_pass(cafe.pkpass().data)["logo.png"] == LOGO


def test_sizes_are_read_from_the_header() -> None:
    assert images.logo_size(LOGO) == (40, 12)
    assert images.logo_size(_png_of_size(1024, 1024)) == (1024, 1024)
    assert images.logo_size(_png_of_size(0, 5)) is None
    assert images.logo_size(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30) is None


def test_the_team_uploads_and_removes_it_from_the_settings_page(app: Flask, cafe: Cafe) -> None:
    browser = signed_in(app, cafe.team.manager)
    path = f"/shops/{cafe.team.shop.id}/wallet"
    assert "No logo is saved" in text_of(browser.get(path))
    sent = browser.post(
        path,
        data={
            **apple_settings(),
            "csrf_token": csrf_token(browser, path),
            "logo": (io.BytesIO(LOGO), "logo.png"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303, text_of(sent)
    assert "The passes show this logo." in text_of(browser.get(path))
    assert read_pass(cafe.pkpass().data)["logo.png"] == LOGO

    refused = browser.post(
        path,
        data={
            **apple_settings(),
            "csrf_token": csrf_token(browser, path),
            "logo": (io.BytesIO(b"not a picture"), "logo.png"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "The logo must be a PNG file" in text_of(refused)

    removed = browser.post(
        path, data={**apple_settings(), "csrf_token": csrf_token(browser, path), "remove_logo": "y"}
    )
    assert removed.status_code == 303
    assert "No logo is saved" in text_of(browser.get(path))
