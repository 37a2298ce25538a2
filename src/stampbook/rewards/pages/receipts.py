"""Receipts: one's own, a reward's and a shop's, and the team cancelling or fulfilling them."""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from werkzeug.wrappers import Response

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import me
from stampbook.core.pagination import HistoryQuery
from stampbook.core.policy import Access, can, require, route
from stampbook.core.routing import PageBlueprint
from stampbook.programs import queries as programs_queries
from stampbook.programs.words import PointsNames
from stampbook.rewards import loading, queries, redeeming
from stampbook.rewards.forms import (
    CancelForm,
    ReceiptFilterForm,
    ShopReceiptFilterForm,
)
from stampbook.rewards.models import Redemption
from stampbook.rewards.policy import RewardAction
from stampbook.rewards.schemas import MyRedemptionQuery, ShopRedemptionQuery
from stampbook.shops import queries as shops_queries
from stampbook.ui.forms import ActionForm, options
from stampbook.ui.helpers import (
    act,
    day_range,
    from_cursor,
    safe_next,
    viewer_zone,
)

bp = PageBlueprint("receipt_pages", __name__)

# The filters of a shop's receipts that its next page keeps.
SHOP_FILTERS = ("status", "reward_id", "since", "until")


RECEIPTS_PER_PAGE = 20


RECEIPT_STATUS = {
    "issued": _l("Issued"),
    "fulfilled": _l("Handed over"),
    "cancelled": _l("Cancelled"),
}


def _paid_in(receipts: Iterable[Redemption]) -> dict[int, PointsNames]:
    """The names of the points each receipt was paid with (its membership's program's)."""
    return programs_queries.points_names_by_membership(r.paid_by_membership_id for r in receipts)


@bp.get("/receipts/<int:redemption_id>")
@route(Access.USER, action=RewardAction.REDEMPTION_VIEW)
def receipt(redemption_id: int) -> str:
    redemption = queries.get_redemption(me(), redemption_id)
    return render_template(
        "rewards/receipt.html",
        receipt=redemption,
        paid_in=programs_queries.membership_points_names(redemption.paid_by_membership_id),
        shop_name=shops_queries.shop_name(redemption.shop_id),
        names=accounts_queries.user_names([redemption.user_id, redemption.gifted_by_user_id]),
        may_cancel=can(me(), RewardAction.REDEMPTION_CANCEL, redemption),
        may_fulfil=can(me(), RewardAction.REDEMPTION_FULFIL, redemption),
        form=CancelForm(),
        fulfil_form=ActionForm(),
    )


@bp.get("/receipts")
@route(Access.USER)
def my_receipts() -> str | tuple[str, int]:
    form = ReceiptFilterForm(request.args)
    shops = {m.shop_id: m.shop_name for m in programs_queries.membership_lines(me().id)}
    form.shop_id.choices = options(
        [(0, _("All shops")), *sorted(shops.items(), key=lambda s: s[1])]
    )
    form.validate()
    shop_id = form.shop_id.data if form.shop_id.data in shops else None
    form.shop_id.errors = []  # a shop that is not one of mine: all shops, as the select shows
    since, until = day_range(form.since.data, form.until.data)
    try:
        query = MyRedemptionQuery(
            limit=RECEIPTS_PER_PAGE,
            cursor=request.args.get("cursor") or None,
            since=since,
            until=until,
        )
    except ValidationError:  # a mangled cursor: start from the newest
        query = MyRedemptionQuery(limit=RECEIPTS_PER_PAGE)
    items, next_cursor = queries.my_redemptions(me(), query, shop_id=shop_id)
    more = request.args.to_dict() | {"cursor": next_cursor} if next_cursor else None
    return render_template(
        "rewards/receipts.html",
        form=form,
        receipts=items,
        paid_in=_paid_in(items),
        more=more,
        zone=viewer_zone().key,
        shop_names=shops,
    ), 422 if form.errors else 200


@bp.get("/rewards/<int:reward_id>/redemptions")
@route(Access.USER, action=RewardAction.REWARD_VIEW_REDEMPTIONS)
def reward_redemptions(reward_id: int) -> str:
    reward = loading.visible_reward(me(), reward_id, RewardAction.REWARD_VIEW_REDEMPTIONS)
    history = from_cursor(HistoryQuery, limit=RECEIPTS_PER_PAGE)
    items, next_cursor = queries.reward_redemptions(me(), reward_id, history)
    first: Redemption | None = items[0] if items else None
    return render_template(
        "rewards/redemptions.html",
        reward=reward,
        receipts=items,
        paid_in=_paid_in(items),
        next_cursor=next_cursor,
        names=accounts_queries.user_names(r.user_id for r in items),
        may_cancel=first is not None and can(me(), RewardAction.REDEMPTION_CANCEL, first),
        may_fulfil=first is not None and can(me(), RewardAction.REDEMPTION_FULFIL, first),
        form=CancelForm(),
        fulfil_form=ActionForm(),
    )


