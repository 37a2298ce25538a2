"""Icons drawn as pictures, never as their names: the demo café reads "☕ Corner Café", not
"cup Corner Café"."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook import domains
from stampbook.accounts.demo import PASSWORD as DEMO_PASSWORD
from stampbook.core import unit_of_work
from stampbook.shops.demo import SHOP_NAME
from stampbook.shops.models import Shop
from stampbook.ui.icons import ICONS, icon_glyph
from tests.pages import log_in, text_of


def test_a_name_gives_its_picture_and_an_unknown_word_nothing() -> None:
    assert icon_glyph("cup") == "☕" and icon_glyph(" Cake ") == "🍰"
    assert icon_glyph("🥐") == "🥐"  # typed in as a picture
    assert icon_glyph("croissant") == "" and icon_glyph("x1") == ""
    assert icon_glyph(None) == "" and icon_glyph("") == ""
    assert all(not re.search(r"[A-Za-z]", glyph) for glyph in ICONS.values())


def test_the_demo_shows_no_icon_by_its_name(
    app: Flask, session: Session, client: FlaskClient
) -> None:
    with app.app_context():
        unit_of_work.run(domains.load_demo)  # as ``stampbook demo`` does
    shop_id, icon = session.execute(select(Shop.id, Shop.icon).where(Shop.name == SHOP_NAME)).one()
    assert icon == "cup"
    log_in(client, "ada@example.com", DEMO_PASSWORD)  # the demo café's owner
    for path in ("/explore", f"/shops/{shop_id}", "/"):
        page = text_of(client.get(path))
        assert "☕</span> Corner Café" in page, path
        words = re.sub(r"<[^>]+>", " ", page)
        assert not re.search(r"\bcup\s+Corner Café", words), path
