"""Reads of customer imports and of a program's customers: the import log and an import's
failed rows as the API shows them, the customers' list and search, and the names imports
gave them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.core.folding import fold
from stampbook.core.pagination import PageQuery, decode_cursor, encode_cursor, newest_first
from stampbook.core.policy import require
from stampbook.loyalty.import_schemas import (
    CustomerImportOut,
    CustomerImportPage,
    ImportFailureOut,
    ImportFailurePage,
    ImportFailureQuery,
)
from stampbook.loyalty.import_words import reason_words
from stampbook.loyalty.models import CustomerImport, CustomerImportFailure, CustomerProfile
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.programs.models import Membership
from stampbook.programs.queries import load_program


def load_import(
    actor: User | None, import_id: int, action: str = LoyaltyAction.CUSTOMERS_IMPORT
) -> CustomerImport:
    found = db.session.get(CustomerImport, import_id)
    if found is None:
        raise NotFound(thing="customer_import")
    require(actor, action, found)
    return found


def progress(customer_import: CustomerImport) -> int:
    """Percent of the rows worked through (100 once done)."""
    if customer_import.rows_total <= 0:
        return 100 if customer_import.finished_at is not None else 0
    return min(100, customer_import.rows_done * 100 // customer_import.rows_total)


def import_out(customer_import: CustomerImport) -> CustomerImportOut:
    return CustomerImportOut(
        id=customer_import.id,
        program_id=customer_import.program_id,
        created_by=customer_import.created_by,
        file_name=customer_import.file_name,
        format=customer_import.format,
        status=customer_import.status,
        rows_total=customer_import.rows_total,
        rows_done=customer_import.rows_done,
        progress=progress(customer_import),
        rows_applied=customer_import.rows_applied,
        rows_skipped=customer_import.rows_skipped,
        rows_failed=customer_import.rows_failed,
        customers_added=customer_import.customers_added,
        points_credited=customer_import.points_credited,
        points_debited=customer_import.points_debited,
        error_code=customer_import.error_code,
        created_at=customer_import.created_at,
        started_at=customer_import.started_at,
        finished_at=customer_import.finished_at,
    )


def list_imports(actor: User | None, program_id: int, query: PageQuery) -> CustomerImportPage:
    """The program's import log, newest first."""
    program = load_program(actor, program_id, LoyaltyAction.CUSTOMERS_IMPORT)
    rows = select(CustomerImport).where(CustomerImport.program_id == program.id)
    items, next_cursor = newest_first(rows, CustomerImport.id, query)
    return CustomerImportPage(items=[import_out(i) for i in items], next_cursor=next_cursor)


def failures(actor: User | None, import_id: int, query: ImportFailureQuery) -> ImportFailurePage:
    """The rows an import could not apply, in row order, with each one's reason."""
    customer_import = load_import(actor, import_id)
    rows = (
        select(CustomerImportFailure)
        .where(CustomerImportFailure.import_id == customer_import.id)
        .order_by(CustomerImportFailure.row)
        .limit(query.limit + 1)
    )
    if query.cursor is not None:
        rows = rows.where(CustomerImportFailure.row > decode_cursor(query.cursor))
    found = db.session.scalars(rows).all()
    items = found[: query.limit]
    more = len(found) > query.limit
    return ImportFailurePage(
        items=[
            ImportFailureOut(
                row=f.row, code=f.code, detail=reason_words(f.code), identifier=f.identifier
            )
            for f in items
        ],
        next_cursor=encode_cursor(items[-1].row) if more else None,
    )


# --- A program's customers ------------------------------------------------------------------


def customer_names(membership_ids: Iterable[int]) -> dict[int, str]:
    """``{membership_id: "First Last"}`` of the customers an import (or the store) named."""
    ids = sorted(set(membership_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            CustomerProfile.membership_id, CustomerProfile.first_name, CustomerProfile.last_name
        ).where(CustomerProfile.membership_id.in_(ids))
    ).all()
    return {row[0]: " ".join(n for n in (row[1], row[2]) if n) for row in rows}


def profile_of(membership_id: int) -> CustomerProfile | None:
    return db.session.get(CustomerProfile, membership_id)


@dataclass(frozen=True)
class CustomerList:
    items: Sequence[Membership]
    next_cursor: str | None


SEARCH_LIMIT = 50


def find_customers(actor: User | None, program_id: int, q: str, page: PageQuery) -> CustomerList:
    """The program's customers (its memberships), newest first; with ``q``, those whose name
    (an account's, or the one an import gave) holds it, whose email starts with it, or whose
    store id is it (accents and case ignored)."""
    program = load_program(actor, program_id, LoyaltyAction.CUSTOMERS_VIEW)
    rows = select(Membership).where(Membership.program_id == program.id)
    q = q.strip()
    if q:
        key = fold(q)
        named = select(CustomerProfile.membership_id).where(
            CustomerProfile.membership_id == Membership.id,
            CustomerProfile.search_name.contains(key, autoescape=True),
        )
        rows = rows.where(
            or_(
                Membership.search_name.contains(key, autoescape=True),
                named.exists(),
                Membership.search_email.startswith(q.lower(), autoescape=True),
                Membership.external_id == q,
            )
        )
    items, next_cursor = newest_first(rows, Membership.id, page)
    return CustomerList(items, next_cursor)
