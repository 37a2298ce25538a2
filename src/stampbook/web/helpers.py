"""What every page needs: the signed-in user, service calls that may be refused, and how a
refusal or a validation error lands next to the field it is about."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import request
from pydantic import BaseModel, ValidationError
from wtforms import Form

from stampbook.accounts.auth import current_user
from stampbook.accounts.models import User
from stampbook.db import db
from stampbook.errors import AppError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def me() -> User:
    user = current_user()
    assert user is not None  # the route's Access.USER guarantees it
    return user


def attempt(call: Callable[[], T]) -> T | AppError:
    """Run a service in a savepoint: a refusal undoes whatever it had begun, and comes back
    as a value for the page to show (the rest of the request's work stays)."""
    try:
        with db.session.begin_nested():
            return call()
    except AppError as error:
        return error


def viewer_zone() -> ZoneInfo:
    user = current_user()
    try:
        return ZoneInfo(user.time_zone) if user is not None and user.time_zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the viewer's wall clock shows it (UTC for visitors)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(viewer_zone()).strftime(fmt)


def aware(moment: datetime | None) -> datetime | None:
    """A wall-clock time typed by the viewer, as the instant it means in their time zone."""
    return None if moment is None else moment.replace(tzinfo=viewer_zone())


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
