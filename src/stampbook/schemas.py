"""Field types shared by the API schemas of every domain."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Summary = Annotated[str, StringConstraints(max_length=280)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Icon = Annotated[str, StringConstraints(max_length=64)]
# Points, costs and quantities: whole numbers, never fractions, far below 2**63.
Points = Annotated[int, Field(ge=0, le=10**12, strict=True)]
PositivePoints = Annotated[int, Field(ge=1, le=10**12, strict=True)]

_ZONES = frozenset(available_timezones())


def _check_time_zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError("not an IANA time zone name, e.g. 'Europe/Madrid'")
    try:
        ZoneInfo(value)
    except ZoneInfoNotFoundError as error:  # pragma: no cover - listed zones always load
        raise ValueError("unknown time zone") from error
    return value


TimeZone = Annotated[str, AfterValidator(_check_time_zone)]


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused, so nothing is mass-assigned."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
