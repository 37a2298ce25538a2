"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from flask import Request as FlaskRequest
from flask import Response, request
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from stampbook import config, consumers, domains
from stampbook.core import errors, i18n, openapi, outbox, routing, system
from stampbook.core.db import db
from stampbook.core.errors import MalformedJson, UnsupportedMediaType
from stampbook.core.extensions import babel, bootstrap, csrf, limiter
from stampbook.core.policy import policy_of
from stampbook.flows import reviews, seen
from stampbook.ui import pages as ui_pages

# Endpoints registered by libraries, not by us; all of them public and read-only.
LIBRARY_ENDPOINTS = {
    "static",
    "openapi.spec",
    "openapi.docs",
    "openapi.swagger_ui_oauth_redirect",
    "bootstrap.static",
}

API_PREFIX = "/api/"
UI = Path(__file__).parent / "ui"
BODY_METHODS = {"POST", "PUT", "PATCH"}


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: ids above a 64-bit integer cannot exist, so they are 404."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


class Request(FlaskRequest):
    """Malformed JSON is a client error with its own code, not a generic 400."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        raise MalformedJson()


def create_app(overrides: dict[str, Any] | None = None) -> APIFlask:
    instance_path = os.environ.get("STAMPBOOK_INSTANCE") or str(Path.cwd() / "instance")
    app = APIFlask(
        __name__,
        title="stampbook API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path="/api/v1/docs",
        json_errors=False,
        static_folder=str(UI / "static"),
        instance_path=instance_path,
        instance_relative_config=True,
    )
    app.request_class = Request
    app.url_map.converters["int"] = IdConverter
    app.config.update(config.load(app.instance_path))
    app.config.update(openapi.SETTINGS)
    app.config["BOOTSTRAP_SERVE_LOCAL"] = True
    if overrides:
        app.config.update(overrides)

    db.init_app(app)
    limiter.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    errors.init_app(app)
    routing.init_app(app, seen.authenticate)
    reviews.init_app(app)
    openapi.init_app(app)
    domains.load("models")
    domains.load("policy")
    outbox.use(consumers.CONSUMERS)

    for blueprint in domains.blueprints("api"):
        csrf.exempt(blueprint)  # bearer tokens, never cookies: no CSRF to forge
        app.register_blueprint(blueprint)
    app.register_blueprint(system.bp)
    app.register_blueprint(ui_pages.bp)
    for blueprint in domains.blueprints("pages"):
        app.register_blueprint(blueprint)
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(UI / "templates"), *domains.template_folders()]
    )
    _check_every_route_has_a_policy(app)

    app.before_request(_refuse_oversized_bodies)
    app.before_request(_refuse_non_json_bodies)
    app.after_request(_security_headers)
    return app


def _check_every_route_has_a_policy(app: APIFlask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint not in LIBRARY_ENDPOINTS and policy_of(view) is None:
            raise RuntimeError(f"endpoint {endpoint} declares no policy")


def _refuse_oversized_bodies() -> None:
    # Werkzeug refuses a big body only when a view reads it; a route without a body (a
    # DELETE, say) would otherwise act on an oversized request. Refuse it before any work.
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def _refuse_non_json_bodies() -> None:
    if (
        request.path.startswith(API_PREFIX)
        and request.method in BODY_METHODS
        and request.content_length != 0
        and request.mimetype != "application/json"
        and (request.content_length or request.headers.get("Transfer-Encoding"))
    ):
        raise UnsupportedMediaType()


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", openapi.content_security_policy(request.path))
    return response
