"""One catalogue of error wording (core.wording): every code raised anywhere has its message,
with the parameters its raise sites give, and its Spanish; the API's ``detail`` and the pages
speak the caller's language."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from flask import Flask
from flask.testing import FlaskClient

import stampbook
from stampbook.core import wording
from stampbook.core.i18n import LANGUAGE_COOKIE, LANGUAGES
from stampbook.core.wording import MESSAGES, Choice, Text

PACKAGE = Path(stampbook.__file__).parent
TRANSLATIONS = PACKAGE / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


# --- What the source raises -----------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    """A code the source raises, where, and the parameters it names there (None: unknown,
    e.g. ``**details``; a value None: not a literal)."""

    code: str
    where: str
    params: dict[str, set[str] | None] | None = None


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield str(path.relative_to(PACKAGE)), ast.parse(path.read_text(encoding="utf-8"))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _values(node: ast.expr) -> set[str] | None:
    """The strings a parameter may be: a literal, either literal of ``a if c else b``."""
    if (found := _string(node)) is not None:
        return {found}
    if isinstance(node, ast.IfExp):
        body, orelse = _values(node.body), _values(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _dict_params(node: ast.expr) -> dict[str, set[str] | None] | None:
    if not isinstance(node, ast.Dict):
        return None
    keys = [_string(key) if key is not None else None for key in node.keys]
    if any(key is None for key in keys):
        return None
    return {key: _values(value) for key, value in zip(keys, node.values, strict=True) if key}


def _error_classes(modules: list[tuple[str, ast.Module]]) -> dict[str, str]:
    """The AppError family: each class's own code (or its parent's)."""
    codes: dict[str, str] = {}
    parents: dict[str, str] = {}
    for _where, module in modules:
        for node in ast.walk(module):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [name for name in map(_name, node.bases) if name]
            if bases:
                parents[node.name] = bases[0]
            for statement in node.body:
                if not isinstance(statement, ast.Assign | ast.AnnAssign):
                    continue
                targets = (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                for target in targets:
                    if isinstance(target, ast.Name) and target.id == "code":
                        code = _string(statement.value)
                    elif isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                        names = [_name(element) for element in target.elts]
                        code = (
                            _string(statement.value.elts[names.index("code")])
                            if "code" in names
                            else None
                        )
                    else:
                        continue
                    if code is not None:
                        codes[node.name] = code
    family = {"AppError"}
    while grown := {c for c, parent in parents.items() if parent in family} - family:
        family |= grown
    result = {}
    for name in family:
        ancestor: str | None = name
        while ancestor is not None and ancestor not in codes:
            ancestor = parents.get(ancestor)
        if ancestor is not None:
            result[name] = codes[ancestor]
    return result


def raised() -> list[Raised]:
    """Every code the source raises or answers: the error classes' own codes, each raise of
    one (``code=`` or its class's), each refusal of the rules, each handler's answer."""
    modules = list(_modules())
    classes = _error_classes(modules)
    found = [Raised(code, f"class {name}") for name, code in classes.items()]
    for where, module in modules:
        for node in ast.walk(module):
            if not isinstance(node, ast.Call):
                continue
            called = _name(node.func)
            place = f"{where}:{node.lineno}"
            keywords = {k.arg: k.value for k in node.keywords}
            if called in classes:
                code = _string(keywords["code"]) if "code" in keywords else classes[called]
                if code is None:
                    continue  # a code passed on (a refusal's): the refusal is counted
                spread = any(k.arg is None for k in node.keywords)
                params = (
                    None
                    if spread
                    else {
                        name: _values(value)
                        for name, value in keywords.items()
                        if name not in ("code", "extra") and name is not None
                    }
                )
                found.append(Raised(code, place, params))
            elif called == "Refusal" and node.args and (code := _string(node.args[0])):
                params: dict[str, set[str] | None] | None = {}
                for argument in node.args[1:]:
                    given = _dict_params(argument)
                    params = None if given is None or params is None else params | given
                found.append(Raised(code, place, params))
            elif called in ("_render", "problem") and len(node.args) > 1:
                if (code := _string(node.args[1])) is not None:
                    found.append(Raised(code, place))
            elif _is_wording_text(node.func) and node.args and (code := _string(node.args[0])):
                found.append(Raised(code, place))
    return found


def _is_wording_text(node: ast.expr) -> bool:
    """``wording.text(...)``: a handler's words for its own code."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "text"
        and isinstance(node.value, ast.Name)
        and node.value.id == "wording"
    )


