"""Field types shared by the API schemas of every domain, and how request bodies are read.

What the OpenAPI document says a body may hold is what the API accepts, no more, no less:
bodies are validated as the JSON they are (:class:`JsonBodies`), and a rule the document
could not state otherwise is written into the field's JSON Schema (e.g. :data:`Keep`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apiflask.schema_adapters import registry
from apiflask.schema_adapters.pydantic import PydanticAdapter
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from sqlalchemy.orm.attributes import instance_dict
from typing_extensions import TypeAliasType

from stampbook.core import json_body
from stampbook.core.errors import JsonTooDeep, MalformedJson, ValidationFailed

if TYPE_CHECKING:
    from flask import Request

# What str.strip() removes (the characters of str.isspace()), spelled out so that a pattern
# means the same in the document (ECMA-262 regexes) as here.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Somewhere a character that is not a space: the text is not blank.
NOT_BLANK = f"[^{_SPACE}]"
# Text that is stored stripped: its length limits apply to what is sent.
Strip = AfterValidator(str.strip)
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK), Strip]
Summary = Annotated[str, StringConstraints(max_length=280)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Icon = Annotated[str, StringConstraints(max_length=64)]
# Points, costs and quantities: whole numbers, never fractions, far below 2**63.
Points = Annotated[int, Field(ge=0, le=10**12, strict=True)]
PositivePoints = Annotated[int, Field(ge=1, le=10**12, strict=True)]

_ZONES = frozenset(available_timezones())
T = TypeVar("T")


def _check_time_zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError("not an IANA time zone name, e.g. 'Europe/Madrid'")
    try:
        ZoneInfo(value)
    except ZoneInfoNotFoundError as error:  # pragma: no cover - listed zones always load
        raise ValueError("unknown time zone") from error
    return value


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# The special-use domains (RFC 6761) that addresses are refused at, so the document says so.
SPECIAL_USE_DOMAIN = f"[@.]({'|'.join(map(_any_case, SPECIAL_USE_DOMAIN_NAMES))})$"
Email = Annotated[EmailStr, Field(json_schema_extra={"not": {"pattern": SPECIAL_USE_DOMAIN}})]

# An instant as the document's "date-time" format has it (RFC 3339): a "T", seconds, an offset.
RFC_3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"


def _rfc_3339(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if re.fullmatch(RFC_3339, value) is None:
        raise ValueError("not a date-time like 2030-01-31T23:00:00Z (RFC 3339, with an offset)")
    return datetime.fromisoformat(value.upper())


Moment = Annotated[AwareDatetime, BeforeValidator(_rfc_3339)]


def _zone_pattern(zones: Iterable[str]) -> str:
    # Zone names hold letters, digits, "/", "_", "-" and "+": only "+" means something in a
    # pattern (ECMA-262 and Python alike), and "-" may not be escaped outside a class in ECMA.
    return "^(" + "|".join(zone.replace("+", "\\+") for zone in sorted(zones)) + ")$"


# One named component of the document (a type alias is a ``$defs`` entry of its own). Not an
# enum: generators turn enum values into identifiers, and "GMT+0", "GMT-0" and "GMT0" collide.
# The pattern admits exactly the names the API accepts; ``x-time-zones`` lists them.
TimeZone = TypeAliasType(
    "TimeZone",
    Annotated[
        str,
        AfterValidator(_check_time_zone),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": _zone_pattern(_ZONES),
                "description": "An IANA time zone name, e.g. Europe/Madrid; x-time-zones "
                "lists every name accepted.",
                "examples": ["Europe/Madrid"],
                "x-time-zones": sorted(_ZONES),
            }
        ),
    ],
)


def refuse_null(value: Any) -> Any:
    """For PATCH bodies: a field may be left out, but a required field may not be emptied."""
    if value is None:
        raise ValueError("may not be null; leave the field out to keep it")
    return value


def _without_null(schema: dict[str, Any]) -> None:
    variants = [v for v in schema.pop("anyOf", []) if v != {"type": "null"}]
    if len(variants) == 1:
        schema.update(variants[0])
    elif variants:
        schema["anyOf"] = variants
    schema.pop("default", None)


# A PATCH field that may be left out (the value is kept) but not sent as null: the document
# admits no null for it, and the API refuses one.
Keep = Annotated[T | None, AfterValidator(refuse_null), Field(json_schema_extra=_without_null)]


# JSON Schema for the rules between fields of one body (a model's ``json_schema_extra``).
def sent(field: str, value: dict[str, Any] | None = None) -> dict[str, Any]:
    """``field`` is in the body and not null (and, given ``value``, matches it)."""
    return {"required": [field], "properties": {field: value or {"not": {"type": "null"}}}}


def exactly_one(*fields: str) -> dict[str, Any]:
    return {"oneOf": [sent(field) for field in fields]}


def at_most_one(*fields: str) -> dict[str, Any]:
    return {"not": {"anyOf": [{"allOf": [sent(a), sent(b)]} for a, b in combinations(fields, 2)]}}


def only_if(condition: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"not": condition}, then]}


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused, so nothing is mass-assigned."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserRef(Output):
    """Someone named in an answer: their id and display name."""

    id: int = Field(examples=[7])
    name: str = Field(examples=["Grace"])


def fields_of(obj: object, model: type[BaseModel]) -> dict[str, Any]:
    """The fields of ``model`` read off an ORM object, to validate as a dict.

    ``from_attributes`` reads each field through SQLAlchemy's instrumented attribute, which
    costs several times more than taking the loaded column from the object's dict: on a list
    of fifty it cost more than the list's query. A column not loaded, or a property, is read
    as an attribute.
    """
    loaded = instance_dict(obj)
    return {
        name: loaded[name] if name in loaded else getattr(obj, name) for name in model.model_fields
    }


# Every text of a request matches this (the document says so of each).
NUL_FREE = "^[^\\u0000]*$"
NUL_MESSAGE = "Text may not contain the character U+0000."
# A whole number written with a fraction or an exponent and this many digits or more stays a
# float (refused where an integer is wanted): 1e999999 never becomes a million-digit int.
_MAX_DIGITS = 30


def _json_number(text: str) -> int | float:
    """JSON has one number type, and JSON Schema reads ``5.0`` as the integer 5; so do we."""
    number = Decimal(text)
    if number.is_finite() and number.adjusted() < _MAX_DIGITS and number == number.to_integral():
        return int(number)
    return float(text)


def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "location": "json",
            "field": ".".join(str(part) for part in e["loc"]) or "_schema",
            "message": e["msg"],
        }
        for e in error.errors()
    ]


def _nul_errors(value: Any, location: str, path: str = "") -> list[dict[str, str]]:
    """U+0000 in text: no database keeps it (PostgreSQL refuses it), so neither do we."""
    if isinstance(value, str):
        if "\x00" not in value:
            return []
        return [{"location": location, "field": path or "_schema", "message": NUL_MESSAGE}]
    items: Iterable[tuple[Any, Any]] = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    errors = []
    for key, item in items:
        field = f"{path}.{key}" if path else str(key)
        errors += _nul_errors(key, location, field) + _nul_errors(item, location, field)
    return errors


def read_json(raw: bytes, *, parse_float: Callable[[str], Any]) -> Any:
    """A body as JSON (numbers with a fraction through ``parse_float``), or the problem a
    client gets: too deep (``json_too_deep``), or not JSON (``malformed_json``). Every body
    goes through it: the API's, and the signed webhooks' once their signature holds."""
    try:
        return json_body.loads(raw, parse_float=parse_float)
    except json_body.NestedTooDeep as error:
        raise JsonTooDeep(max=json_body.MAX_DEPTH) from error
    except ValueError as error:
        raise MalformedJson() from error


class JsonBodies(PydanticAdapter):
    """Request bodies are validated as the JSON they are, by JSON's rules (Pydantic's strict
    JSON mode): no ``"5"`` for 5, no ``1`` for true, no number for a date or a time. Query
    strings, which are text, are still parsed leniently. Neither may hold U+0000."""

    def validate_input(self, request: Request, location: str, **kwargs: Any) -> BaseModel:
        if location != "json":
            query = request.args.to_dict(flat=False) if location == "query" else {}
            nul = _nul_errors(query, location)
            if nul:
                raise ValidationFailed(nul)
            return super().validate_input(request, location, **kwargs)
        data = read_json(request.get_data(cache=True), parse_float=_json_number)
        nul = _nul_errors(data, location)
        if nul:
            raise ValidationFailed(nul)
        try:
            return self.model_class.model_validate_json(json.dumps(data), strict=True)
        except ValidationError as error:
            raise ValidationFailed(_field_errors(error)) from error


# Registered on import: every API module imports its schemas, which import this module,
# before its routes (and so their validators) are declared.
registry.register("pydantic", JsonBodies)


Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]


MAX_ORDERED = 1000


# An address the app calls out to (webhook endpoints, chat incoming webhooks): http or https,
# then a host (with a port perhaps) and no user name or password before it, and no white
# space. Whether its host may be called is core.egress's to say when it is saved and when it
# is called. "White space" differs between regex engines (ECMA's, which readers of the
# document use, Python's and Pydantic's): the characters some count and others do not are
# named, so every engine refuses the same strings.
MAX_URL = 2000
_SPACE = r"\s\u001c-\u001f\u0085\ufeff"
URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@{_SPACE}]+([/?#][^{_SPACE}]*)?$"
CallableUrl = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_URL, pattern=URL_PATTERN)
]
# A picture's address, only shown (pages escape it): the same pattern, so every string the
# document allows is accepted (a stricter parser behind it refused "https://", which the
# document's pattern let through).
ImageUrl = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=URL_PATTERN)]


OrderedIds = Annotated[
    list[Id], Field(max_length=MAX_ORDERED, json_schema_extra={"uniqueItems": True})
]


def refuse_duplicates(ids: list[int] | None) -> list[int] | None:
    if ids is not None and len(set(ids)) != len(ids):
        raise ValueError("lists each id once")
    return ids
