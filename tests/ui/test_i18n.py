"""Languages: chosen from the browser or the switcher; every marked text has its Spanish."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

import stampbook
from stampbook.core.i18n import LANGUAGE_COOKIE, LANGUAGES
from tests.pages import Cafe, log_in, text_of

PACKAGE = Path(stampbook.__file__).parent
TRANSLATIONS = PACKAGE / "translations"


def _csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_the_browser_language_is_used(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert '<html lang="es">' in text
    assert "Explorar" in text


def test_english_is_the_default(client: FlaskClient) -> None:
    text = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Explore" in text


def test_the_switcher_remembers_the_choice_and_goes_back(client: FlaskClient) -> None:
    csrf = _csrf_token(client, "/explore")
    answer = client.post("/language?next=/explore", data={"lang": "es", "csrf_token": csrf})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/explore")
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie is not None and cookie.value == "es" and cookie.http_only
    assert "Explorar" in client.get("/explore", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_the_switcher_ignores_unknown_languages_and_foreign_targets(client: FlaskClient) -> None:
    csrf = _csrf_token(client, "/")
    answer = client.post(
        "/language?next=https://evil.example/", data={"lang": "xx", "csrf_token": csrf}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"
    assert client.get_cookie(LANGUAGE_COOKIE) is None


def _marked_texts() -> set[str]:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None},
    )
    texts: set[str] = set()
    for _filename, _lineno, message, _comments, _context in found:
        texts.update([message] if isinstance(message, str) else message)
    return texts


def test_every_marked_text_has_its_translation() -> None:
    for language in LANGUAGES:
        if language == "en":
            continue
        po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        translated = {
            text
            for message in catalog
            if message.id and message.string and not message.fuzzy
            for text in ([message.id] if isinstance(message.id, str) else message.id)
        }
        missing = sorted(_marked_texts() - translated)
        assert not missing, f"{language}: run `make translations` and translate {missing[:20]}"


def _key(text: str | Sequence[str]) -> str | tuple[str, ...]:
    """A message's text, or its singular and plural forms (lists in a compiled catalogue)."""
    return text if isinstance(text, str) else tuple(text)


def test_the_compiled_catalogues_match_their_sources() -> None:
    for language in LANGUAGES:
        if language == "en":
            continue
        folder = TRANSLATIONS / language / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as handle:
            source = {_key(m.id): _key(m.string) for m in read_po(handle, locale=language) if m.id}
        with (folder / "messages.mo").open("rb") as handle:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
        assert compiled == source, f"{language}: run `make translations` to compile"


def test_the_pages_answer_in_spanish(client: FlaskClient, cafe: Cafe) -> None:
    """Texts without their Spanish yet fall back to English: every page still answers."""
    log_in(client, cafe.member.email)
    spanish = {"Accept-Language": "es"}
    for path in ("/", "/account", "/account/privacy", "/buddies", "/messages", "/posts"):
        response = client.get(path, headers=spanish)
        assert response.status_code == 200 and '<html lang="es">' in text_of(response), path
    assert "Explorar" in text_of(client.get("/account", headers=spanish))
