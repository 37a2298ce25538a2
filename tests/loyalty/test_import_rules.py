"""Reading a customer import without a database: the header's columns, each row's reason to
fail (the first in the documented order), and what a row's points do to a balance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stampbook.loyalty.import_rules import (
    COLUMNS,
    HeaderProblem,
    ImportRow,
    Mode,
    Reason,
    RowFailure,
    change,
    parse_row,
    read_header,
)

ALL = COLUMNS


def _row(**cells: str) -> list[str]:
    return [cells.get(name, "") for name in ALL]


def test_a_header_names_its_columns_in_any_order_and_case() -> None:
    assert read_header([" Email ", "IDENTIFIER", "points"]) == ("email", "identifier", "points")
    assert read_header(list(ALL)) == ALL


@pytest.mark.parametrize(
    ("cells", "unknown", "missing"),
    [
        (["email", "points"], (), ("identifier",)),
        (["identifier", "points"], (), ("email | external_id",)),
        (["identifier", "email", "point"], ("point",), ()),
        (["identifier", "email", "email"], ("email",), ()),
    ],
)
def test_a_header_missing_or_unknown_columns_is_refused(
    cells: list[str], unknown: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    with pytest.raises(HeaderProblem) as refused:
        read_header(cells)
    assert (refused.value.unknown, refused.value.missing) == (unknown, missing)


def test_a_valid_row_is_read_with_its_email_in_lower_case_and_add_by_default() -> None:
    row = parse_row(
        3,
        _row(
            identifier=" r-3 ",
            email="Ana@Example.COM",
            external_id="c-3",
            first_name="Ana",
            last_name="Ruiz",
            points="+120",
        ),
        ALL,
    )
    assert row == ImportRow(3, "r-3", "ana@example.com", "c-3", "Ana", "Ruiz", 120, Mode.ADD)


def test_fewer_cells_than_columns_leave_the_rest_empty() -> None:
    assert parse_row(1, ["r-1", "x@example.com"], ALL) == ImportRow(
        1, "r-1", "x@example.com", None, None, None, None, Mode.ADD
    )


@pytest.mark.parametrize(
    ("cells", "reason", "identifier"),
    [
        (_row(email="a@example.com"), Reason.IDENTIFIER_MISSING, None),
        (_row(identifier="x" * 101, email="a@example.com"), Reason.IDENTIFIER_INVALID, "x" * 100),
        (_row(identifier="a\x00b", email="a@example.com"), Reason.IDENTIFIER_INVALID, "a\x00b"),
        (_row(identifier="r", email="not an email"), Reason.EMAIL_INVALID, "r"),
        (_row(identifier="r", external_id="c" * 101), Reason.EXTERNAL_ID_INVALID, "r"),
        (
            _row(identifier="r", email="a@example.com", first_name="n" * 101),
            Reason.NAME_INVALID,
            "r",
        ),
        (_row(identifier="r", email="a@example.com", points="-5"), Reason.POINTS_INVALID, "r"),
        (_row(identifier="r", email="a@example.com", points="1.5"), Reason.POINTS_INVALID, "r"),
        (
            _row(identifier="r", email="a@example.com", points=str(10**12 + 1)),
            Reason.POINTS_INVALID,
            "r",
        ),
        (_row(identifier="r", email="a@example.com", mode="double"), Reason.MODE_INVALID, "r"),
        (_row(identifier="r", first_name="Ana"), Reason.CUSTOMER_MISSING, "r"),
        ([*_row(identifier="r", email="a@example.com"), "extra"], Reason.COLUMNS_INVALID, "r"),
        # The first reason in the columns' order is the row's.
        (_row(identifier="r", email="bad", points="bad"), Reason.EMAIL_INVALID, "r"),
    ],
)
def test_each_bad_row_has_its_reason(
    cells: list[str], reason: Reason, identifier: str | None
) -> None:
    assert parse_row(7, cells, ALL) == RowFailure(7, reason, identifier)


def test_set_and_add_are_read_in_any_case() -> None:
    row = parse_row(1, _row(identifier="r", external_id="c", points="0", mode="SET"), ALL)
    assert isinstance(row, ImportRow) and (row.points, row.mode) == (0, Mode.SET)


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_add_credits_and_set_moves_the_balance_to_the_points(points: int, balance: int) -> None:
    assert change(Mode.ADD, points, balance) == points
    assert balance + change(Mode.SET, points, balance) == points
