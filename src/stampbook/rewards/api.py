"""Rewards API: a shop's rewards, favourites, redeeming, group pots and receipts."""

from __future__ import annotations

from typing import Any

from stampbook.accounts.auth import current_user
from stampbook.core.pagination import HistoryQuery, PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.rewards import contributing, queries, redeeming, services
from stampbook.rewards.loading import load_redemption, load_reward, load_shop
from stampbook.rewards.policy import RewardAction
from stampbook.rewards.schemas import (
    CancelIn,
    ChangePage,
    ContributeIn,
    ContributionResultOut,
    FavoriteOut,
    MyRedemptionQuery,
    RedeemIn,
    RedemptionOut,
    RedemptionPage,
    RewardDetailOut,
    RewardIn,
    RewardList,
    RewardListQuery,
    RewardOut,
    RewardPatch,
    ShopRedemptionQuery,
)

bp = ApiBlueprint("rewards", __name__, url_prefix="/api/v1", tag="Rewards")


def _page(found: tuple[Any, str | None]) -> dict[str, Any]:
    items, next_cursor = found
    return {"items": items, "next_cursor": next_cursor}


@bp.get("/shops/<int:shop_id>/rewards")
@route(Access.PUBLIC, action=RewardAction.REWARD_LIST, subject=load_shop, key_scope="read")
@bp.input(RewardListQuery, location="query", arg_name="query")
@bp.output(RewardList)
@bp.doc(
    summary="A shop's rewards with their status for me: favourites, then redeemable, too "
    "expensive, unavailable, expired or out of stock",
    responses=[404],
)
def list_rewards(shop_id: int, query: RewardListQuery) -> dict[str, Any]:
    items = queries.list_rewards(
        current_user(),
        shop_id,
        sort=query.sort,
        hide_expired=query.hide_expired,
        hide_unavailable=query.hide_unavailable,
        slim=query.view == "slim",
        program_id=query.program_id,
    )
    return {"items": items}


@bp.post("/shops/<int:shop_id>/rewards")
@route(Access.USER, action=RewardAction.REWARD_CREATE, subject=load_shop)
@bp.input(RewardIn, arg_name="body")
@bp.output(RewardOut, status_code=201)
@bp.doc(summary="Create a reward (creator, managers, assistants)", responses=[403, 404, 409])
def create_reward(shop_id: int, body: RewardIn) -> Any:
    return services.create_reward(current_user(), shop_id=shop_id, fields=body.model_dump())


@bp.get("/rewards/<int:reward_id>")
@route(Access.PUBLIC, action=RewardAction.REWARD_VIEW, key_scope="read")
@bp.output(RewardDetailOut)
@bp.doc(summary="A reward, its status for me and who redeemed it last", responses=[404])
def get_reward(reward_id: int) -> Any:
    return queries.reward_detail(current_user(), reward_id)


@bp.patch("/rewards/<int:reward_id>")
@route(Access.USER, action=RewardAction.REWARD_EDIT, subject=load_reward)
@bp.input(RewardPatch, arg_name="body")
@bp.output(RewardOut)
@bp.doc(
    operation_id="update_reward",
    summary="Edit a reward; every change is recorded",
    responses=[403, 404, 409],
)
def patch_reward(reward_id: int, body: RewardPatch) -> Any:
    changes = body.model_dump(exclude_unset=True)
    return services.update_reward(current_user(), reward_id=reward_id, changes=changes)


@bp.delete("/rewards/<int:reward_id>")
@route(Access.USER, action=RewardAction.REWARD_DELETE)
@bp.output({}, status_code=204)
@bp.doc(
    summary="Delete a reward (receipts stay whole; a group pot is refunded)",
    description="The reward is kept for its receipts and their entries, and gone for the API: "
    "its path and every path under it answer 404.",
    responses=[403, 404],
)
def delete_reward(reward_id: int) -> tuple[str, int]:
    services.delete_reward(current_user(), reward_id=reward_id)
    return "", 204


@bp.put("/rewards/<int:reward_id>/favorite")
@route(Access.USER, action=RewardAction.REWARD_FAVORITE)
@bp.output(FavoriteOut)
@bp.doc(summary="Star a reward", responses=[404])
def add_favorite(reward_id: int) -> Any:
    favorite = services.add_favorite(current_user(), reward_id=reward_id)
    return {"reward_id": favorite.reward_id, "is_favorite": True}


@bp.delete("/rewards/<int:reward_id>/favorite")
@route(Access.USER, action=RewardAction.REWARD_FAVORITE)
@bp.output({}, status_code=204)
@bp.doc(summary="Unstar a reward", responses=[404])
def remove_favorite(reward_id: int) -> tuple[str, int]:
    services.remove_favorite(current_user(), reward_id=reward_id)
    return "", 204


@bp.get("/rewards/<int:reward_id>/changes")
@route(Access.USER, action=RewardAction.REWARD_VIEW_CHANGES, subject=load_reward)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(ChangePage)
@bp.doc(summary="A reward's change history, newest first (shop team)", responses=[403, 404])
def list_changes(reward_id: int, query: PageQuery) -> dict[str, Any]:
    return _page(queries.reward_changes(current_user(), reward_id, query))


