"""The team's view of a program's customers: the list and its search (name, email or store
id), a customer's profile (balance, orders, points history), and the program's points
activity filtered by customer and dates.

For the shop's creator and managers, as the matching API routes (orders, a member's history,
``GET /programs/{id}/entries``): a program the viewer may not see answers 404, one they see
but whose customers they may not see 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import render_template, request
from sqlalchemy import or_, select

from stampbook.accounts import queries as accounts_queries
from stampbook.accounts.auth import me
from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.pagination import HistoryQuery, PageQuery
from stampbook.core.policy import Access, can, route
from stampbook.core.routing import PageBlueprint
from stampbook.ledger import queries as ledger
from stampbook.ledger import words as ledger_words
from stampbook.ledger.policy import LedgerAction
from stampbook.ledger.schemas import ProgramEntryQuery
from stampbook.loyalty import import_queries, queries
from stampbook.loyalty.import_forms import ActivityFilterForm, CustomerSearchForm
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.schemas import OrderQuery
from stampbook.programs import queries as programs_queries
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import shop_of
from stampbook.programs.words import MEMBER_STATUSES
from stampbook.tiers.queries import tier_names
from stampbook.ui.helpers import day_range, from_cursor, viewer_zone

bp = PageBlueprint("customer_pages", __name__)

VIEW = LoyaltyAction.CUSTOMERS_VIEW
CUSTOMERS_PER_PAGE = 50
ORDERS_SHOWN = 10
ENTRIES_SHOWN = 20
ACTIVITY_PER_PAGE = 50


def _names(members: list[Membership]) -> dict[int, str]:
    """Each member's name: their account's, else the one an import gave."""
    users = accounts_queries.user_names(m.user_id for m in members)
    named = import_queries.customer_names(m.id for m in members if m.user_id is None)
    return {m.id: users.get(m.user_id or 0) or named.get(m.id, "") for m in members}


@bp.get("/programs/<int:program_id>/customers")
@route(Access.USER, action=VIEW)
def customers(program_id: int) -> tuple[str, int]:
    """The program's customers, newest first, or those a search finds."""
    program = programs_queries.load_program(me(), program_id, VIEW)
    form = CustomerSearchForm(request.args)
    valid = form.validate()
    q = (form.q.data or "").strip() if valid else ""
    found = import_queries.find_customers(
        me(), program_id, q, from_cursor(PageQuery, limit=CUSTOMERS_PER_PAGE)
    )
    items = list(found.items)
    more = (request.args.to_dict() | {"cursor": found.next_cursor}) if found.next_cursor else None
    return render_template(
        "loyalty/customers.html",
        program=program,
        shop=shop_of(program),
        form=form,
        q=q,
        customers=items,
        names=_names(items),
        tiers=tier_names(c.id for c in items),
        status_words=MEMBER_STATUSES,
        may_import=can(me(), LoyaltyAction.CUSTOMERS_IMPORT, program),
        more=more,
    ), 200 if valid else 422


@bp.get("/memberships/<int:membership_id>/customer")
@route(Access.USER, action=VIEW)
def customer(membership_id: int) -> str:
    """A customer's profile: who, their points, their orders and their latest entries."""
    membership = programs_queries.load_membership(me(), membership_id, VIEW)
    program = db.session.get(Program, membership.program_id)
    assert program is not None  # a foreign key guarantees it
    orders = queries.list_orders(
        me(), program.id, OrderQuery(membership_id=membership.id, limit=ORDERS_SHOWN)
    )
    entries, more_entries = ledger.history(me(), membership.id, HistoryQuery(limit=ENTRIES_SHOWN))
    profile = import_queries.profile_of(membership.id)
    owner = db.session.get(User, membership.user_id) if membership.user_id is not None else None
    return render_template(
        "loyalty/customer.html",
        program=program,
        shop=shop_of(program),
        membership=membership,
        owner=owner,
        name=_names([membership]).get(membership.id, ""),
        tier=tier_names([membership.id]).get(membership.id),
        profile=profile,
        orders=orders.items,
        more_orders=orders.next_cursor is not None,
        entries=entries,
        more_entries=more_entries is not None,
        entry_kinds=ledger_words.ENTRY_KINDS,
        cause_words=ledger_words.CAUSE_WORDS,
        status_words=MEMBER_STATUSES,
        # What waits out a return window is ``membership.pending``; what expires next:
        expiring=[
            (soon.points, soon.expires_at - timedelta(microseconds=1))
            for soon in programs_queries.expiring_points(membership, program)
        ],
    )


@dataclass(frozen=True)
class _Filter:
    membership: Membership | None
    unknown: bool  # a customer was named and none of the program's matches


def _customer_filter(program: Program, form: ActivityFilterForm) -> _Filter:
    """The member the activity is filtered by: ``membership_id`` (from a profile's link), or
    the form's customer, found by email or store id."""
    wanted = request.args.get("membership_id", "")
    if wanted.isdigit():
        found = db.session.get(Membership, int(wanted))
        ok = found is not None and found.program_id == program.id
        return _Filter(found if ok else None, not ok)
    typed = (form.customer.data or "").strip()
    if not typed:
        return _Filter(None, False)
    found = db.session.scalars(
        select(Membership)
        .where(
            Membership.program_id == program.id,
            or_(Membership.search_email == typed.lower(), Membership.external_id == typed),
        )
        .order_by(Membership.id)
        .limit(1)
    ).first()
    return _Filter(found, found is None)


@bp.get("/programs/<int:program_id>/activity")
@route(Access.USER, action=LedgerAction.PROGRAM_VIEW_ENTRIES)
def activity(program_id: int) -> tuple[str, int]:
    """Every change of points in the program, newest first, by customer and by dates (the
    team's activity log, as ``GET /api/v1/programs/{id}/entries``)."""
    program = programs_queries.load_program(me(), program_id, LedgerAction.PROGRAM_VIEW_ENTRIES)
    form = ActivityFilterForm(request.args)
    valid = form.validate()
    since, until = day_range(form.since.data, form.until.data) if valid else (None, None)
    chosen = _customer_filter(program, form)
    entries: list[Any] = []
    next_cursor = None
    if not chosen.unknown:
        query = from_cursor(
            ProgramEntryQuery,
            limit=ACTIVITY_PER_PAGE,
            since=since,
            until=until,
            membership_id=chosen.membership.id if chosen.membership else None,
        )
        found, next_cursor = ledger.program_history(me(), program_id, query)
        entries = list(found)
    members = {
        m.id: m
        for m in db.session.scalars(
            select(Membership).where(Membership.id.in_({e.membership_id for e in entries}))
        )
    }
    more = (request.args.to_dict() | {"cursor": next_cursor}) if next_cursor else None
    return render_template(
        "loyalty/activity.html",
        program=program,
        shop=shop_of(program),
        form=form,
        chosen=chosen,
        entries=entries,
        members=members,
        names=_names(list(members.values())),
        entry_kinds=ledger_words.ENTRY_KINDS,
        cause_words=ledger_words.CAUSE_WORDS,
        may_view_customers=can(me(), VIEW, program),
        more=more,
        zone=viewer_zone().key,
    ), 200 if valid else 422