@bp.get("/shops/<int:shop_id>/redemptions")
@route(Access.USER, action=RewardAction.REDEMPTION_LIST_FOR_SHOP)
def shop_redemptions(shop_id: int) -> tuple[str, int]:
    shop = shops_queries.load_shop(me(), shop_id, RewardAction.REDEMPTION_LIST_FOR_SHOP)
    form = ShopReceiptFilterForm(request.args)
    reward_names = dict(shops_queries.shop_items(shop_id, tasks=False).rewards)
    form.reward_id.choices = options([(0, _("Every reward")), *reward_names.items()])
    form.validate()
    form.reward_id.errors = []  # not one of the shop's rewards: every reward, as shown
    form.status.errors = []
    since, until = day_range(form.since.data, form.until.data)
    filters = {
        "status": form.status.data or None,
        "reward_id": form.reward_id.data if form.reward_id.data in reward_names else None,
        "since": since,
        "until": until,
    }
    try:
        query = ShopRedemptionQuery.model_validate(
            {**filters, "cursor": request.args.get("cursor") or None, "limit": RECEIPTS_PER_PAGE}
        )
    except ValidationError:
        abort(404)  # a mangled cursor
    items, next_cursor = queries.shop_redemptions(
        me(), shop_id, query, reward_id=query.reward_id, status=query.status
    )
    kept = {k: v for k, v in request.args.items() if k in SHOP_FILTERS and v}
    more = kept | {"cursor": next_cursor} if next_cursor else None
    return render_template(
        "rewards/shop_redemptions.html",
        shop=shop,
        filters=form,
        receipts=items,
        paid_in=_paid_in(items),
        more=more,
        zone=viewer_zone().key,
        names=accounts_queries.user_names(r.user_id for r in items),
        may_cancel={r.id for r in items if can(me(), RewardAction.REDEMPTION_CANCEL, r)},
        may_fulfil={r.id for r in items if can(me(), RewardAction.REDEMPTION_FULFIL, r)},
        form=CancelForm(),
        fulfil_form=ActionForm(),
    ), 422 if form.errors else 200


@bp.route("/receipts/<int:redemption_id>/cancel", methods=["GET", "POST"])
@route(Access.USER, action=RewardAction.REDEMPTION_CANCEL, idempotent=True)
def cancel_receipt(redemption_id: int) -> Response | str:
    """Cancel a receipt and refund its points: a page says what that does and asks why,
    and only its button cancels."""
    form = CancelForm()
    back = safe_next(url_for("receipt_pages.receipt", redemption_id=redemption_id))
    if request.method == "GET":
        redemption = loading.load_redemption(redemption_id)
        require(me(), RewardAction.REDEMPTION_CANCEL, redemption)
        return render_template(
            "rewards/cancel.html",
            form=form,
            receipt=redemption,
            paid_in=programs_queries.membership_points_names(redemption.paid_by_membership_id),
            name=accounts_queries.user_names([redemption.user_id]).get(redemption.user_id),
            back=back,
        )
    if not form.validate_on_submit():
        flash(_("Say why the receipt is cancelled."), "danger")
        return redirect(back, 303)
    act(
        lambda: redeeming.cancel_redemption(
            me(), redemption_id=redemption_id, reason=form.reason.data or ""
        ),
        _("Receipt %(id)s is cancelled; its points are refunded.", id=redemption_id),
    )
    return redirect(back, 303)


@bp.post("/receipts/<int:redemption_id>/fulfil")
@route(Access.USER, action=RewardAction.REDEMPTION_FULFIL)
def fulfil_receipt(redemption_id: int) -> Response:
    # Who may not see the receipt gets 404, who sees it but may not hand it over 403 (as the
    # API does); a cancelled receipt is said in words.
    require(me(), RewardAction.REDEMPTION_FULFIL, loading.load_redemption(redemption_id))
    back = safe_next(url_for("receipt_pages.receipt", redemption_id=redemption_id))
    act(
        lambda: redeeming.fulfil_redemption(me(), redemption_id=redemption_id),
        _("Receipt %(id)s is marked as handed over.", id=redemption_id),
    )
    return redirect(back, 303)
