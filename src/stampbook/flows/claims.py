"""Claiming: an unclaimed customer's membership (points a shop kept under an email address
before its owner had an account) becomes the account's, once the account has confirmed it
owns that address. Nobody claims points by typing someone else's address: an unconfirmed
address claims nothing.

It happens when the address is confirmed (``flows.confirmations``), and when a customer is
added under, or their store moves them to, an address already a confirmed account's (the
``customer.added`` and ``customer.email_changed`` occurrences, through the outbox's consumer
below).
"""

from __future__ import annotations

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.accounts.queries import confirmed_owner
from stampbook.core import outbox
from stampbook.core.db import db, utcnow
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.programs.models import Membership, MembershipRole, MembershipStatus, Program
from stampbook.programs.rules import merged_status
from stampbook.programs.services import close_invitations
from stampbook.shops.models import InvitationStatus

CONSUMER_NAME = "claims"
TYPES = frozenset({OccurrenceType.CUSTOMER_ADDED, OccurrenceType.CUSTOMER_EMAIL_CHANGED})


def claim_customers(user: User) -> int:
    """Hand ``user`` every customer membership kept under their confirmed address; the
    number handed over. A customer in a program where the user is already a member has its
    points moved to the user's membership by a ledger transfer, and is archived."""
    if not user.email_verified or user.is_deleted:
        return 0
    customers = db.session.scalars(
        select(Membership)
        .where(
            Membership.user_id.is_(None),
            Membership.email == user.email,
            Membership.status != MembershipStatus.ARCHIVED,
        )
        .order_by(Membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for customer in customers:
        own = db.session.scalars(
            select(Membership)
            .where(Membership.program_id == customer.program_id, Membership.user_id == user.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if own is None:
            _take(user, customer)
        else:
            _fold(user, customer, own)
    db.session.flush()
    return len(customers)


def _take(user: User, customer: Membership) -> None:
    customer.user_id = user.id
    customer.role_type = MembershipRole.MEMBER
    db.session.flush()  # the database's triggers copy the user's search keys onto it
    if customer.status == MembershipStatus.ACTIVE:
        program = db.session.get(Program, customer.program_id)
        assert program is not None
        outbox.record(
            OccurrenceType.MEMBER_JOINED,
            shop_id=program.shop_id,
            membership_id=customer.id,
            program_id=program.id,
            user_id=user.id,
            role=customer.role_type,
        )


def _fold(user: User, customer: Membership, own: Membership) -> None:
    if customer.balance > 0:
        ledger.transfer(
            from_membership_id=customer.id,
            to_membership_id=own.id,
            amount=customer.balance,
            kind=EntryKind.MERGE,
            actor_id=user.id,
            cause_type="customer_claim",
            cause_id=customer.id,
            note=f"Customer membership {customer.id} claimed by user {user.id}",
        )
    status = merged_status(own.status, customer.status)
    if status != own.status == MembershipStatus.INVITED:
        close_invitations(own.program_id, user.id, InvitationStatus.ACCEPTED, utcnow())
    own.status = status
    customer.status = MembershipStatus.ARCHIVED


def handle(occurrence: Occurrence) -> None:
    """``customer.added``, ``customer.email_changed``: if the customer's address is a confirmed
    account's, it is theirs."""
    customer = db.session.get(Membership, occurrence.payload["membership_id"])
    if customer is None or customer.user_id is not None or customer.email is None:
        return
    user = confirmed_owner(customer.email)
    if user is not None:
        claim_customers(user)
