"""Money: decimal strings at the edges (``"59.90"``), integers of the currency's minor unit
inside (5990 cents), never floats. A currency is an ISO 4217 code; how many decimals its
minor unit has comes from CLDR (Babel): 2 for USD, 0 for JPY, 3 for BHD."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import cache
from typing import Annotated

from babel.numbers import format_currency, get_currency_precision, list_currencies
from pydantic import AfterValidator, Field

DEFAULT_CURRENCY = "USD"


@cache
def currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in currencies()


def exponent(currency: str) -> int:
    return int(get_currency_precision(currency))


def to_minor(amount: str, currency: str) -> int:
    """``"59.90"`` USD -> 5990; decimals beyond the minor unit are cut ("1.005" USD -> 100),
    never rounded up. Raises ValueError for what is not a plain non-negative decimal."""
    try:
        value = Decimal(amount)
    except InvalidOperation as error:
        raise ValueError(f"not a decimal amount: {amount!r}") from error
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a non-negative amount: {amount!r}")
    return int(value.scaleb(exponent(currency)).to_integral_value(rounding=ROUND_DOWN))


def from_minor(minor: int, currency: str) -> str:
    """5990 USD -> ``"59.90"``: the API's form."""
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def display(minor: int, currency: str, locale: str) -> str:
    """The amount as a reader of ``locale`` writes it: ``$59.90``, ``59,90 US$``."""
    return str(format_currency(Decimal(minor).scaleb(-exponent(currency)), currency, locale=locale))


def _known(code: str) -> str:
    if not is_currency(code):
        raise ValueError(f"{code} is not an ISO 4217 currency")
    return code


# A currency the API takes: the document lists them all, so a client knows before it asks.
CurrencyCode = Annotated[
    str,
    AfterValidator(_known),
    Field(
        json_schema_extra={"enum": sorted(currencies())},
        description="An ISO 4217 currency code.",
        examples=["USD"],
    ),
]
