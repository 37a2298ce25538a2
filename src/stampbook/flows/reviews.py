"""Reviews earn by the program's review rule: a review (``people``) made through a program
with a live ``review`` earning rule is credited by that rule (``loyalty.crediting``: its
points, its window and its limit per member per period, campaigns included), in place of the
shop's ``review_points``. ``people`` decides when a review may earn (once per user and item,
readable by others) and keeps the award; this flow, handed to it by ``init_app``, credits.
"""

from __future__ import annotations

from flask import Flask

from stampbook.core.errors import Conflict
from stampbook.loyalty.crediting import credit
from stampbook.loyalty.customers import locked
from stampbook.loyalty.models import EarningRule
from stampbook.people import post_services
from stampbook.people.post_services import Paid, Review
from stampbook.programs.models import Membership

# What the rule says before anything is written: the review stands and earns nothing.
RULE_REFUSALS = frozenset({"rule_inactive", "activity_limit_reached"})


def review_reference(post_id: int) -> str:
    """One credit per review (a retried request finds it)."""
    return f"review-{post_id}"


def pay_by_rule(review: Review, earning_rule: EarningRule) -> Paid | None:
    """Credit ``earning_rule`` for ``review``; None when it pays nothing now (outside its
    window, over its limit: the review stands, unpaid)."""
    # The member's row locked while the limit is counted: reviews at once take turns.
    member = locked(review.program, Membership.id == review.membership.id)
    if member is None:
        return None
    try:
        made = credit(
            earning_rule,
            member,
            review.program,
            reference=review_reference(review.post.id),
            actor_id=review.actor.id,
            now=review.post.created_at,
        )
    except Conflict as refused:
        if refused.code in RULE_REFUSALS:
            return None
        raise
    if made.entry_id is None:
        return None
    return Paid(made.points, made.entry_id)


def init_app(app: Flask) -> None:
    post_services.init_app(app, pay_by_rule)
