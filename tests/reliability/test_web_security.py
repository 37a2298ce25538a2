"""Web security across the whole app (cases 28 to 33), walked from the URL map.

What ``tests/accounts/test_security.py`` and ``tests/web/test_accounts_pages.py`` already
prove (login sets HttpOnly/SameSite cookies, logout ends a copied cookie, password change
ends other tokens and sessions, API login failures look alike) is not repeated here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import extract_parameters
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from stampbook.accounts import passwords
from stampbook.accounts.auth import SESSION_TOKEN
from stampbook.app import LIBRARY_ENDPOINTS
from stampbook.core.db import Base, db
from stampbook.core.openapi import DOCS_PATHS
from stampbook.core.policy import Access, policy_of
from tests.conftest import make_test_app
from tests.factories.accounts import PASSWORD, make_user
from tests.reliability.authz_calls import (
    call,
    collection_app,
    routes_at_collection,
    seeded_world,
    url_for_route,
)
from tests.reliability.authz_table import EXPECTED, Case
from tests.reliability.authz_world import (
    BODY_METHODS,
    World,
    browser,
    csrf_token,
    is_page,
    rolled_back,
)

ROUTES = routes_at_collection()
# The one-click unsubscribe is posted by mail clients with no form (RFC 8058): its signed token
# is the proof, and it alone is exempt from CSRF (tests/notifications/test_email.py).
CSRF_EXEMPT = {("unsubscribe_pages.confirm_unsubscribe", "POST")}
PAGE_WRITES = [
    r
    for r in ROUTES
    if r[1] in BODY_METHODS and is_page(collection_app(), r[0]) and r not in CSRF_EXEMPT
]
API_WRITES = [r for r in ROUTES if r[1] in BODY_METHODS and not is_page(collection_app(), r[0])]
SIGNED_IN_API_WRITES = [
    (endpoint, method)
    for endpoint, method in API_WRITES
    if getattr(policy_of(collection_app().view_functions[endpoint]), "access", None)
    is not Access.PUBLIC
]


# The hasher the app really uses (the seeded world swaps in a cheap one while it lives).
REAL_HASHER = passwords._hasher


@pytest.fixture(scope="module")
def seeded(app: Flask, engine: Engine) -> Iterator[tuple[Session, World]]:
    with seeded_world(app, engine) as seeded:
        yield seeded


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table: "changes nothing" means this is equal before and after."""
    session.expire_all()
    return {
        table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
        for table in Base.metadata.sorted_tables
    }


def case_of(endpoint: str, method: str) -> Case:
    return EXPECTED.get((endpoint, method)) or pytest.fail(f"{method} {endpoint} has no Case")


def is_signed_in(client: FlaskClient) -> bool:
    return "Log out" in client.get("/").get_data(as_text=True)


# --- CSRF on every cookie-authenticated write (case 28) ---------------------------------------


def test_the_walk_finds_the_page_writes() -> None:
    assert ("account_pages.logout", "POST") in PAGE_WRITES
    assert ("account_pages.login", "POST") in PAGE_WRITES


@pytest.mark.parametrize("foreign_token", [False, True], ids=["missing", "foreign"])
@pytest.mark.parametrize(("endpoint", "method"), PAGE_WRITES)
def test_page_writes_need_the_csrf_token(
    app: Flask, seeded: tuple[Session, World], endpoint: str, method: str, foreign_token: bool
) -> None:
    """A signed-in browser posting without its own CSRF token is refused and changes nothing."""
    session, world = seeded
    case = case_of(endpoint, method)
    with rolled_back(session):
        client = browser(app, world, "member")
        url = url_for_route(app, world, endpoint, method, case)
        with app.app_context():  # a body may depend on the app's settings (a door code's key)
            body = case.body(world, "member") if callable(case.body) else dict(case.body or {})
        if foreign_token:  # valid, but for another session
            body["csrf_token"] = csrf_token(browser(app, world, "creator"))
        before = snapshot(session)
        response = client.open(url, method=method, data=body)
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert "This form has expired" in response.get_data(as_text=True)
        assert snapshot(session) == before
        assert is_signed_in(client)


@pytest.mark.parametrize(("endpoint", "method"), SIGNED_IN_API_WRITES)
def test_the_api_ignores_the_session_cookie(
    app: Flask, seeded: tuple[Session, World], endpoint: str, method: str
) -> None:
    """API routes skip CSRF because only a bearer token signs in there, never the cookie."""
    session, world = seeded
    case = case_of(endpoint, method)
    with rolled_back(session):
        client = browser(app, world, "creator")
        url = url_for_route(app, world, endpoint, method, case)
        with app.app_context():
            body = case.body(world, "creator") if callable(case.body) else case.body
        before = snapshot(session)
        response = client.open(url, method=method, json=body)
        assert response.status_code == 401, response.json
        assert snapshot(session) == before


