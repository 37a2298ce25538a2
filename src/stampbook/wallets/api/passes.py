"""A member's own pass: the Apple Wallet ``.pkpass`` and the "Save to Google Wallet" link of
a membership (its own person only)."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from stampbook.accounts.auth import me
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.wallets import packaging, queries, services
from stampbook.wallets.policy import WalletAction
from stampbook.wallets.schemas import GoogleLinkOut

bp = ApiBlueprint("wallet_passes", __name__, url_prefix="/api/v1", tag="Wallets")

Responses = dict[int | str, dict[str, str | dict[str, dict[str, Any]]]]
_BYTES = {"schema": {"type": "string", "format": "binary"}}
# Apple's media type, and the same bytes as octet-stream for a client that asks for it:
# generic client generators read only the latter as a file.
OCTET_STREAM = "application/octet-stream"
PKPASS_RESPONSE: Responses = {
    200: {
        "description": "The signed pass (a zip: pass.json, images, manifest.json, signature), "
        "as application/vnd.apple.pkpass, or application/octet-stream when the request's "
        "Accept prefers it.",
        "content": {packaging.MEDIA_TYPE: _BYTES, OCTET_STREAM: _BYTES},
    }
}


def pkpass_responses(others: dict[int, str]) -> Responses:
    """The pass's 200 (its media type) and the other answers' descriptions."""
    answer: Responses = dict(PKPASS_RESPONSE)
    for status, text in others.items():
        answer[status] = {"description": text}
    return answer


def pass_response(data: bytes, serial_number: str) -> Response:
    accepted = request.accept_mimetypes
    wants_bytes = accepted[OCTET_STREAM] > accepted[packaging.MEDIA_TYPE]
    return Response(
        data,
        mimetype=OCTET_STREAM if wants_bytes else packaging.MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{serial_number}.pkpass"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/memberships/<int:membership_id>/pass.pkpass")
@route(Access.USER, action=WalletAction.PASS, subject=queries.load_membership)
@bp.doc(
    summary="The membership's Apple Wallet pass (its own person)",
    description="409 wallet_not_configured where the shop (or the platform) has no pass "
    "certificate.",
    responses=pkpass_responses({403: "Forbidden", 404: "Not found", 409: "Conflict"}),
)
def get_apple_pass(membership_id: int) -> Response:
    data, wallet_pass = services.apple_pass(me(), membership_id)
    return pass_response(data, wallet_pass.serial_number)


@bp.get("/memberships/<int:membership_id>/google-wallet-link")
@route(Access.USER, action=WalletAction.PASS, subject=queries.load_membership)
@bp.output(GoogleLinkOut)
@bp.doc(
    summary="The membership's Save to Google Wallet link (its own person)",
    description="409 wallet_not_configured where the shop has no Google issuer.",
    responses=[403, 404, 409],
)
def get_google_link(membership_id: int) -> GoogleLinkOut:
    return GoogleLinkOut(url=services.google_link(me(), membership_id))