@bp.get("/rewards/<int:reward_id>/redemptions")
@route(Access.USER, action=RewardAction.REWARD_VIEW_REDEMPTIONS, subject=load_reward)
@bp.input(HistoryQuery, location="query", arg_name="query")
@bp.output(RedemptionPage)
@bp.doc(summary="A reward's redemption history, newest first (shop team)", responses=[403, 404])
def list_reward_redemptions(reward_id: int, query: HistoryQuery) -> dict[str, Any]:
    return _page(queries.reward_redemptions(current_user(), reward_id, query))


@bp.post("/rewards/<int:reward_id>/redemptions")
@route(
    Access.USER,
    action=RewardAction.REWARD_REDEEM,
    idempotent=True,
    subject=load_reward,
    subject_action=RewardAction.REWARD_VIEW,
)
@bp.input(RedeemIn, arg_name="body")
@bp.output(RedemptionOut, status_code=201)
@bp.doc(
    operation_id="redeem_reward",
    summary="Redeem a reward with one of my memberships (for me, or as a gift); accepts "
    "Idempotency-Key. Refusals: reward_unavailable, reward_expired, insufficient_points, "
    "out_of_stock, limit_reached, not_giftable, group_reward, discount_quantity. A discount "
    "reward's receipt gets its single-use code once this has committed (`discount_status`)",
    responses=[403, 404, 409, 422],
)
def redeem(reward_id: int, body: RedeemIn) -> Any:
    return redeeming.redeem(
        current_user(),
        reward_id=reward_id,
        membership_id=body.membership_id,
        quantity=body.quantity,
        gift_to_user_id=body.gift_to_user_id,
    )


@bp.post("/rewards/<int:reward_id>/contributions")
@route(
    Access.USER,
    action=RewardAction.REWARD_CONTRIBUTE,
    idempotent=True,
    subject=load_reward,
    subject_action=RewardAction.REWARD_VIEW,
)
@bp.input(ContributeIn, arg_name="body")
@bp.output(ContributionResultOut, status_code=201)
@bp.doc(
    operation_id="contribute_to_reward",
    summary="Put points toward a group reward; filling the pot redeems it for every "
    "contributor. Accepts Idempotency-Key",
    responses=[403, 404, 409],
)
def contribute(reward_id: int, body: ContributeIn) -> Any:
    return contributing.contribute(
        current_user(), reward_id=reward_id, membership_id=body.membership_id, points=body.points
    )


@bp.get("/redemptions")
@route(Access.USER)
@bp.input(MyRedemptionQuery, location="query", arg_name="query")
@bp.output(RedemptionPage)
@bp.doc(summary="My receipts, newest first; by shop and time")
def list_my_redemptions(query: MyRedemptionQuery) -> dict[str, Any]:
    user = current_user()
    assert user is not None  # the route's Access.USER guarantees it
    return _page(queries.my_redemptions(user, query, shop_id=query.shop_id))


@bp.get("/redemptions/<int:redemption_id>")
@route(Access.USER, action=RewardAction.REDEMPTION_VIEW)
@bp.output(RedemptionOut)
@bp.doc(summary="One receipt (its owner, its giver or the shop team)", responses=[404])
def get_redemption(redemption_id: int) -> Any:
    return queries.get_redemption(current_user(), redemption_id)


@bp.post("/redemptions/<int:redemption_id>/cancel")
@route(Access.USER, action=RewardAction.REDEMPTION_CANCEL, idempotent=True, subject=load_redemption)
@bp.input(CancelIn, arg_name="body")
@bp.output(RedemptionOut)
@bp.doc(
    summary="Cancel a receipt: refund its points and put its stock back (shop team); "
    "accepts Idempotency-Key",
    responses=[403, 404, 409],
)
def cancel_redemption(redemption_id: int, body: CancelIn) -> Any:
    return redeeming.cancel_redemption(
        current_user(), redemption_id=redemption_id, reason=body.reason
    )


@bp.post("/redemptions/<int:redemption_id>/fulfil")
@route(Access.USER, action=RewardAction.REDEMPTION_FULFIL)
@bp.output(RedemptionOut)
@bp.doc(summary="Mark a receipt as handed over (shop team)", responses=[403, 404, 409])
def fulfil_redemption(redemption_id: int) -> Any:
    return redeeming.fulfil_redemption(current_user(), redemption_id=redemption_id)


@bp.get("/shops/<int:shop_id>/redemptions")
@route(Access.USER, action=RewardAction.REDEMPTION_LIST_FOR_SHOP, subject=load_shop)
@bp.input(ShopRedemptionQuery, location="query", arg_name="query")
@bp.output(RedemptionPage)
@bp.doc(summary="A shop's receipts, newest first (shop team)", responses=[403, 404])
def list_shop_redemptions(shop_id: int, query: ShopRedemptionQuery) -> dict[str, Any]:
    return _page(
        queries.shop_redemptions(
            current_user(), shop_id, query, reward_id=query.reward_id, status=query.status
        )
    )
