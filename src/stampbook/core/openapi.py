"""The OpenAPI document's house rules: problem+json errors, bearer security, local assets.

APIFlask builds the document from the routes and Pydantic schemas; this module post-processes
it so that it tells the truth about what the error handler and the policy actually do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_swagger_ui
from apiflask import APIFlask
from flask_limiter.util import get_qualified_name

from stampbook.core.errors import PROBLEM_JSON
from stampbook.core.extensions import limiter
from stampbook.core.idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH, REPLAYED
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
            "`Authorization: Bearer <token>`; a store's server sends one of its shop's API keys "
            "the same way. Errors are `application/problem+json` with a stable `code`. Writes "
            "that move points accept an `Idempotency-Key` header."
        ),
    },
    "SECURITY_SCHEMES": {
        "BearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A user's token (`sb_...`, from `POST /api/v1/tokens`), or a shop's API key "
                "(`sk_...`, from `POST /api/v1/shops/{shop_id}/api-keys`) for server-to-server "
                "calls. A key acts with its maker's rights in its shop only, and only on the "
                "operations that say they take keys, within its scopes (`read`, `write`); "
                "elsewhere it is refused with 403 `api_key_not_allowed` or `api_key_scope`."
            ),
        }
    },
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
# Any route answers 401 to a bad bearer token, even a public one, and 403 to a shop's API key
# it does not take.
ALWAYS = ("400", "401", "403", "404", "405", "422", "503")
WITH_BODY = ("413", "415")

# What an operation that takes a shop's API key says of it, by the scope it needs.
KEY_SCOPE_WORDS = {
    "read": "A shop's API key with the `read` scope may call this, for its own shop.",
    "write": "A shop's API key with the `write` scope may call this, for its own shop.",
}

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def content_security_policy(path: str, *, form_targets: str = "") -> str:
    """The page's policy; ``form_targets``: other origins its forms may go to (a payment
    provider's checkout)."""
    # The docs page is the one place with an inline script (Swagger UI's bootstrap).
    script = "'self' 'unsafe-inline'" if path.startswith(DOCS_PATHS) else "'self'"
    form_action = f"'self' {form_targets}".strip()
    return (
        f"default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action {form_action}"
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


_REF = "#/components/schemas/"


def _rewrite_refs(node: Any, names: dict[str, str]) -> Any:
    """``node`` with each reference to a component renamed as ``names`` says."""
    if isinstance(node, dict):
        return {
            key: (
                _REF + names.get(value[len(_REF) :], value[len(_REF) :])
                if key == "$ref" and isinstance(value, str) and value.startswith(_REF)
                else _rewrite_refs(value, names)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, names) for item in node]
    return node


def _name_components(spec: dict[str, Any]) -> None:
    """One component per type, under the type's own name.

    APIFlask registers the models nested in a body or answer once per parent, named
    ``Parent.Child`` (``ShopIn.Schedule``, ``ShopOut.Schedule``...): the same type a dozen
    times, which client generators turn into a dozen classes. The copies are one component
    named ``Child``, and every reference points to it. Two different types sharing a class
    name keep their ``Parent.Child`` names (``test_openapi`` fails on any, so they are renamed).
    """
    schemas: dict[str, Any] = spec["components"]["schemas"]
    names = {name: name.rsplit(".", 1)[-1] for name in schemas}
    while True:
        forms: dict[str, set[str]] = {}
        for name, schema in schemas.items():
            form = json.dumps(_rewrite_refs(schema, names), sort_keys=True)
            forms.setdefault(names[name], set()).add(form)
        clashing = {name for name in schemas if len(forms[names[name]]) > 1 and names[name] != name}
        if not clashing:
            break
        for name in clashing:
            names[name] = name
    renamed: dict[str, Any] = {}
    for name in sorted(schemas, key=lambda n: ("." in n, n)):
        renamed.setdefault(names[name], _rewrite_refs(schemas[name], names))
    spec["components"]["schemas"] = dict(sorted(renamed.items()))
    spec["paths"] = _rewrite_refs(spec.get("paths", {}), names)


def _referenced(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                yield value[len(_REF) :]
            else:
                yield from _referenced(value)
    elif isinstance(node, list):
        for item in node:
            yield from _referenced(item)


def _request_schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas of request bodies and query parameters, and every component they use."""
    schemas = spec.get("components", {}).get("schemas", {})
    found: list[dict[str, Any]] = []
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    found.append(parameter["schema"])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found.append(body["schema"])
    names: set[str] = set()
    pending = [name for schema in found for name in _referenced(schema)]
    while pending:
        name = pending.pop()
        if name not in names and name in schemas:
            names.add(name)
            pending += _referenced(schemas[name])
    found += [schemas[name] for name in sorted(names)]
    # One component may serve several operations: each is processed once.
    return list({id(schema): schema for schema in found}.values())


_RULES = ("allOf", "anyOf", "oneOf", "not")


def _hide_rules(schema: Any) -> None:
    """Move the rules between fields of an object (``core.schemas.sent``, ``only_if``...) into
    ``if`` with ``else: false``: the same constraint in JSON Schema, which client generators
    leave alone instead of reading each rule's fragment as a variant of the model.

    An object whose ``anyOf`` says "schedules is sent when must_stamp_during is true" is not a
    union of two models, yet generators made it one and gave up on its fragments. A reference
    with a rule beside it (``allOf: [{$ref}, {rule}]``) becomes the reference beside an ``if``.
    """
    if isinstance(schema, list):
        for item in schema:
            _hide_rules(item)
        return
    if not isinstance(schema, dict):
        return
    rules: list[Any] = []
    if "properties" in schema:
        rules = [{keyword: schema.pop(keyword)} for keyword in _RULES if keyword in schema]
    elif "allOf" in schema:
        refs = [part for part in schema["allOf"] if "$ref" in part]
        if len(refs) == 1 and all("type" not in part for part in schema["allOf"]):
            rules = [part for part in schema.pop("allOf") if "$ref" not in part]
            schema.update(refs[0])
    if rules:
        if "if" in schema:  # a condition of its own stays one, beside the rules
            rules.append({k: schema.pop(k) for k in ("if", "then", "else") if k in schema})
        schema["if"] = rules[0] if len(rules) == 1 else {"allOf": rules}
        schema["else"] = False
    for keyword in ("properties", "patternProperties"):
        for child in schema.get(keyword, {}).values():
            _hide_rules(child)
    for keyword in ("items", "additionalProperties", "prefixItems", "anyOf", "oneOf", "allOf"):
        _hide_rules(schema.get(keyword))


def _rate_limited(view: Any, method: str) -> bool:
    """Whether a Flask-Limiter limit counts ``method`` requests to ``view``."""
    limits = limiter.limit_manager.decorated_limits(get_qualified_name(view))
    return any(not limit.methods or method.lower() in limit.methods for limit in limits)


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "required": False, "schema": schema}


SECONDS = {"type": "string", "pattern": "^[0-9]+$"}
RETRY_AFTER = _header("Seconds to wait before trying again.", SECONDS)
REPLAYED_HEADER = _header(
    f"Sent (as true) when this is the stored answer to an earlier request with the same "
    f"{HEADER}, given again rather than run twice.",
    {"type": "string", "enum": ["true"]},
)
# What Flask-Limiter adds to every answer of a rate-limited route (RATELIMIT_HEADERS_ENABLED).
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": _header("Requests allowed in the current window.", SECONDS),
    "X-RateLimit-Remaining": _header("Requests left in the current window.", SECONDS),
    "X-RateLimit-Reset": _header(
        "When the window resets, in seconds since the Unix epoch.", {"type": "string"}
    ),
    "Retry-After": RETRY_AFTER,
}


def _response_headers(status: str, *, replayable: bool, rate_limited: bool) -> dict[str, Any]:
    """The headers the API may send with an answer of ``status``: the error handler's
    Retry-After on a 503, the idempotency replay mark on the answers an Idempotency-Key stores
    (any but a 5xx), Flask-Limiter's on a rate-limited route. No API route sets Location."""
    headers: dict[str, Any] = {}
    if rate_limited:
        headers.update(RATE_LIMIT_HEADERS)
    if status == "503":
        headers["Retry-After"] = RETRY_AFTER
    if replayable and status[0] in "24":
        headers[REPLAYED] = REPLAYED_HEADER
    return {name: dict(header) for name, header in headers.items()}


def _process(app: APIFlask, spec: dict[str, Any]) -> dict[str, Any]:
    spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for schema_name in ("HTTPError", "ValidationError"):
        spec["components"]["schemas"].pop(schema_name, None)
    _name_components(spec)
    policies = {}
    endpoints = {}
    limited = set()
    with app.app_context():
        for rule in app.url_map.iter_rules():
            view = app.view_functions.get(rule.endpoint)
            policy = policy_of(view) if view else None
            for method in rule.methods or ():
                key = (_CONVERTER.sub(r"{\1}", rule.rule), method.lower())
                policies[key] = policy
                endpoints[key] = rule.endpoint
                if view is not None and _rate_limited(view, method):
                    limited.add(key)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            policy = policies.get((path, method))
            # Named after the use case: the view's name, unless its @bp.doc(operation_id=...)
            # names it better (test_openapi holds them unique).
            operation.setdefault("operationId", endpoints[(path, method)].rsplit(".", 1)[-1])
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
                operation["security"] = [{"BearerAuth": []}]
            if policy is not None and policy.key_scope is not None:
                said = KEY_SCOPE_WORDS[policy.key_scope]
                operation["description"] = f"{operation.get('description', '')}\n\n{said}".strip()
            rate_limited = (path, method) in limited and app.config["RATELIMIT_HEADERS_ENABLED"]
            if (path, method) in limited:
                statuses.add("429")
            for status in statuses:
                responses[status] = _problem_response(status)
            for status, response in responses.items():
                headers = _response_headers(
                    status,
                    replayable=policy is not None and policy.idempotent,
                    rate_limited=rate_limited,
                )
                if headers:
                    response.setdefault("headers", {}).update(headers)
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
    for schema in spec["components"]["schemas"].values():
        _hide_rules(schema)
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
