"""The home page: a visitor's welcome, or a member's programs, starred rewards and activity,
and for those who run shops, their shops with today's stamps and receipts and the
invitations waiting for an answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template

from stampbook.accounts.auth import current_user
from stampbook.accounts.models import User
from stampbook.core import clock
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.core.zones import zone
from stampbook.events import queries as events_queries
from stampbook.events.words import status_words
from stampbook.ledger import queries as ledger_queries
from stampbook.notifications import queries as notifications_queries
from stampbook.programs import queries as programs_queries
from stampbook.rewards import queries as rewards_queries
from stampbook.rewards.policy import RewardAction
from stampbook.schedules.periods import local_date, local_midnight
from stampbook.shops import queries as shops_queries
from stampbook.shops.forms import ROLE_NAMES
from stampbook.shops.models import Shop
from stampbook.shops.policy import ShopAction
from stampbook.shops.schemas import InvitationQuery
from stampbook.tasks import queries as tasks_queries

bp = PageBlueprint("pages", __name__)

INVITATIONS_ON_HOME = 5


@dataclass(frozen=True)
class ShopLine:
    """A shop I run, as my home shows it: today's figures and the team's tools I may use."""

    shop: Shop
    role_type: str
    stamps_today: int
    receipts_today: int
    may_stamp: bool
    may_see_receipts: bool
    may_manage_team: bool
    may_invite: bool


def _shops_run(user: User, now: datetime) -> list[ShopLine]:
    """The shops ``user`` runs, each with its stamps and receipts since its own midnight
    (today in the shop's time zone): three queries, whatever the number of shops."""
    run = shops_queries.shops_run_by(user)
    if not run:
        return []
    since = {}
    for line in run:
        tz = zone(line.shop.time_zone)
        since[line.shop.id] = local_midnight(local_date(now, tz), tz)
    stamps = tasks_queries.stamps_since(since)
    receipts = rewards_queries.redemptions_since(since)
    return [
        ShopLine(
            shop=line.shop,
            role_type=line.role_type,
            stamps_today=stamps.get(line.shop.id, 0),
            receipts_today=receipts.get(line.shop.id, 0),
            may_stamp=can(user, ShopAction.SHOP_SEARCH_MEMBERS, line.shop),
            may_see_receipts=can(user, RewardAction.REDEMPTION_LIST_FOR_SHOP, line.shop),
            may_manage_team=can(user, ShopAction.ROLE_MANAGE, line.shop),
            may_invite=can(user, ShopAction.SHOP_INVITE, line.shop),
        )
        for line in run
    ]


@bp.get("/")
@route(Access.PUBLIC)
def home() -> str:
    user = current_user()
    if user is None:
        return render_template("home/home.html")
    invited = []
    # The header's counts, read once: the unread notifications with the invitations.
    notifications_queries.header_counts(user)
    if shops_queries.pending_invitation_count(user):
        query = InvitationQuery(limit=INVITATIONS_ON_HOME)
        invited = shops_queries.my_invitations(user, query).items
    favourites = rewards_queries.favourite_rewards(user.id)
    return render_template(
        "home/home.html",
        memberships=programs_queries.membership_lines(user.id),
        favourites=favourites,
        names=programs_queries.shops_points_names(f.shop_id for f in favourites),
        starred_shop=shops_queries.shop_name(user.starred_shop_id),
        activity=ledger_queries.recent_activity(user.id),
        shops_run=_shops_run(user, clock.now()),
        invited=invited,
        role_names=ROLE_NAMES,
        registrations=events_queries.upcoming_for(user.id),
        status_words=status_words,
    )
