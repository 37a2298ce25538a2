"""Answering and withdrawing invitations: to a shop, or to a program, where the answer makes or
closes the invited membership."""

from __future__ import annotations

from datetime import datetime

from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict
from stampbook.programs import services as programs
from stampbook.programs.models import MembershipStatus
from stampbook.programs.policy import ProgramAction
from stampbook.shops.models import (
    InvitationStatus,
    ShopInvitation,
)
from stampbook.shops.queries import load_invitation


def _pending(actor: User, invitation_id: int, action: str) -> ShopInvitation:
    invitation = load_invitation(actor, invitation_id, action)
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(code="answered", status=invitation.status)
    return invitation


def accept_invitation(
    actor: User, invitation_id: int, *, now: datetime | None = None
) -> ShopInvitation:
    """The invitee says yes: they see the shop, or become a member of the program."""
    invitation = _pending(actor, invitation_id, ProgramAction.INVITATION_RESPOND)
    if invitation.program_id is not None:
        programs.accept_program_invitation(actor, invitation)
    invitation.user_id = actor.id
    invitation.status = InvitationStatus.ACCEPTED
    invitation.responded_at = now or utcnow()
    db.session.flush()
    return invitation


def decline_invitation(
    actor: User, invitation_id: int, *, now: datetime | None = None
) -> ShopInvitation:
    invitation = _pending(actor, invitation_id, ProgramAction.INVITATION_RESPOND)
    if invitation.program_id is not None:
        programs.release_invited(invitation.program_id, actor.id, MembershipStatus.LEFT)
    invitation.user_id = actor.id
    invitation.status = InvitationStatus.DECLINED
    invitation.responded_at = now or utcnow()
    db.session.flush()
    return invitation


def revoke_invitation(actor: User, invitation_id: int, *, now: datetime | None = None) -> None:
    """The team withdraws a pending invitation; an invited membership becomes ``removed``."""
    invitation = _pending(actor, invitation_id, ProgramAction.INVITATION_REVOKE)
    if invitation.program_id is not None and invitation.user_id is not None:
        programs.release_invited(
            invitation.program_id, invitation.user_id, MembershipStatus.REMOVED
        )
    invitation.status = InvitationStatus.REVOKED
    invitation.responded_at = now or utcnow()
    db.session.flush()
