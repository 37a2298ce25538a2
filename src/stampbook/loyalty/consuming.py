"""What loyalty does with what others announce: a member who joins a program (or a customer
claimed by their account, ``flows.claims``) earns its signup rule, once per membership."""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy import select

from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.outbox import Occurrence
from stampbook.loyalty.crediting import credit, signup_reference
from stampbook.loyalty.models import EarningRule, RuleKind
from stampbook.loyalty.rules import in_window
from stampbook.programs.models import Membership, MembershipRole, MembershipStatus, Program

CONSUMER_NAME = "loyalty_signup"
TYPES = frozenset({OccurrenceType.MEMBER_JOINED})


def handle(occurrence: Occurrence) -> None:
    if occurrence.payload["role"] != MembershipRole.MEMBER:
        return  # the program's team earns no signup points
    membership = db.session.scalars(
        select(Membership)
        .where(Membership.id == occurrence.payload["membership_id"])
        .with_for_update()
    ).first()
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return
    program = db.session.get(Program, membership.program_id)
    signup = db.session.scalars(
        select(EarningRule).where(
            EarningRule.program_id == membership.program_id,
            EarningRule.kind == RuleKind.SIGNUP,
            EarningRule.deleted_at.is_(None),
        )
    ).first()
    if program is None or program.is_archived or signup is None:
        return
    if not in_window(signup.starts_at, signup.ends_at, occurrence.occurred_at):
        return
    # A rule's limit reached (say, once ever per member) is a refusal, not a failure to retry.
    with suppress(Conflict):
        credit(
            signup,
            membership,
            program,
            reference=signup_reference(membership.id),
            actor_id=None,
            now=occurrence.occurred_at,
        )
