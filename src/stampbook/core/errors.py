"""One error hierarchy with stable codes, and the one handler that answers every error.

The API (paths under /api/) answers ``application/problem+json`` (RFC 9457); pages get an
HTML error page. No stack trace ever leaves the server: unexpected errors are logged and
answered as a bare ``internal_error``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from apiflask.exceptions import HTTPError as APIFlaskHTTPError
from flask import Flask, Response, json, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from stampbook.core import wording

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "https://stampbook.dev/problems/"
PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """An error the caller can act on. ``code`` is stable: clients switch on it.

    The words are not the raise site's: ``detail`` is the code's message in
    ``core.wording``, filled in with ``params`` (the keyword arguments), in the request's
    language. ``extra`` goes into the problem JSON as it is (``resets_at``, ``errors``...).
    """

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self, *, code: str | None = None, extra: Mapping[str, Any] | None = None, **params: Any
    ):
        if code is not None:
            self.code = code
        self.params = params
        self.extra = dict(extra or {})
        super().__init__(wording.english(self.code, params))

    @property
    def detail(self) -> str:
        """The code's message with its parameters, in the request's language."""
        return wording.text(self.code, self.params)


class ValidationFailed(AppError):
    status, code, title = 422, "validation_failed", "The request has invalid fields"

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(extra={"errors": errors})

    @property
    def detail(self) -> str:
        """Each bad field and what is wrong with it."""
        errors = self.extra["errors"]
        return "; ".join(f"{e['field']}: {e['message']}" for e in errors) or super().detail


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(AppError):
    """The request is valid but the current state refuses it (no points, no stock...)."""

    status, code, title = 409, "conflict", "Conflict"


class InsufficientPoints(Conflict):
    code, title = "insufficient_points", "Not enough points"


class IdempotencyKeyReused(AppError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency key reused"


class MalformedJson(AppError):
    status, code, title = 400, "malformed_json", "Malformed JSON"


class JsonTooDeep(AppError):
    status, code, title = 400, "json_too_deep", "JSON nested too deep"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service temporarily unavailable"


# Werkzeug's errors mapped to stable codes.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if headers:
        response.headers.update(headers)
    return response


def _render(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response | tuple[str, int, dict[str, str]]:
    if _wants_json():
        return problem(status, code, title, detail, headers, **extra)
    html = render_template("error.html", status=status, code=code, title=title, detail=detail)
    return html, status, headers or {}


def _validation_errors(detail: dict[str, Any]) -> list[dict[str, str]]:
    """Flatten APIFlask's ``{location: {field: [messages]}}`` into a list of bad fields."""
    errors = []
    for location, fields in detail.items():
        if not isinstance(fields, dict):
            errors.append({"location": location, "field": location, "message": str(fields)})
            continue
        for field, messages in fields.items():
            for message in messages if isinstance(messages, list) else [messages]:
                errors.append({"location": location, "field": field, "message": str(message)})
    return errors


def _str_headers(headers: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(headers or {}).items()}


def handle_app_error(error: AppError) -> Any:
    return _render(error.status, error.code, error.title, error.detail, **error.extra)


def handle_apiflask_error(error: APIFlaskHTTPError) -> Any:
    status = error.status_code
    if status == 422 and isinstance(error.detail, dict):
        errors = _validation_errors(error.detail)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return _render(
            422,
            "validation_failed",
            ValidationFailed.title,
            detail,
            _str_headers(error.headers),
            errors=errors,
        )
    code = _HTTP_CODES.get(status, "error")
    return _render(
        status, code, str(error.message), str(error.message), _str_headers(error.headers)
    )


def _http_detail(error: HTTPException, code: str) -> str:
    """The words of a Werkzeug error: the app's for an unknown address (a path no route
    matches, an id too large to exist included) and a method the address does not take;
    else Werkzeug's (or those given where it was raised)."""
    if error.description == type(error).description:
        if code == "not_found":
            return wording.text("not_found", {"thing": "url"})
        if code == "method_not_allowed":
            return wording.text("method_not_allowed", {"method": request.method})
    return str(error.description or error.name)


def handle_http_exception(error: HTTPException) -> Any:
    status = error.code or 500
    code = _HTTP_CODES.get(status, "error")
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return _render(status, code, error.name, _http_detail(error, code), headers)


def handle_database_unavailable(error: OperationalError | PoolTimeoutError) -> Any:
    # A lost connection, a restart or a full pool: the client may retry, so 503, not 500.
    logger.warning("database unavailable: %s", type(error).__name__)
    return _render(
        503,
        "service_unavailable",
        ServiceUnavailable.title,
        wording.text("service_unavailable"),
        {"Retry-After": "5"},
    )


def handle_unexpected(error: Exception) -> Any:
    logger.exception("unexpected error on %s %s", request.method, request.path)
    return _render(
        500,
        "internal_error",
        "Internal server error",
        wording.text("internal_error"),
    )


def handle_integrity_error(error: IntegrityError) -> Any:
    # A unique or foreign key constraint caught a race the service's own check could not see.
    logger.info("integrity error: %s", type(error.orig).__name__)
    return _render(
        409,
        "conflict",
        Conflict.title,
        wording.text("conflict"),
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(APIFlaskHTTPError, handle_apiflask_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeoutError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