def test_a_session_token_is_not_a_bearer_token(app: Flask, seeded: tuple[Session, World]) -> None:
    _, world = seeded
    headers = {"Authorization": f"Bearer {world.cookie['member']}"}
    assert app.test_client().get("/api/v1/users/me", headers=headers).status_code == 401


# --- Session cookies (case 29) ----------------------------------------------------------------


@pytest.fixture
def production_app(
    seeded: tuple[Session, World],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Flask:
    """The app as STAMPBOOK_ENV=production configures it, on the seeded world's connection."""
    monkeypatch.setenv("STAMPBOOK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret-" + "x" * 40)
    monkeypatch.setenv("STAMPBOOK_INSTANCE", str(tmp_path))
    app = make_test_app(database_url, tmp_path)
    session, _ = seeded
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with app.app_context():
        db.bind_session_factory(factory)
    return app


def _session_cookie_header(response: Any) -> str:
    return next(
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("stampbook_session=")
    )


@pytest.mark.parametrize("page", ["/login", "/register"])
def test_production_session_cookies_are_secure(
    production_app: Flask, seeded: tuple[Session, World], page: str
) -> None:
    session, world = seeded
    https = {"base_url": "https://localhost", "headers": {"Referer": f"https://localhost{page}"}}
    with rolled_back(session):
        client = production_app.test_client()
        form = client.get(page, **https)
        assert production_app.config["SESSION_COOKIE_SECURE"] is True
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.get_data(as_text=True))
        assert match
        fields = {"email": world.emails["member"], "password": PASSWORD}
        if page == "/register":
            fields = {"email": "new@example.com", "name": "New", "password": "a long password"}
        response = client.post(page, data={**fields, "csrf_token": match.group(1)}, **https)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        for answer in (form, response):
            header = _session_cookie_header(answer)
            assert "Secure" in header
            assert "HttpOnly" in header
            assert "SameSite=Lax" in header


