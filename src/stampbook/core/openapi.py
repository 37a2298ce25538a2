"""The OpenAPI document's house rules: problem+json errors, bearer security, local assets.

APIFlask builds the document from the routes and Pydantic schemas; this module post-processes
it so that it tells the truth about what the error handler and the policy actually do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import flask_swagger_ui
from apiflask import APIFlask

from stampbook.core.errors import PROBLEM_JSON
from stampbook.core.idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH
from stampbook.core.pagination import MAX_ID
from stampbook.core.policy import Access, policy_of
from stampbook.core.schemas import NUL_FREE

ASSETS = Path(flask_swagger_ui.__file__).parent / "dist"
ASSET_URL = "/api/v1/docs/assets/"
DOCS_PATHS = ("/api/v1/docs",)

SETTINGS: dict[str, Any] = {
    "INFO": {
        "description": (
            "The JSON API of stampbook. Authenticate with `POST /api/v1/tokens` and send "
            "`Authorization: Bearer <token>`. Errors are `application/problem+json` with a "
            "stable `code`. Writes that move points accept an `Idempotency-Key` header."
        ),
    },
    "SECURITY_SCHEMES": {"BearerAuth": {"type": "http", "scheme": "bearer"}},
    "SWAGGER_UI_CSS": ASSET_URL + "swagger-ui.css",
    "SWAGGER_UI_BUNDLE_JS": ASSET_URL + "swagger-ui-bundle.js",
    "SWAGGER_UI_STANDALONE_PRESET_JS": ASSET_URL + "swagger-ui-standalone-preset.js",
    "DOCS_FAVICON": "/static/favicon.svg",
    "AUTO_404_RESPONSE": False,
    "AUTO_AUTH_ERROR_RESPONSE": False,
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable; switch on this."},
        "errors": {
            "type": "array",
            "description": "Each bad field of a validation error.",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

ERROR_DESCRIPTIONS = {
    "400": "Bad request (malformed JSON, bad header)",
    "401": "Authentication required or failed",
    "403": "Not allowed",
    "404": "Not found, or not visible to the caller",
    "405": "Method not allowed",
    "409": "Refused by the current state (points, stock, limits, duplicates)",
    "413": "Body too large",
    "415": "Body is not application/json",
    "422": "Invalid fields",
    "429": "Too many requests; see Retry-After",
    "503": "Temporarily unavailable; retry",
}
# Any route answers 401 to a bad bearer token, even a public one.
ALWAYS = ("400", "401", "404", "405", "422", "503")
WITH_BODY = ("413", "415")
WITH_AUTH = ("403",)

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def content_security_policy(path: str) -> str:
    # The docs page is the one place with an inline script (Swagger UI's bootstrap).
    script = "'self' 'unsafe-inline'" if path.startswith(DOCS_PATHS) else "'self'"
    return (
        f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def _problem_response(status: str) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _forbid_nul(schema: dict[str, Any]) -> None:
    """Say of every free text in a request schema that it holds no U+0000 (the API refuses it)."""
    if schema.get("type") == "string" and not {"format", "enum", "const"} & schema.keys():
        if "pattern" in schema:
            schema.setdefault("allOf", []).append({"pattern": NUL_FREE})
        else:
            schema["pattern"] = NUL_FREE
    for keyword in ("properties", "patternProperties"):
        for child in schema.get(keyword, {}).values():
            _forbid_nul(child)
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), dict):
            _forbid_nul(schema[keyword])
    for keyword in ("prefixItems", "anyOf", "allOf", "oneOf"):
        for child in schema.get(keyword, []):
            _forbid_nul(child)


def _request_schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas of request bodies (with their nested models) and of query parameters."""
    schemas = spec.get("components", {}).get("schemas", {})
    found: list[dict[str, Any]] = []
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    found.append(parameter["schema"])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            ref = body and body["schema"].get("$ref", "")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                found += [s for n, s in schemas.items() if n == name or n.startswith(name + ".")]
    # One component may serve several operations: each is processed once.
    return list({id(schema): schema for schema in found}.values())


def _process(app: APIFlask, spec: dict[str, Any]) -> dict[str, Any]:
    spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for schema_name in ("HTTPError", "ValidationError"):
        spec["components"]["schemas"].pop(schema_name, None)
    policies = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        policy = policy_of(view) if view else None
        for method in rule.methods or ():
            policies[(_CONVERTER.sub(r"{\1}", rule.rule), method.lower())] = policy
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            policy = policies.get((path, method))
            responses = operation.setdefault("responses", {})
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    # What the routes' converter matches (see app.IdConverter); no object has
                    # id 0, which is answered 404 like any id of nothing.
                    parameter["schema"].update(minimum=0, maximum=MAX_ID)
            if "requestBody" in operation:
                # The views need their body: sending none is a client error (400), not a default.
                operation["requestBody"]["required"] = True
            statuses = set(ALWAYS) | {s for s in responses if s[0] in "45"}
            if method in {"post", "put", "patch"}:
                statuses |= set(WITH_BODY)
            if method != "get":
                # Any write may meet a unique or foreign key constraint (see the error handler).
                statuses.add("409")
            if policy is not None and policy.access is not Access.PUBLIC:
                statuses |= set(WITH_AUTH)
                operation["security"] = [{"BearerAuth": []}]
            for status in statuses:
                responses[status] = _problem_response(status)
            if policy is not None and policy.idempotent:
                operation.setdefault("parameters", []).append(
                    {
                        "name": HEADER,
                        "in": "header",
                        "required": False,
                        "description": "Repeat a request safely: same key and body, one effect.",
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": MAX_KEY_LENGTH,
                            "pattern": KEY_PATTERN,
                        },
                    }
                )
    for schema in _request_schemas(spec):
        _forbid_nul(schema)
    # A blueprint whose routes each name their resource's tag (flows') leaves its own unused.
    used = {
        tag
        for ops in spec.get("paths", {}).values()
        for op in ops.values()
        for tag in op.get("tags", ())
    }
    spec["tags"] = [tag for tag in spec.get("tags", []) if tag["name"] in used]
    return spec


def init_app(app: APIFlask) -> None:
    def process(spec: Any) -> Any:
        return _process(app, spec)

    app.spec_processor(process)
