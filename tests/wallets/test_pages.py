"""The wallets' pages: the member's "Add to Apple Wallet" and "Add to Google Wallet" buttons
on the program's page (only where the shop set them up), the pass and the Google link behind
them, the shop's logo, and the team's settings page (the secrets never put back in it)."""

from __future__ import annotations

from flask import Flask

from stampbook.wallets import google
from tests.pages import post, signed_in, text_of
from tests.wallets.certificates import PASS_TYPE_ID, apple_settings, google_settings
from tests.wallets.conftest import Cafe, configure, pass_json


def test_the_member_sees_both_buttons_where_the_shop_set_them_up(
    app: Flask, configured: Cafe
) -> None:
    browser = signed_in(app, configured.team.member)
    page = text_of(browser.get(f"/programs/{configured.team.program.id}"))
    assert "Add to Apple Wallet" in page
    assert "Add to Google Wallet" in page
    assert "Wallet pass settings" not in page
    membership_id = configured.membership_id
    downloaded = browser.get(f"/memberships/{membership_id}/pass.pkpass")
    assert downloaded.status_code == 200
    assert downloaded.mimetype == "application/vnd.apple.pkpass"
    assert pass_json(downloaded.data)["passTypeIdentifier"] == PASS_TYPE_ID
    sent = browser.get(f"/memberships/{membership_id}/google-wallet")
    assert sent.status_code == 303
    assert sent.headers["Location"].startswith(google.SAVE_URL)


def test_no_buttons_without_settings(app: Flask, cafe: Cafe) -> None:
    browser = signed_in(app, cafe.team.member)
    page = text_of(browser.get(f"/programs/{cafe.team.program.id}"))
    assert "Add to Apple Wallet" not in page
    assert "Add to Google Wallet" not in page


def test_the_buttons_in_spanish(app: Flask, configured: Cafe) -> None:
    configured.team.member.language = "es"
    configured.session.flush()
    browser = signed_in(app, configured.team.member)
    page = text_of(
        browser.get(f"/programs/{configured.team.program.id}", headers={"Accept-Language": "es"})
    )
    assert "Añadir a Apple Wallet" in page
    assert "Añadir a Google Wallet" in page


def test_someone_else_cannot_take_the_members_pass(app: Flask, configured: Cafe) -> None:
    browser = signed_in(app, configured.team.outsider)
    assert browser.get(f"/memberships/{configured.membership_id}/pass.pkpass").status_code in (
        403,
        404,
    )


def test_the_shop_logo_is_a_png(configured: Cafe) -> None:
    answer = configured.client.get(f"/shops/{configured.team.shop.id}/wallet-logo.png")
    assert answer.status_code == 200
    assert answer.data.startswith(b"\x89PNG")


def test_a_manager_sets_the_wallets_up_from_the_page(app: Flask, cafe: Cafe) -> None:
    browser = signed_in(app, cafe.team.manager)
    program_page = text_of(browser.get(f"/programs/{cafe.team.program.id}"))
    assert "Wallet pass settings" in program_page
    path = f"/shops/{cafe.team.shop.id}/wallet"
    saved = post(browser, path, path, {**apple_settings(), **google_settings()})
    assert saved.status_code == 303, text_of(saved)
    page = text_of(browser.get(path))
    assert "Apple Wallet passes: ready." in page
    assert "Google Wallet: ready." in page
    assert "PRIVATE KEY" not in page  # the key is never put back in the form
    assert "A private key is saved." in page
    # Sent again with the secrets left empty: they stay.
    kept = post(browser, path, path, {**apple_settings(), "apple_private_key": ""})
    assert kept.status_code == 303
    assert "Apple Wallet passes: ready." in text_of(browser.get(path))
    refused = post(browser, path, path, {**apple_settings(), "apple_team_id": "short"})
    assert refused.status_code == 422


def test_the_assistant_may_not_open_the_settings(app: Flask, cafe: Cafe) -> None:
    configure(cafe.session, cafe.team.shop.id)
    browser = signed_in(app, cafe.team.assistant)
    assert browser.get(f"/shops/{cafe.team.shop.id}/wallet").status_code == 403