def test_a_session_planted_before_login_is_worthless_after_it(
    app: Flask, seeded: tuple[Session, World]
) -> None:
    """Session fixation: an attacker who gave the victim a cookie gains nothing by it."""
    session, world = seeded
    with rolled_back(session):
        victim = app.test_client()
        token = csrf_token(victim)
        with victim.session_transaction() as planted:
            planted["planted"] = "by the attacker"
        attackers_copy = victim.get_cookie("stampbook_session")
        assert attackers_copy is not None
        response = victim.post(
            "/login",
            data={"email": world.emails["member"], "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        with victim.session_transaction() as after:
            assert "planted" not in after
            assert after[SESSION_TOKEN]
        assert is_signed_in(victim)
        attacker = app.test_client()
        attacker.set_cookie("stampbook_session", attackers_copy.value, domain="localhost")
        assert not is_signed_in(attacker)


def test_deleting_the_account_ends_its_browser_sessions(
    app: Flask, seeded: tuple[Session, World]
) -> None:
    session, world = seeded
    with rolled_back(session):
        client = browser(app, world, "member")
        assert is_signed_in(client)
        deleted = app.test_client().delete("/api/v1/users/me", headers=world.headers("member"))
        assert deleted.status_code == 204
        assert not is_signed_in(client)


# --- Login failures look the same (case 30) ---------------------------------------------------


class SpyHasher:
    """Records which hashes a login verifies against, then verifies for real."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.verified: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        result: bool = self.real.verify(password_hash, password)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SpyHasher:
    hasher = SpyHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    return hasher


def test_an_unknown_email_costs_a_hash_check_like_a_wrong_password(
    app: Flask, seeded: tuple[Session, World], spy: SpyHasher
) -> None:
    session, _ = seeded
    with rolled_back(session):
        user = make_user(session, email="known@example.com")
        # A deleted account, even one still holding a hash, is an unknown email.
        make_user(session, email="gone@example.com", deleted_at=user.created_at)
        client = app.test_client()
        answers = {}
        for email in ("known@example.com", "nobody@example.com", "gone@example.com"):
            spy.verified.clear()
            response = client.post("/api/v1/tokens", json={"email": email, "password": "wrong!"})
            answers[email] = (response.status_code, response.json)
            assert len(spy.verified) == 1, email
            expected = user.password_hash if email.startswith("known") else passwords._dummy_hash()
            assert spy.verified == [expected], email
        assert len(set(map(repr, answers.values()))) == 1
    # The dummy hash costs what a real one does, so both paths take the same time: it is made
    # with the hasher in use (here the tests' cheap one), and with the real one, real costs.
    assert extract_parameters(passwords._dummy_hash()) == extract_parameters(
        passwords._hasher.hash("any password")
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", REAL_HASHER)
        assert extract_parameters(passwords._dummy_hash()) == extract_parameters(
            REAL_HASHER.hash("any password")
        )


def test_the_login_page_fails_alike_for_unknown_emails(
    app: Flask, seeded: tuple[Session, World]
) -> None:
    session, world = seeded
    pages = []
    with rolled_back(session):
        for email in (world.emails["member"], "nobody@example.com"):
            client = app.test_client()
            token = csrf_token(client)
            response = client.post(
                "/login", data={"email": email, "password": "wrong password", "csrf_token": token}
            )
            text = response.get_data(as_text=True).replace(email, "EMAIL").replace(token, "CSRF")
            pages.append((response.status_code, text))
    assert pages[0] == pages[1]
    assert pages[0][0] == 401


# --- Security headers on every answer (case 32) ----------------------------------------------

LIBRARY_URLS = {
    "static": "/static/stampbook.css",
    "openapi.spec": "/api/v1/openapi.json",
    "openapi.docs": "/api/v1/docs",
    "openapi.swagger_ui_oauth_redirect": "/docs/oauth2-redirect",
    "bootstrap.static": "/bootstrap/static/css/bootstrap.min.css",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)


def csp_directives(response: Any) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    pairs = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: value for name, _, value in pairs}


def assert_secure_headers(response: Any, path: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}, path
    assert headers.get("X-Frame-Options") == "DENY", path
    csp = csp_directives(response)
    assert csp.get("default-src") == "'self'", path
    assert csp.get("frame-ancestors") == "'none'", path
    assert csp.get("object-src", "'none'") == "'none'", path
    docs = path.startswith(DOCS_PATHS)
    assert csp.get("script-src") == ("'self' 'unsafe-inline'" if docs else "'self'"), path


def test_the_library_urls_are_all_there() -> None:
    assert set(LIBRARY_URLS) == LIBRARY_ENDPOINTS


@pytest.mark.parametrize(("endpoint", "method"), ROUTES)
def test_every_answer_carries_the_security_headers(
    app: Flask, seeded: tuple[Session, World], endpoint: str, method: str
) -> None:
    session, world = seeded
    case = case_of(endpoint, method)
    for role in ("anonymous", "member"):
        with rolled_back(session):
            response = call(app, world, role, endpoint, method, case)
        path = url_for_route(app, world, endpoint, method, case)
        assert_secure_headers(response, path)
        if response.mimetype == "text/html":
            # Our own pages: no inline script or event handler for the CSP to have to allow.
            assert not INLINE_SCRIPT.search(response.get_data(as_text=True)), path


@pytest.mark.parametrize("endpoint", sorted(LIBRARY_URLS))
def test_library_pages_carry_the_security_headers(app: Flask, endpoint: str) -> None:
    path = LIBRARY_URLS[endpoint]
    response = app.test_client().get(path)
    assert response.status_code == 200, path
    assert_secure_headers(response, path)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/nothing", {}, 404),
        ("GET", "/nothing", {}, 404),
        ("PUT", "/api/v1/tokens", {"json": {}}, 405),
        ("GET", "/api/v1/users/me", {}, 401),
        ("POST", "/api/v1/users", {"data": "{", "content_type": "application/json"}, 400),
        ("POST", "/api/v1/users", {"data": "x", "content_type": "text/plain"}, 415),
        ("POST", "/logout", {}, 400),
    ],
)
def test_error_answers_carry_the_security_headers(
    app: Flask, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = app.test_client().open(path, method=method, **kwargs)
    assert response.status_code == status
    assert_secure_headers(response, path)


# --- The request body size limit (413) --------------------------------------------------------


# Routes whose bodies may pass MAX_CONTENT_LENGTH, up to a limit of their own (its setting).
LARGER_BODIES = {("import_pages.imports", "POST"): "CUSTOMER_IMPORT_MAX_BYTES"}


@pytest.mark.parametrize(("endpoint", "method"), [*API_WRITES, *PAGE_WRITES])
def test_oversized_bodies_are_refused_and_change_nothing(
    app: Flask,
    seeded: tuple[Session, World],
    endpoint: str,
    method: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, world = seeded
    case = case_of(endpoint, method)
    own = LARGER_BODIES.get((endpoint, method))
    if own is not None:
        # Its own limit, lowered for the test (a body of 50 MB would only make it slower).
        monkeypatch.setitem(app.config, own, 2 * app.config["MAX_CONTENT_LENGTH"])
    limit = app.config[own or "MAX_CONTENT_LENGTH"]
    with rolled_back(session):
        url = url_for_route(app, world, endpoint, method, case)
        before = snapshot(session)
        if is_page(app, endpoint):
            client = browser(app, world, "creator")
            form = {"csrf_token": csrf_token(client), "padding": "x" * limit}
            response = client.open(url, method=method, data=form)
        else:
            body = '{"padding": "' + "x" * limit + '"}'
            response = app.test_client().open(
                url,
                method=method,
                data=body,
                content_type="application/json",
                headers=world.headers("creator"),
            )
        assert response.status_code == 413, response.get_data(as_text=True)[:300]
        assert snapshot(session) == before
        assert_secure_headers(response, url)


# --- No secret, hash or stack trace in any answer or log line (case 33) ----------------------


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(f"{formatter.format(record)} {record.__dict__!r}" for record in caplog.records)


def _secrets(app: Flask, session: Session, world: World, *extra: str) -> list[str]:
    user_hashes = session.scalars(select(Base.metadata.tables["users"].c.password_hash)).all()
    return [
        PASSWORD,
        app.config["SECRET_KEY"],
        *world.bearer.values(),
        *world.cookie.values(),
        *(h for h in user_hashes if h),
        *extra,
    ]


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:6]}...) in the {where}"
    assert "Traceback" not in text or where == "logs", f"a stack trace in the {where}"
    assert 'File "' not in text or where == "logs", f"a stack trace in the {where}"


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_logging_in_leaks_nothing(
    app: Flask, seeded: tuple[Session, World], all_logs: pytest.LogCaptureFixture
) -> None:
    session, world = seeded
    email = world.emails["member"]
    with rolled_back(session):
        api = app.test_client()
        issued = api.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
        assert issued.status_code == 201
        refused = api.post("/api/v1/tokens", json={"email": email, "password": "wrong password!"})
        assert refused.status_code == 401
        browser_client = app.test_client()
        page = browser_client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(browser_client)},
        )
        assert page.status_code == 302
        short = api.post(
            "/api/v1/users",
            json={"email": "new@example.com", "name": "N", "password": "tiny pw"},
        )
        assert short.status_code == 422
        changed = api.post(
            "/api/v1/users/me/password",
            headers=world.headers("member"),
            json={"old_password": PASSWORD, "new_password": "the new password"},
        )
        assert changed.status_code == 204
        secrets = _secrets(app, session, world, "wrong password!", "tiny pw", "the new password")
        cookie = browser_client.get_cookie("stampbook_session")
        assert cookie is not None
        assert_clean(_log_text(all_logs), [*secrets, issued.json["token"], cookie.value], "logs")
        for response in (refused, page, short, changed):
            assert_clean(response.get_data(as_text=True), secrets, "answer")


def test_unexpected_errors_leak_nothing(
    app: Flask,
    seeded: tuple[Session, World],
    all_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, world = seeded

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom-internal-detail")

    monkeypatch.setattr("stampbook.accounts.services.log_in", explode)
    monkeypatch.setattr("stampbook.shops.services.update_shop", explode)
    monkeypatch.setattr("stampbook.programs.queries.membership_lines", explode)
    with rolled_back(session):
        client = app.test_client()
        answers = [
            client.post(
                "/api/v1/tokens", json={"email": world.emails["member"], "password": PASSWORD}
            ),
            client.patch(
                f"/api/v1/shops/{world.ids['shop']}",
                json={"name": "x"},
                headers=world.headers("creator"),
            ),
        ]
        signed_in = browser(app, world, "member")
        answers.append(signed_in.get("/"))
        page_login = app.test_client()
        answers.append(
            page_login.post(
                "/login",
                data={
                    "email": world.emails["member"],
                    "password": PASSWORD,
                    "csrf_token": csrf_token(page_login),
                },
            )
        )
        assert [a.status_code for a in answers] == [500, 500, 500, 500]
        secrets = _secrets(app, session, world)
        logs = _log_text(all_logs)
        logged = [r for r in all_logs.records if r.getMessage().startswith("unexpected error")]
        assert len(logged) == 4
        assert all(r.exc_info for r in logged)  # with their traces, for us only
        assert_clean(logs, secrets, "logs")
        for answer in answers:
            text = answer.get_data(as_text=True)
            assert_clean(text, [*secrets, "kaboom-internal-detail", "RuntimeError"], "answer")
