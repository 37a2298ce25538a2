"""The member an order, refund or activity is for: a membership of the program named by id,
or a customer found by the store's id or email, made as an unclaimed customer if new (the
``customer.added`` occurrence then lets its confirmed owner claim it, ``flows.claims``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError

from stampbook.core import outbox
from stampbook.core.db import db, execute_core
from stampbook.core.errors import Conflict, NotFound
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.programs.models import Membership, MembershipStatus, Program


def customer(
    program: Program,
    *,
    membership_id: int | None = None,
    external_id: str | None = None,
    email: str | None = None,
) -> Membership:
    """The membership, locked for this transaction (what it earns and loses is decided
    under the lock, so concurrent calls for one member take turns)."""
    if membership_id is not None:
        found = locked(program, Membership.id == membership_id)
        if found is None:
            raise NotFound(thing="membership")
    else:
        email = email.strip().lower() if email else None
        match = (
            Membership.external_id == external_id
            if external_id is not None
            # The customer's own address, never a user's unconfirmed one: points for an
            # address go to its account only once the account confirms it (flows.claims).
            else Membership.email == email
        )
        found = locked(program, match) or _add(program, email=email, external_id=external_id)
    if found.status != MembershipStatus.ACTIVE:
        raise Conflict(code="membership_not_active")
    return found


def locked(program: Program, match: object) -> Membership | None:
    """The program's first membership ``match`` finds, locked for this transaction."""
    return db.session.scalars(
        select(Membership)
        .where(Membership.program_id == program.id, match)  # type: ignore[arg-type]
        .order_by(Membership.id)
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _add(program: Program, *, email: str | None, external_id: str | None) -> Membership:
    membership = Membership(program_id=program.id, email=email, external_id=external_id)
    try:
        with db.session.begin_nested():
            db.session.add(membership)
    except IntegrityError as error:
        # Another request made the same customer at the same moment: run again and find it.
        raise RetryTransaction() from error
    _announce(program, membership)
    return membership


def _announce(program: Program, membership: Membership) -> None:
    outbox.record(
        OccurrenceType.CUSTOMER_ADDED,
        shop_id=program.shop_id,
        membership_id=membership.id,
        program_id=program.id,
    )


# --- Many at once (a customer import's batch) ----------------------------------------------


def locked_all(
    program: Program, *, external_ids: Collection[str], emails: Collection[str]
) -> list[Membership]:
    """The program's memberships with any of these store ids or emails, in one statement,
    locked in id order (the ledger's lock order)."""
    if not external_ids and not emails:
        return []
    return list(
        db.session.scalars(
            select(Membership)
            .where(
                Membership.program_id == program.id,
                or_(
                    Membership.external_id.in_(sorted(external_ids)),
                    Membership.email.in_(sorted(emails)),
                ),
            )
            .order_by(Membership.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


@dataclass(eq=False)
class NewCustomer:
    """An unclaimed customer to make with :func:`add_all`, read like a membership until then
    (its ``id`` is set when it is made)."""

    email: str | None
    external_id: str | None
    id: int = 0
    user_id: int | None = None
    status: str = MembershipStatus.ACTIVE
    balance: int = 0


_ADD = insert(Membership).returning(Membership.id, sort_by_parameter_order=True)


def add_all(program: Program, made: Sequence[NewCustomer]) -> None:
    """Make the customers in one statement, and announce each (``customer.added``). A
    customer another request made at the same moment runs the transaction again, which then
    finds it."""
    if not made:
        return
    rows = [
        {"program_id": program.id, "email": c.email, "external_id": c.external_id} for c in made
    ]
    try:
        ids = list(execute_core(_ADD, rows).scalars())
    except IntegrityError as error:
        raise RetryTransaction() from error
    for customer, membership_id in zip(made, ids, strict=True):
        customer.id = membership_id
    outbox.record_many(
        OccurrenceType.CUSTOMER_ADDED,
        shop_id=program.shop_id,
        payloads=[{"membership_id": c.id, "program_id": program.id} for c in made],
    )
