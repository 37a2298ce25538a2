"""What every page needs: the signed-in user, service calls that may be refused, and how a
refusal or a validation error lands next to the field it is about."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, request
from flask_babel import format_datetime
from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Response
from wtforms import Form

from stampbook.core.db import db
from stampbook.core.errors import AppError
from stampbook.core.pagination import CURSOR_PATTERN, MAX_ID
from stampbook.core.zones import zone

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def attempt(call: Callable[[], T]) -> T | AppError:
    """Run a service in a savepoint: a refusal undoes whatever it had begun, and comes back
    as a value for the page to show (the rest of the request's work stays)."""
    try:
        with db.session.begin_nested():
            return call()
    except AppError as error:
        return error


def act(
    call: Callable[[], T],
    done: str | Callable[[T], str],
    *,
    refused: Callable[[AppError], str] | None = None,
    category: str = "success",
) -> T | AppError:
    """A button's action: :func:`attempt` ``call`` and flash how it went, ``done`` (or what
    it makes of the result) or the refusal (in ``refused``'s words, else the service's)."""
    result = attempt(call)
    if isinstance(result, AppError):
        flash(refused(result) if refused is not None else result.detail, "danger")
    else:
        flash(done(result) if callable(done) else done, category)
    return result


@dataclass(frozen=True)
class Unsaved:
    """Why a form's input was not saved: the ``problems`` to show above the form (the others
    are next to their fields) and, when the service refused it, the ``refusal``."""

    problems: list[str]
    refusal: AppError | None = None

    def status(self, invalid: bool) -> int:
        """The refusal's status; else 422 for input that is ``invalid`` or has problems, 200
        for a form only shown."""
        if self.refusal is not None:
            return self.refusal.status
        return 422 if invalid or self.problems else 200


def save(
    checked: tuple[M | None, list[str]],
    call: Callable[[M], T],
    refused: Callable[[AppError], list[str]],
) -> T | Unsaved:
    """The rest of a form's round: the input ``checked`` by the API's own model (what
    :func:`validate` answers) goes to the service ``call`` in a savepoint (:func:`attempt`);
    a refusal goes where ``refused`` puts it, which returns what belongs to no field."""
    body, problems = checked
    if body is None:
        return Unsaved(problems)
    result = attempt(lambda: call(body))
    if isinstance(result, AppError):
        return Unsaved(refused(result), result)
    return result


def viewer_zone() -> ZoneInfo:
    """The signed-in viewer's time zone (UTC for visitors)."""
    user = g.get("user")
    return zone(user.time_zone if user is not None else None)


def local_time(moment: datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """An instant as the viewer's wall clock shows it (UTC for visitors), by Flask-Babel in
    the zone its selector gives (``core.i18n``); ``pattern`` is a CLDR date pattern."""
    if moment is None:
        return ""
    return str(format_datetime(moment, pattern))


def aware(moment: datetime | None) -> datetime | None:
    """A wall-clock time typed by the viewer, as the instant it means in their time zone."""
    return None if moment is None else moment.replace(tzinfo=viewer_zone())


def day_start(day: date | None) -> datetime | None:
    """The instant a day typed by the viewer starts, in their time zone."""
    return None if day is None else aware(datetime.combine(day, time()))


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """From the start of the day ``since`` to the end of the day ``until`` (included), in the
    viewer's time zone: a list's filter of days (None for a day not given)."""
    last = day_start(until)
    return day_start(since), None if last is None else last + timedelta(days=1)


def from_cursor(schema: type[M], **fields: Any) -> M:
    """A list's query at the page's ``cursor``; a mangled cursor starts from the first page."""
    try:
        return schema(cursor=request.args.get("cursor") or None, **fields)
    except ValidationError:
        return schema(**fields)


def field_errors(error: ValidationError | AppError) -> list[tuple[str, str]]:
    """``[(dotted field, message)]`` of a Pydantic error or a service's ValidationFailed."""
    if isinstance(error, ValidationError):
        return [
            (".".join(str(part) for part in e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in error.errors()
        ]
    listed = error.extra.get("errors")
    if isinstance(listed, list):
        return [(str(e.get("field", "")), str(e.get("message", ""))) for e in listed]
    return []


def refusal_errors(error: AppError) -> list[tuple[str, str]]:
    """A service's refusal as ``[(field, message)]``: the fields it names, else its detail."""
    return field_errors(error) or [("", error.detail)]


def place_errors(
    form: Form,
    errors: Iterable[tuple[str, str]],
    fields: Mapping[str, str] | None = None,
    *,
    fallback: str | None = None,
) -> list[str]:
    """Put each error on the form field it is about (``fields`` renames schema fields to form
    fields); return those that belong to no field, to show above the form."""
    rest: list[str] = []
    for name, message in errors:
        target = (fields or {}).get(name, name)
        field = getattr(form, target, None) or (getattr(form, fallback, None) if fallback else None)
        if field is None or not hasattr(field, "errors"):
            rest.append(f"{name}: {message}" if name else message)
            continue
        field.errors = [*list(field.errors or []), message]
    return rest


def validate(
    schema: type[M], data: dict[str, Any], form: Form, fields: Mapping[str, str] | None = None
) -> tuple[M | None, list[str]]:
    """The API's own input model checks the form: the same rules, whichever door is used."""
    try:
        return schema.model_validate(data), []
    except ValidationError as error:
        return None, place_errors(form, field_errors(error), fields)


def given(data: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the optional fields left empty: the model's defaults apply to them."""
    return {k: v for k, v in data.items() if v is not None and v != ""}


def safe_next(default: str) -> str:
    """A ``next`` target on this site only (never an open redirect)."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def go_back(default: str) -> Response:
    """Back where the form came from (its safe ``next``), else to ``default``."""
    return redirect(safe_next(default), 303)


def cursor_arg() -> str | None:
    """The list's ``cursor`` from the address, when it is one (a bad one starts over)."""
    cursor = request.args.get("cursor", "")
    return cursor if re.fullmatch(CURSOR_PATTERN, cursor) else None


def id_in(text: str | None) -> int | None:
    """An id typed in a hidden field or a form (None when it could be no id)."""
    if text is None or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
