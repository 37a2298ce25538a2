"""The referrals' API routes whose work spans domains, added to the flows' blueprint
(``api.py`` calls :func:`add_routes`): joining a program through a friend's code, and
emailing one's referral link to friends."""

from __future__ import annotations

from typing import Any

from flask import request

from stampbook.accounts.auth import me
from stampbook.core.i18n import select_locale
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.flows import referral_invitations, referrals
from stampbook.programs import queries as programs_queries
from stampbook.referrals import limits
from stampbook.referrals.policy import ReferralAction
from stampbook.referrals.rules import ReferralMethod
from stampbook.referrals.schemas import (
    InvitationsIn,
    InvitationsOut,
    ReferralIn,
    ReferralOut,
    referral_out,
)


def add_routes(bp: ApiBlueprint) -> None:
    @bp.post("/programs/<int:program_id>/referrals")
    @route(
        Access.USER,
        action=ReferralAction.REFER,
        subject=programs_queries.load_program,
        key_scope="write",
    )
    @bp.input(ReferralIn, arg_name="body")
    @bp.output(ReferralOut, status_code=201)
    @bp.doc(
        summary="Join the program through a friend's referral code (or, for the shop's "
        "team, refer one of its memberships)",
        description=(
            "Without membership_id the caller joins the program as the code's member's "
            "friend. The referral is answered whatever the fraud rules decided: status "
            "rejected with its reason (self_user, self_email, self_name, self_customer, loop, "
            "not_new, already_referred...), pending (held: true when held for the team's "
            "review), or completed at once on programs that complete on sign-up. 409 "
            "referrals_disabled, referral_code_unknown, membership_not_in_program."
        ),
        responses=[403, 404, 409],
        tags=["Referrals"],
    )
    def join_through_referral(program_id: int, body: ReferralIn) -> Any:
        network = request.remote_addr
        if body.membership_id is None:
            referral = referrals.join_through(
                me(), program_id, body.code, method=ReferralMethod.CODE, network=network
            )
        else:
            referral = referrals.refer_member(
                me(), program_id, body.code, body.membership_id, network=network
            )
        return referral_out(referral)

    @bp.post("/memberships/<int:membership_id>/referral-invitations")
    @route(Access.USER, action=ReferralAction.SHARE, subject=programs_queries.load_membership)
    @limits.invitations
    @bp.input(InvitationsIn, arg_name="body")
    @bp.output(InvitationsOut, status_code=202)
    @bp.doc(
        summary="Email the member's referral link to a few friends (the member only)",
        description=(
            "At most 5 addresses a call; an address already invited is skipped. 409 "
            "referrals_disabled, referral_sharing_off, referral_invitations_exceeded."
        ),
        responses=[403, 404, 409],
        tags=["Referrals"],
    )
    def invite_friends(membership_id: int, body: InvitationsIn) -> Any:
        sent = referral_invitations.invite(
            me(), membership_id, [str(e) for e in body.emails], language=select_locale()
        )
        return InvitationsOut(sent=sent)