RAISED = raised()


def _texts(message: Text | Choice) -> tuple[Text, ...]:
    return message.texts if isinstance(message, Choice) else (message,)


def test_the_source_is_read() -> None:
    codes = {r.code for r in RAISED}
    # A few of each kind: class defaults, raise sites, refusals of both rules, handlers.
    assert {"not_found", "already_member", "frequency_exceeded", "limit_reached"} <= codes
    assert {"internal_error", "service_unavailable", "validation_failed"} <= codes
    assert len(codes) > 60


def test_every_raised_code_has_its_wording() -> None:
    missing = sorted({f"{r.code} ({r.where})" for r in RAISED if r.code not in MESSAGES})
    assert not missing, f"codes without wording in core.wording.MESSAGES: {missing}"


def test_each_raise_names_what_its_words_need() -> None:
    """A raise names every parameter of its message, and a Choice's parameter names one of
    its sentences (a literal that none takes would silently say the ``other`` one)."""
    wrong = []
    for r in RAISED:
        message = MESSAGES.get(r.code)
        if message is None or r.params is None:
            continue
        texts: tuple[Text, ...] = (message,) if isinstance(message, Text) else ()
        if isinstance(message, Choice):
            picked = r.params.get(message.by, set())
            if picked is None:
                continue  # decided at run time
            unknown = picked - set(message.options)
            if unknown:
                wrong.append(f"{r.where}: {message.by}={sorted(unknown)} is no choice of {r.code}")
            texts = tuple(message.options[value] for value in picked & set(message.options))
            texts = texts or (message.options[message.default],)
        for text in texts:
            lacking = text.names - set(r.params)
            if lacking:
                wrong.append(f"{r.where}: {r.code} needs {sorted(lacking)}")
    assert not wrong, wrong


