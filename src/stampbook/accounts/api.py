"""Accounts API: register, tokens, the caller's own account, other users' pages."""

from __future__ import annotations

from stampbook.accounts import limits, services
from stampbook.accounts.auth import current_token, me
from stampbook.accounts.models import TokenKind, User
from stampbook.accounts.schemas import (
    EmailChangeIn,
    MeOut,
    PasswordChangeIn,
    RegisterIn,
    StarredShopIn,
    TokenIn,
    TokenOut,
    UserOut,
    UserPatch,
)
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.shops.policy import ShopAction

bp = ApiBlueprint("accounts", __name__, url_prefix="/api/v1", tag="Accounts")


def _me_out(user: User) -> MeOut:
    data = UserOut.model_validate(user).model_dump()
    return MeOut(
        **data,
        email=user.email,
        email_verified=user.email_verified,
        time_zone=user.time_zone,
        privacy_settings=services.effective_privacy(user),
        is_admin=user.is_admin,
        order_settings=user.order_settings or {},
        starred_shop_id=user.starred_shop_id,
        phone=user.phone,
        birthday=user.birthday,
        sms_opted_out_at=user.sms_opted_out_at,
    )


@bp.post("/users")
@route(Access.PUBLIC)
@limits.register
@bp.input(RegisterIn, arg_name="body")
@bp.output(MeOut, status_code=201)
@bp.doc(operation_id="register_user", summary="Register a new account")
def register(body: RegisterIn) -> MeOut:
    user = services.register(**body.model_dump())
    return _me_out(user)


@bp.post("/tokens")
@route(Access.PUBLIC)
@limits.login
@bp.input(TokenIn, arg_name="body")
@bp.output(TokenOut, status_code=201)
@bp.doc(summary="Log in: trade email and password for a bearer token", responses=[401, 429])
def create_token(body: TokenIn) -> TokenOut:
    secret, token = services.log_in(email=body.email, password=body.password, kind=TokenKind.API)
    return TokenOut(token=secret, expires_at=token.expires_at)


@bp.delete("/tokens/current")
@route(Access.USER)
@bp.output({}, status_code=204)
@bp.doc(summary="Log out: revoke the token of this request")
def delete_token() -> tuple[str, int]:
    token = current_token()
    assert token is not None
    services.log_out(token)
    return "", 204


@bp.get("/users/me")
@route(Access.USER)
@bp.output(MeOut)
@bp.doc(summary="My account")
def get_me() -> MeOut:
    return _me_out(me())


@bp.patch("/users/me")
@route(Access.USER)
@bp.input(UserPatch, arg_name="body")
@bp.output(MeOut)
@bp.doc(operation_id="update_me", summary="Edit my account")
def patch_me(body: UserPatch) -> MeOut:
    return _me_out(services.update_profile(me(), body.model_dump(exclude_unset=True)))


@bp.post("/users/me/password")
@route(Access.USER)
@limits.change_password
@bp.input(PasswordChangeIn, arg_name="body")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Change my password; every other token and session of mine ends",
    responses=[401, 429],
)
def change_password(body: PasswordChangeIn) -> tuple[str, int]:
    token = current_token()
    services.change_password(
        me(),
        old_password=body.old_password,
        new_password=body.new_password,
        keep_token_id=token.id if token else None,
    )
    return "", 204


@bp.post("/users/me/email")
@route(Access.USER)
@limits.change_email
@bp.input(EmailChangeIn, arg_name="body")
@bp.output(MeOut)
@bp.doc(
    summary="Change my email, confirmed with my password",
    responses=[401, 409, 429],
)
def change_email(body: EmailChangeIn) -> MeOut:
    return _me_out(services.change_email(me(), email=body.email, password=body.password))


@bp.put("/users/me/starred-shop")
@route(Access.USER, action=ShopAction.SHOP_VIEW)
@bp.input(StarredShopIn, arg_name="body")
@bp.output(MeOut)
@bp.doc(summary="Star a shop (one at a time)", responses=[404])
def star_shop(body: StarredShopIn) -> MeOut:
    return _me_out(services.star_shop(me(), shop_id=body.shop_id))


@bp.delete("/users/me/starred-shop")
@route(Access.USER)
@bp.output(MeOut)
@bp.doc(summary="Unstar my starred shop")
def unstar_shop() -> MeOut:
    return _me_out(services.unstar_shop(me()))
