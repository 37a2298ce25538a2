"""The home page: a visitor's welcome, or a member's programs, starred rewards and activity."""

from __future__ import annotations

from flask import render_template

from stampbook.accounts.auth import current_user
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.ledger import queries as ledger_queries
from stampbook.programs import queries as programs_queries
from stampbook.rewards import queries as rewards_queries
from stampbook.shops import queries as shops_queries

bp = PageBlueprint("pages", __name__)


@bp.get("/")
@route(Access.PUBLIC)
def home() -> str:
    user = current_user()
    if user is None:
        return render_template("home/home.html")
    return render_template(
        "home/home.html",
        memberships=programs_queries.membership_lines(user.id),
        favourites=rewards_queries.favourite_rewards(user.id),
        starred_shop=shops_queries.shop_name(user.starred_shop_id),
        activity=ledger_queries.recent_activity(user.id),
    )