def _compiled(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        return read_mo(handle)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_has_its_translation(language: str) -> None:
    """Every message of the catalogue (so every code raised) is in the compiled catalogue of
    each language, every plural form too, with the placeholders of its English."""
    catalog = _compiled(language)
    wrong = []
    for code, message in MESSAGES.items():
        for text in _texts(message):
            found = catalog.get(text.msgid)
            strings = (
                ()
                if found is None
                else (found.string,)
                if isinstance(found.string, str)
                else tuple(found.string)
            )
            if not strings or not all(strings):
                wrong.append(f"{code}: no {language} for {text.msgid!r}")
                continue
            english = {name for msgid in text.msgids for name in PLACEHOLDER.findall(msgid)}
            for string in strings:
                if not set(PLACEHOLDER.findall(string)) <= english:
                    wrong.append(f"{code}: {string!r} has placeholders {text.msgid!r} lacks")
            if text.plural is not None and isinstance(found.string, str):
                wrong.append(f"{code}: {text.msgid!r} has no plural forms in {language}")
    assert not wrong, wrong


# --- The words, in the caller's language ----------------------------------------------------


def test_words_are_english_without_a_request_and_plurals_follow_the_number(app: Flask) -> None:
    shortfall = {"needed": 1, "balance": 0}
    assert wording.text("insufficient_points", shortfall) == (
        "This needs 1 point; the balance is 0."
    )
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert wording.text("insufficient_points", shortfall) == (
            "Esto necesita 1 punto; el saldo es 0."
        )
        assert wording.text(
            "frequency_exceeded", {"limit": 2, "every": 3, "time_unit": "week"}
        ) == ("Como mucho 2 cada 3 semanas.")
        assert wording.text("not_found", {"thing": "shop"}) == "No existe esa tienda."
        assert wording.text("not_found", {"thing": "nothing we know"}) == "No se ha encontrado."
    with app.app_context():  # a notification in its reader's language
        assert wording.text("already_member", {"who": "you"}, locale="es") == "Ya eres miembro."


def test_an_error_keeps_its_extra_members_and_says_its_code(app: Flask) -> None:
    from stampbook.core.errors import Conflict, ValidationFailed

    refused = Conflict(code="limit_reached", extra={"resets_at": "x"}, limit="user")
    assert refused.extra == {"resets_at": "x"}
    assert (
        str(refused)
        == refused.detail
        == ("You have redeemed this reward as often as allowed for now.")
    )
    invalid = ValidationFailed([{"location": "json", "field": "name", "message": "too long"}])
    assert invalid.detail == "name: too long" and invalid.extra["errors"]


def test_the_api_answers_in_the_callers_language(client: FlaskClient) -> None:
    body = {"email": "ada@example.com", "name": "Ada", "password": "0123456789"}
    assert client.post("/api/v1/users", json=body).status_code == 201
    english = client.post("/api/v1/users", json=body)
    spanish = client.post("/api/v1/users", json=body, headers={"Accept-Language": "es"})
    for response in (english, spanish):
        assert response.status_code == 409
        assert response.content_type == "application/problem+json"
        assert response.json["code"] == "email_taken"
    assert english.json["detail"] == "An account with this email exists."
    assert spanish.json["detail"] == "Ya existe una cuenta con este correo."

    missing = client.get("/api/v1/shops/424242", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert (missing.status_code, missing.json["code"]) == (404, "not_found")
    assert missing.json["detail"] == "No existe esa tienda."
    assert client.get("/api/v1/shops/424242").json["detail"] == "No such shop."


def _csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_page_shows_a_refusal_in_the_viewers_language(client: FlaskClient) -> None:
    body = {"email": "bo@example.com", "name": "Bo", "password": "0123456789"}
    assert client.post("/api/v1/users", json=body).status_code == 201
    wrong = {"email": "bo@example.com", "password": "not the password"}

    refused = client.post("/login", data={**wrong, "csrf_token": _csrf_token(client, "/login")})
    assert refused.status_code == 401
    assert "The email or password is wrong." in refused.get_data(as_text=True)

    client.set_cookie(LANGUAGE_COOKIE, "es")
    refused = client.post("/login", data={**wrong, "csrf_token": _csrf_token(client, "/login")})
    assert refused.status_code == 401
    page = refused.get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "El correo o la contraseña no son correctos." in page
    assert "The email or password is wrong." not in page


def _policy_actions() -> set[str]:
    """Every member of every domain's action StrEnum (``<domain>.policy``)."""
    import importlib
    from enum import StrEnum

    from stampbook.domains import DOMAINS

    found: set[str] = set()
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"stampbook.{domain}.policy")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, StrEnum)
                and value.__module__ == module.__name__
                and value.__name__.endswith("Action")
            ):
                found |= {str(member) for member in value}
    return found


def test_every_action_has_its_own_refusal(app: Flask) -> None:
    """A 403 of ``policy.require`` names the action in words: one whole sentence per action
    of every domain's policy, each its own, and none for an action that is gone."""
    from stampbook.core.policy import registered_actions

    refusals = MESSAGES["forbidden"]
    assert isinstance(refusals, Choice) and refusals.by == "action"
    actions = set(registered_actions()) | _policy_actions()
    assert {"membership.adjust", "redemption.cancel", "task.stamp"} <= actions
    assert not actions - set(refusals.options), "actions without their refusal's words"
    assert not set(refusals.options) - actions - {"other", "admin"}, "words of no action"
    sentences = [refusals.options[action].msgid for action in actions]
    assert len(set(sentences)) == len(sentences)
    assert wording.english("forbidden", {"action": "membership.adjust"}) == (
        "You may not adjust points in this program."
    )
    assert wording.english("forbidden") == "You may not do this."
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert wording.text("forbidden", {"action": "redemption.cancel"}) == (
            "No puedes anular este recibo."
        )
