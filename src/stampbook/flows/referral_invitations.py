"""Sharing a referral link by email (DESIGN 8.5): the member names a few friends' addresses,
the referrals domain records each invitation, and a job sends it after the request's commit
through notifications' email channel, in the member's language.

A friend is not a user, so this is not a notification kind with recipients and
preferences: it is one email per invitation, to the address the member typed, worded by the
default template ``referral_invitation.email.<language>.txt``. The job claims the row
(``queued`` to ``sending``) with a conditional update committed before it calls out, so a
repeated job never sends twice; a failure is logged and the row marked ``failed``.
"""

from __future__ import annotations

import logging
from functools import partial

from sqlalchemy import select, update

from stampbook.accounts.models import User
from stampbook.core import clock, unit_of_work
from stampbook.core.db import db
from stampbook.core.jobs import job
from stampbook.notifications.channels import Outgoing, SendFailed, email
from stampbook.notifications.links import external
from stampbook.notifications.recipients import path
from stampbook.notifications.rendering import default_template, html, render
from stampbook.programs.models import Membership, Program
from stampbook.referrals import services as referrals
from stampbook.referrals.models import ReferralCode, ReferralInvitation
from stampbook.shops.models import Shop

logger = logging.getLogger(__name__)

KIND = "referral_invitation"


def invite(actor: User, membership_id: int, emails: list[str], *, language: str) -> int:
    """Queue the invitations; they are sent after commit. Answers how many were queued."""
    rows = referrals.invite(actor, membership_id, emails, language=language)
    ids = [row.id for row in rows]
    if ids:
        unit_of_work.after_commit(lambda: send_invitations.enqueue(ids))
    return len(ids)


@job
def send_invitations(invitation_ids: list[int]) -> int:
    """Claim each queued invitation (committed with the job's transaction), then send them
    after that commit."""
    claimed = []
    for invitation_id in invitation_ids:
        moved = db.session.execute(
            update(ReferralInvitation)
            .where(ReferralInvitation.id == invitation_id, ReferralInvitation.status == "queued")
            .values(status="sending")
        )
        if getattr(moved, "rowcount", 0):
            claimed.append(_outgoing(invitation_id))
    ready = [(invitation_id, out) for invitation_id, out in claimed if out is not None]
    for invitation_id, out in claimed:
        if out is None:
            _mark(invitation_id, "failed")
    unit_of_work.after_commit(lambda: _send_all(ready))
    return len(ready)


def _outgoing(invitation_id: int) -> tuple[int, Outgoing | None]:
    row = db.session.execute(
        select(ReferralInvitation, ReferralCode.code, Program.name, Shop.name, User.name)
        .join(ReferralCode, ReferralCode.membership_id == ReferralInvitation.advocate_id)
        .join(Program, Program.id == ReferralInvitation.program_id)
        .join(Shop, Shop.id == Program.shop_id)
        .join(Membership, Membership.id == ReferralInvitation.advocate_id)
        .outerjoin(User, User.id == Membership.user_id)
        .where(ReferralInvitation.id == invitation_id)
    ).first()
    if row is None:
        return invitation_id, None
    invitation, code, program_name, shop_name, advocate_name = row
    link = external(path("referral_link_pages.landing", code=code))
    words = render(
        default_template(KIND, "email", invitation.language),
        {
            "advocate_name": advocate_name or "",
            "program_name": program_name,
            "shop_name": shop_name,
            "link": link,
            "code": code,
        },
    )
    return invitation_id, Outgoing("email", invitation.email, words.subject, words.text,
                                   html(words.text, None))  # fmt: skip


def _send_all(ready: list[tuple[int, Outgoing]]) -> None:
    for invitation_id, outgoing in ready:
        try:
            email.send(outgoing)
        except SendFailed as failed:
            logger.warning("referral invitation %s not sent: %s", invitation_id, failed.detail)
            status = "failed"
        else:
            status = "sent"
        unit_of_work.run(partial(_mark, invitation_id, status))


def _mark(invitation_id: int, status: str) -> None:
    db.session.execute(
        update(ReferralInvitation)
        .where(ReferralInvitation.id == invitation_id)
        .values(status=status, sent_at=clock.now() if status == "sent" else None)
    )
