"""Blueprints whose every route declares its policy, and the guard that enforces it.

``add_url_rule`` refuses a view without a ``@route(...)`` policy, so no route can be
registered without saying who may call it. The guard then, for each request, runs the
whole view in one unit of work: authenticate, check the route's access (and, for a shop's
API key, the scope the route names), replay or record an idempotency key, call the view,
commit once. Where the view refuses its input, a route that declares its ``subject`` first
checks that the caller may act on it at all (403 or 404 before 422: see ``_run``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError as APIFlaskHTTPError
from flask import Blueprint, Flask, Response, current_app, flash, g, make_response, request
from flask import typing as ft
from flask_babel import gettext as _

from stampbook.core import idempotency, unit_of_work
from stampbook.core.errors import (
    Forbidden,
    MalformedJson,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from stampbook.core.policy import Access, RoutePolicy, check_subject, key_in_use, policy_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Input refused by APIFlask's own checks (``core.schemas.JsonBodies`` raises ValidationFailed
# and MalformedJson for the bodies, APIFlask its HTTPError for the query strings).
INPUT_REFUSALS = frozenset({400, 422})
AUTHENTICATE = "stampbook.authenticate"


class Authenticate(Protocol):
    """Who is calling: ``None`` for nobody; raises Unauthorized for a bad credential."""

    def __call__(self, *, api: bool) -> Any: ...


def init_app(app: Flask, authenticate: Authenticate) -> None:
    """The accounts domain tells the guard how to find the caller (core knows no users)."""
    app.extensions[AUTHENTICATE] = authenticate


class MissingPolicyError(RuntimeError):
    """A route was registered without declaring its policy."""


def _check_key(policy: RoutePolicy) -> None:
    """A shop's API key calls only the routes that name the scope it needs (``key_scope``),
    public ones included; its objects are then confined to its shop by ``policy.decide``."""
    key = key_in_use()
    if key is None:
        return
    if policy.key_scope is None:
        raise Forbidden(code="api_key_not_allowed")
    if not key.grants(policy.key_scope):
        raise Forbidden(code="api_key_scope", scope=policy.key_scope)


def _check_access(policy: RoutePolicy) -> None:
    user = g.user
    _check_key(policy)
    if policy.access is Access.PUBLIC:
        return
    if user is None:
        raise Unauthorized()
    if policy.access is Access.ADMIN and not user.is_admin:
        # Admin routes are not advertised to others.
        raise NotFound() if request.method in SAFE_METHODS else Forbidden(action="admin")


def _run(
    view: Callable[..., Any], policy: RoutePolicy, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Response:
    """Call the view; a caller refused its input (a bad body or query, which APIFlask's
    ``@bp.input`` checks before the view's code runs) who may not act on the route's subject
    at all is told that instead (403 or 404): permission comes before validation. The check
    runs on refused input only, so a valid request reads nothing twice; the service still
    decides every other request."""
    try:
        return make_response(view(*args, **kwargs))
    except (ValidationFailed, MalformedJson, APIFlaskHTTPError) as refused:
        if not isinstance(refused, APIFlaskHTTPError) or refused.status_code in INPUT_REFUSALS:
            check_subject(g.user, policy, kwargs)
        raise


def guard(view: Callable[..., Any], policy: RoutePolicy, *, api: bool) -> Callable[..., Response]:
    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Response:
        def work() -> Response:
            g.user = current_app.extensions[AUTHENTICATE](api=api)
            _check_access(policy)
            key = request.headers.get(idempotency.HEADER)
            if key is None and not api:
                key = request.form.get(idempotency.FORM_FIELD) or None
            if policy.idempotent and key is not None and g.user is not None:
                response = idempotency.execute(
                    caller=f"user:{g.user.id}",
                    key=key,
                    handle=lambda: _run(view, policy, args, kwargs),
                )
                if not api and response.headers.get(idempotency.REPLAYED):
                    flash(_("This form was sent already: it was not done twice."), "info")
                return response
            return _run(view, policy, args, kwargs)

        return unit_of_work.run(work, write=request.method not in SAFE_METHODS)

    return guarded


class _GuardedRoutes:
    api = True

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if view_func is not None:
            policy = policy_of(view_func)
            if policy is None:
                name = getattr(view_func, "__qualname__", repr(view_func))
                raise MissingPolicyError(f"route {rule} ({name}) declares no @route(...) policy")
            view_func = guard(view_func, policy, api=self.api)
        super().add_url_rule(  # type: ignore[misc]
            rule, endpoint, view_func, provide_automatic_options, **options
        )


class ApiBlueprint(_GuardedRoutes, APIBlueprint):
    """A JSON API blueprint: bearer-token auth, problem+json errors, OpenAPI docs."""

    api = True


class PageBlueprint(_GuardedRoutes, Blueprint):
    """An HTML blueprint: session-cookie auth with CSRF protection."""

    api = False
