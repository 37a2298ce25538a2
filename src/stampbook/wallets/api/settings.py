"""A shop's wallet settings (its creator and managers): ``GET``/``PUT
/api/v1/shops/{id}/wallet-settings``. The private key and the service account's key are
write-only: the answer says whether each is set, never what it is."""

from __future__ import annotations

from stampbook.accounts.auth import me
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.wallets import queries, services
from stampbook.wallets.policy import WalletAction
from stampbook.wallets.schemas import WalletSettingsIn, WalletSettingsOut

bp = ApiBlueprint("wallet_settings", __name__, url_prefix="/api/v1", tag="Wallets")


@bp.get("/shops/<int:shop_id>/wallet-settings")
@route(Access.USER, action=WalletAction.SETTINGS, subject=queries.load_shop)
@bp.output(WalletSettingsOut)
@bp.doc(
    summary="The shop's wallet pass settings (its creator and managers)",
    description="Fields left empty fall back to the platform's certificate and issuer; "
    "`apple_ready` and `google_ready` say whether passes and links can be made.",
    responses=[403, 404],
)
def get_wallet_settings(shop_id: int) -> WalletSettingsOut:
    return services.get_settings(me(), shop_id)


@bp.put("/shops/<int:shop_id>/wallet-settings")
@route(Access.USER, action=WalletAction.SETTINGS, subject=queries.load_shop)
@bp.input(WalletSettingsIn, arg_name="body")
@bp.output(WalletSettingsOut)
@bp.doc(
    summary="Set the shop's wallet pass settings",
    description="The whole settings; `apple_private_key` and `google_service_account` left out "
    "keep the stored ones (null removes them). 422 wallet_certificate_invalid, "
    "wallet_key_invalid, wallet_key_mismatch (the key is not the certificate's), "
    "wallet_service_account_invalid.",
    responses=[403, 404, 422],
)
def put_wallet_settings(shop_id: int, body: WalletSettingsIn) -> WalletSettingsOut:
    return services.put_settings(me(), shop_id, body)
