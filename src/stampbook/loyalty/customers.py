"""The member an order, refund or activity is for: a membership of the program named by id,
or a customer found by the store's id or email, made as an unclaimed customer if new (the
``customer.added`` occurrence then lets its confirmed owner claim it, ``flows.claims``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from stampbook.core import outbox
from stampbook.core.db import db
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
    outbox.record(
        OccurrenceType.CUSTOMER_ADDED,
        shop_id=program.shop_id,
        membership_id=membership.id,
        program_id=program.id,
    )
    return membership
