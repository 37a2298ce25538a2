"""A store's orders and refunds (DESIGN 8.4), through the API or a store's webhooks.

An order earns once, when it is paid, by the purchase rule as it is then; the order keeps
the amount that earned, the rate and the points, so its refunds take back at that rate
whatever the rule has become. A refund takes back in proportion to all that was refunded of
the order, capped at what it earned; a cancellation takes back the rest. What cannot be
taken (the member spent it) is recorded on the order as a shortfall, never a negative
balance. A refund that arrives before its order waits, parked, and is applied when the
order is paid. Replays (the same order or refund id) change nothing.

Locks: the order's row, then the member's (``customers.customer``), so a refund and a
replay of its order take turns.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from stampbook.accounts.models import User
from stampbook.core import clock, outbox
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.money import from_minor, to_minor
from stampbook.core.occurrences import OccurrenceType
from stampbook.core.unit_of_work import RetryTransaction
from stampbook.ledger import book as ledger
from stampbook.ledger.models import EntryKind
from stampbook.loyalty.campaigns import boost
from stampbook.loyalty.customers import customer
from stampbook.loyalty.models import (
    EarningRule,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
    RuleKind,
)
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.rules import Rate, clawback_due, eligible_amount, in_window, purchase_points
from stampbook.loyalty.schemas import OrderIn, RefundIn
from stampbook.loyalty.tiering import tier_bonus
from stampbook.programs.models import Program
from stampbook.programs.queries import load_program
from stampbook.programs.rules import require_live

# What an order's entries and held points name as their cause.
ORDER_CAUSE = "order"
# The store's financial statuses of an order that has been paid (refunds come on their own).
PAID = frozenset({"paid", "partially_refunded", "refunded"})


def record_order(actor: User | None, program_id: int, body: OrderIn) -> Order:
    """The order as recorded: new, or known (then paid or cancelled by this call if it says
    so, never earned twice)."""
    return take_order(_program(actor, program_id), body)


def take_order(program: Program, body: OrderIn, *, source: str = "api") -> Order:
    """``record_order`` for a program already checked (a store's webhook names it)."""
    _same_currency(program, body.currency)
    order = _locked_order(program, body.order_id) or _new_order(program, body, source)
    if order.status == OrderStatus.OPEN and body.financial_status in PAID and not body.cancelled:
        _earn(order, program, referral_code=body.referral_code, network=body.browser_ip)
    if body.cancelled and order.status in (OrderStatus.OPEN, OrderStatus.PAID):
        cancel(order, program)
    db.session.flush()
    return order


def record_refund(actor: User | None, program_id: int, body: RefundIn) -> Refund:
    """The refund as recorded (a replay changes nothing)."""
    return take_refund(_program(actor, program_id), body)


def take_refund(program: Program, body: RefundIn) -> Refund:
    """``record_refund`` for a program already checked (a store's webhook names it)."""
    _same_currency(program, body.currency)
    order = _locked_order(program, body.order_id)
    known = db.session.scalars(
        select(Refund).where(Refund.program_id == program.id, Refund.refund_id == body.refund_id)
    ).first()
    if known is not None:
        return known
    refund = Refund(
        program_id=program.id,
        refund_id=body.refund_id,
        order_id=body.order_id,
        currency=body.currency,
        amount=to_minor(body.amount, body.currency),
    )
    _insert(refund)
    if order is not None and order.status != OrderStatus.OPEN:
        _apply(refund, order, program)
    return refund


def cancel(order: Order, program: Program) -> None:
    """Take back what the order still holds (nothing for one never paid)."""
    order.cancelled_at = clock.now()
    if order.status == OrderStatus.PAID:
        taken, short = _take_back(
            order, program, order.points_earned - order.points_clawed_back - order.shortfall
        )
        _announce_refund(order, program, None, taken, short, amount=0)
    order.status = OrderStatus.CANCELLED


def _program(actor: User | None, program_id: int) -> Program:
    program = load_program(actor, program_id, LoyaltyAction.RECORD)
    require_live(program)
    return program


def _same_currency(program: Program, currency: str) -> None:
    if currency != program.currency:
        raise Conflict(code="currency_mismatch", currency=currency, expected=program.currency)


def _locked_order(program: Program, store_order_id: str) -> Order | None:
    return db.session.scalars(
        select(Order)
        .where(Order.program_id == program.id, Order.order_id == store_order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _new_order(program: Program, body: OrderIn, source: str) -> Order:
    currency = body.currency
    order = Order(
        program_id=program.id,
        order_id=body.order_id,
        source=source,
        currency=currency,
        subtotal=to_minor(body.subtotal, currency),
        shipping=to_minor(body.shipping, currency),
        taxes=to_minor(body.taxes, currency),
        total=to_minor(body.total, currency),
        test=body.test,
        status=OrderStatus.IGNORED if body.test else OrderStatus.OPEN,
    )
    if not body.test:  # a test order makes no customer either
        order.membership_id = customer(
            program,
            membership_id=body.membership_id,
            external_id=body.external_id,
            email=body.email,
        ).id
    _insert(order)
    return order


def _insert(row: Order | Refund) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as error:
        # The same order or refund arrived twice at once: run again, and see it as a replay.
        raise RetryTransaction() from error


def _earn(
    order: Order, program: Program, *, referral_code: str | None = None, network: str | None = None
) -> None:
    now = clock.now()
    purchase = db.session.scalars(
        select(EarningRule).where(
            EarningRule.program_id == program.id,
            EarningRule.kind == RuleKind.PURCHASE,
            EarningRule.deleted_at.is_(None),
        )
    ).first()
    order.status, order.paid_at = OrderStatus.PAID, now
    if purchase is not None and in_window(purchase.starts_at, purchase.ends_at, now):
        assert purchase.per_amount is not None  # the purchase rule always has one
        rate = Rate(purchase.points, purchase.per_amount, purchase.minimum_amount or 0)
        order.rule_id, order.rate = purchase.id, rate.as_dict()
        order.eligible_amount = eligible_amount(
            order.subtotal,
            order.shipping,
            order.taxes,
            with_shipping=purchase.include_shipping,
            with_taxes=purchase.include_taxes,
        )
        order.points_base = purchase_points(order.eligible_amount, rate)
    assert order.membership_id is not None  # only test orders have none, and never earn
    if order.points_base > 0:
        held = None
        if program.pending_days:
            # The return window: pending, released by the membership's clock.
            order.pending_until = now + timedelta(days=program.pending_days)
            held = (ORDER_CAUSE, order.id, order.pending_until)
            ledger.hold(
                membership_id=order.membership_id,
                amount=order.points_base,
                kind=EntryKind.PURCHASE,
                cause_type=ORDER_CAUSE,
                cause_id=order.id,
                source_type=ORDER_CAUSE,
                source_id=order.id,
                release_at=held[2],
            )
        else:
            ledger.post(
                membership_id=order.membership_id,
                amount=order.points_base,
                kind=EntryKind.PURCHASE,
                actor_id=None,
                cause_type=ORDER_CAUSE,
                cause_id=order.id,
            )
        order.points_campaign = boost(
            order.membership_id,
            program.id,
            RuleKind.PURCHASE,
            order.points_base,
            now,
            held=held,
        )
        order.points_tier = tier_bonus(
            order.membership_id, order.points_base, cause_id=order.id, held=held
        )
    order.points_earned = order.points_base + order.points_campaign + order.points_tier
    db.session.flush()
    outbox.record(
        OccurrenceType.ORDER_PAID,
        shop_id=program.shop_id,
        order_id=order.id,
        store_order_id=order.order_id,
        program_id=program.id,
        membership_id=order.membership_id,
        currency=order.currency,
        eligible_amount=from_minor(order.eligible_amount, order.currency),
        points=order.points_earned,
        referral_code=referral_code,
        network=network,
    )
    # The refunds that came first.
    parked = db.session.scalars(
        select(Refund)
        .where(
            Refund.program_id == program.id,
            Refund.order_id == order.order_id,
            Refund.status == RefundStatus.PARKED,
        )
        .order_by(Refund.id)
        .with_for_update()
    ).all()
    for refund in parked:
        _apply(refund, order, program)


def _apply(refund: Refund, order: Order, program: Program) -> None:
    refund.status, refund.applied_at = RefundStatus.APPLIED, clock.now()
    if refund.currency != order.currency:
        return  # nothing comparable to take back; kept on record
    order.refunded_amount += refund.amount
    if order.status != OrderStatus.PAID:
        return  # cancelled (all taken back already) or a test order
    due = clawback_due(
        order.points_earned,
        order.eligible_amount,
        order.refunded_amount,
        order.points_clawed_back + order.shortfall,
    )
    taken, short = _take_back(order, program, due)
    refund.points_clawed_back, refund.shortfall = taken, short
    _announce_refund(order, program, refund.refund_id, taken, short, amount=refund.amount)


def _take_back(order: Order, program: Program, due: int) -> tuple[int, int]:
    """Take ``due`` points back for the order: what is still pending is cancelled, the rest
    taken from the member's balance, and what the balance lacks recorded as the order's
    shortfall. Answers (taken back, short)."""
    if due <= 0:
        return 0, 0
    assert order.membership_id is not None  # only test orders have none, and never earn
    cancelled = ledger.cancel_held(source_type=ORDER_CAUSE, source_id=order.id, amount=due)
    rest = due - cancelled
    member = ledger.current(order.membership_id)
    taken = min(rest, member.balance)
    if taken > 0:
        ledger.post(
            membership_id=member.id,
            amount=-taken,
            kind=EntryKind.REFUND,
            actor_id=None,
            cause_type=ORDER_CAUSE,
            cause_id=order.id,
        )
    order.points_clawed_back += cancelled + taken
    order.shortfall += rest - taken
    return cancelled + taken, rest - taken


def _announce_refund(
    order: Order, program: Program, refund_id: str | None, taken: int, short: int, *, amount: int
) -> None:
    assert order.membership_id is not None
    outbox.record(
        OccurrenceType.ORDER_REFUNDED,
        shop_id=program.shop_id,
        order_id=order.id,
        store_order_id=order.order_id,
        refund_id=refund_id,
        cancelled=refund_id is None,
        program_id=program.id,
        membership_id=order.membership_id,
        currency=order.currency,
        amount=from_minor(amount, order.currency),
        points=taken,
        shortfall=short,
    )
