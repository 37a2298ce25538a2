"""The API's routes whose work spans domains: merges and deletions. Each keeps the path and
the documentation tag of the resource it acts on."""

from __future__ import annotations

from typing import Any

from stampbook.accounts import limits
from stampbook.accounts import recovery as account_recovery
from stampbook.accounts.auth import me
from stampbook.accounts.schemas import (
    EmailConfirmationIn,
    PasswordResetIn,
    PasswordResetRequestIn,
)
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.flows import confirmations, deletions, invitations, merges, recovery
from stampbook.flows.card_api import add_routes as add_card_routes
from stampbook.flows.payments_api import add_routes as add_payment_routes
from stampbook.flows.referral_api import add_routes as add_referral_routes
from stampbook.programs import queries as programs_queries
from stampbook.programs.policy import ProgramAction
from stampbook.programs.schemas import (
    ProgramMergeIn,
    ProgramMergeOut,
)
from stampbook.shops import queries as shops_queries
from stampbook.shops.policy import ShopAction
from stampbook.shops.schemas import (
    InvitationOut,
    ShopMergeIn,
    ShopMergeOut,
)

bp = ApiBlueprint("flows", __name__, url_prefix="/api/v1")


@bp.post("/password-resets")
@route(Access.PUBLIC)
@limits.password_reset
@limits.password_reset_address
@bp.input(PasswordResetRequestIn, arg_name="body")
@bp.output({}, status_code=202)
@bp.doc(
    summary="Forgotten password: email a single-use link to set a new one",
    description=(
        "Always answers 202, whether or not the address has an account: the link is "
        "emailed only to an account's own address. It works once and expires "
        "(PASSWORD_RESET_MINUTES, an hour by default); use it with "
        "POST /api/v1/password-resets/complete."
    ),
    tags=["Accounts"],
    responses=[422, 429],
)
def request_password_reset(body: PasswordResetRequestIn) -> dict[str, object]:
    recovery.ask(str(body.email))
    return {}


@bp.post("/password-resets/complete")
@route(Access.PUBLIC)
@limits.use_reset_link
@bp.input(PasswordResetIn, arg_name="body")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Set a new password with an emailed reset link's token",
    description=(
        "The link then ends, with every other link, session and API token of the account. "
        "A token that names no live link (unknown, used or expired) is 404 reset_link_invalid."
    ),
    tags=["Accounts"],
    responses=[404, 422, 429],
)
def complete_password_reset(body: PasswordResetIn) -> tuple[str, int]:
    account_recovery.complete(secret=body.token, password=body.new_password)
    return "", 204


@bp.post("/users/me/email-confirmations")
@route(Access.USER)
@limits.email_confirmation
@bp.output({}, status_code=202)
@bp.doc(
    summary="Email me a new link to confirm my address",
    description=(
        "A new account and a changed address are sent one by themselves; this sends another "
        "(to an address not confirmed yet: for a confirmed one it sends nothing). The link "
        "works once, for the address it was sent to, and expires (EMAIL_CONFIRMATION_HOURS, "
        "72 by default); use it with POST /api/v1/email-confirmations/complete."
    ),
    tags=["Accounts"],
    responses=[429],
)
def request_email_confirmation() -> dict[str, object]:
    confirmations.ask(me())
    return {}


@bp.post("/email-confirmations/complete")
@route(Access.PUBLIC)
@limits.use_confirmation_link
@bp.input(EmailConfirmationIn, arg_name="body")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Confirm an email address with an emailed link's token",
    description=(
        "The account's address is then confirmed (email_verified), and the points shops "
        "kept under it for a customer without an account become the account's. A token that "
        "names no live link (unknown, used, expired, or sent to an address the account no "
        "longer has) is 404 confirmation_link_invalid."
    ),
    tags=["Accounts"],
    responses=[404, 422, 429],
)
def complete_email_confirmation(body: EmailConfirmationIn) -> tuple[str, int]:
    confirmations.confirm(body.token)
    return "", 204


@bp.post("/shops/<int:shop_id>/merge")
@route(Access.USER, action=ShopAction.SHOP_MERGE, idempotent=True, subject=shops_queries.load_shop)
@bp.input(ShopMergeIn, arg_name="body")
@bp.output(ShopMergeOut)
@bp.doc(
    summary="Merge another shop into this one (creator of both); accepts Idempotency-Key",
    tags=["Shops"],
    responses=[403, 404],
)
def merge_shop(shop_id: int, body: ShopMergeIn) -> ShopMergeOut:
    return merges.merge_shops(me(), target_id=shop_id, source_id=body.source_shop_id)


@bp.post("/programs/<int:program_id>/merge")
@route(
    Access.USER,
    action=ProgramAction.PROGRAM_MERGE,
    idempotent=True,
    subject=programs_queries.load_program,
)
@bp.input(ProgramMergeIn, arg_name="body")
@bp.output(ProgramMergeOut)
@bp.doc(
    summary="Merge another program of the shop into this one: members, points and tasks move; "
    "accepts Idempotency-Key",
    tags=["Programs"],
    responses=[403, 404, 409],
)
def merge_program(program_id: int, body: ProgramMergeIn) -> ProgramMergeOut:
    return merges.merge_programs(me(), target_id=program_id, source_id=body.source_program_id)


@bp.delete("/shops/<int:shop_id>")
@route(Access.USER, action=ShopAction.SHOP_DELETE)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Delete a shop (creator only): its programs are archived, balances stay readable",
    description="The shop is kept for its ledger, and gone for the API, for admins too: its "
    "path and every path under it answer 404. Members read their balances and entries "
    "through their memberships.",
    tags=["Shops"],
    responses=[403, 404],
)
def delete_shop(shop_id: int) -> tuple[str, int]:
    deletions.delete_shop(me(), shop_id)
    return "", 204


@bp.delete("/users/me")
@route(Access.USER)
@bp.output({}, status_code=204)
@bp.doc(summary="Delete my account (anonymised; points history kept whole)", tags=["Accounts"])
def delete_me() -> tuple[str, int]:
    deletions.delete_account(me())
    return "", 204


@bp.post("/invitations/<int:invitation_id>/accept")
@route(Access.USER, action=ProgramAction.INVITATION_RESPOND)
@bp.output(InvitationOut)
@bp.doc(summary="Accept an invitation addressed to me", responses=[404, 409], tags=["Shops"])
def accept_invitation(invitation_id: int) -> Any:
    return invitations.accept_invitation(me(), invitation_id)


@bp.post("/invitations/<int:invitation_id>/decline")
@route(Access.USER, action=ProgramAction.INVITATION_RESPOND)
@bp.output(InvitationOut)
@bp.doc(summary="Decline an invitation addressed to me", responses=[404, 409], tags=["Shops"])
def decline_invitation(invitation_id: int) -> Any:
    return invitations.decline_invitation(me(), invitation_id)


@bp.delete("/invitations/<int:invitation_id>")
@route(Access.USER, action=ProgramAction.INVITATION_REVOKE)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Withdraw a pending invitation (whoever may send it)",
    tags=["Shops"],
    responses=[403, 404],
)
def revoke_invitation(invitation_id: int) -> tuple[str, int]:
    invitations.revoke_invitation(me(), invitation_id)
    return "", 204


add_referral_routes(bp)  # joining through a referral code, emailing one's link
add_card_routes(bp)  # stamping and redeeming by a member's card at the counter
add_payment_routes(bp)  # the payments provider's webhook, members' checkouts
