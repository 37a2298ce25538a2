"""Merchant loyalty API: earning rules, and what a store's server reports (orders, refunds,
activities). A store's server calls these with a shop API key."""

from __future__ import annotations

from stampbook.accounts.auth import current_user, me
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.loyalty import crediting, ordering, queries, services
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.schemas import (
    ActivityIn,
    CreditOut,
    EarningRuleIn,
    EarningRuleOut,
    EarningRulePage,
    EarningRulePatch,
    OrderIn,
    OrderOut,
    RefundIn,
    RefundOut,
)
from stampbook.programs import queries as programs_queries

bp = ApiBlueprint("loyalty", __name__, url_prefix="/api/v1", tag="Loyalty")

RECORDING = {
    "access": Access.USER,
    "action": LoyaltyAction.RECORD,
    "idempotent": True,
    "subject": programs_queries.load_program,
    "key_scope": "write",
}


@bp.get("/programs/<int:program_id>/earning-rules")
@route(
    Access.PUBLIC,
    action=LoyaltyAction.RULES_VIEW,
    subject=programs_queries.load_program,
    key_scope="read",
)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(EarningRulePage)
@bp.doc(summary="How the program's members earn points", responses=[404])
def list_earning_rules(program_id: int, query: PageQuery) -> EarningRulePage:
    return queries.list_rules(current_user(), program_id, query)


@bp.post("/programs/<int:program_id>/earning-rules")
@route(
    Access.USER,
    action=LoyaltyAction.RULES_MANAGE,
    subject=programs_queries.load_program,
    key_scope="write",
)
@bp.input(EarningRuleIn, arg_name="body")
@bp.output(EarningRuleOut, status_code=201)
@bp.doc(
    summary="Add an earning rule (the shop's creator and managers)",
    description=(
        "One live rule per kind, and per name for activities (409 rule_exists, "
        "activity_exists). Purchase: points per per_amount of the subtotal after discounts, "
        'rounded down, e.g. {"kind": "purchase", "points": 1, "per_amount": "1.00"}.'
    ),
    responses=[403, 404, 409],
)
def create_earning_rule(program_id: int, body: EarningRuleIn) -> EarningRuleOut:
    return queries.rule_out(services.create_rule(me(), program_id, body))


@bp.patch("/earning-rules/<int:rule_id>")
@route(Access.USER, action=LoyaltyAction.RULES_MANAGE, subject=queries.load_rule, key_scope="write")
@bp.input(EarningRulePatch, arg_name="body")
@bp.output(EarningRuleOut)
@bp.doc(
    summary="Change an earning rule; orders already paid keep the rate they earned at",
    responses=[403, 404, 409],
)
def update_earning_rule(rule_id: int, body: EarningRulePatch) -> EarningRuleOut:
    changes = body.model_dump(exclude_unset=True)
    return queries.rule_out(services.update_rule(me(), rule_id, changes))


@bp.delete("/earning-rules/<int:rule_id>")
@route(Access.USER, action=LoyaltyAction.RULES_MANAGE, subject=queries.load_rule, key_scope="write")
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an earning rule (what it credited stays)", responses=[403, 404])
def delete_earning_rule(rule_id: int) -> tuple[str, int]:
    services.delete_rule(me(), rule_id)
    return "", 204


@bp.post("/programs/<int:program_id>/activities")
@route(**RECORDING)  # type: ignore[arg-type]
@bp.input(ActivityIn, arg_name="body")
@bp.output(CreditOut, status_code=201)
@bp.doc(
    summary="Credit a custom activity to a member or customer; accepts Idempotency-Key",
    description=(
        "The customer is found, or made as an unclaimed customer, by external_id or email. "
        "The same reference credits once: sending it again answers the first credit. "
        "Outside the rule's window: 409 rule_inactive; over its limit per member per "
        "period (on the member's clock): 409 activity_limit_reached. No such activity: 404."
    ),
    responses=[403, 404, 409],
)
def credit_activity(program_id: int, body: ActivityIn) -> CreditOut:
    return CreditOut.model_validate(crediting.credit_activity(me(), program_id, body))


@bp.post("/programs/<int:program_id>/orders")
@route(**RECORDING)  # type: ignore[arg-type]
@bp.input(OrderIn, arg_name="body")
@bp.output(OrderOut, status_code=201)
@bp.doc(
    summary="Record a store's order: it earns once paid; accepts Idempotency-Key",
    description=(
        "Earns by the purchase rule when financial_status is paid, once per order_id: "
        "sending the order again answers it as recorded (a newly paid one earns then, a "
        "cancelled one gives back what it still holds). A test order earns nothing. The "
        "currency must be the program's (409 currency_mismatch)."
    ),
    responses=[403, 404, 409],
)
def record_order(program_id: int, body: OrderIn) -> OrderOut:
    return queries.order_out(ordering.record_order(me(), program_id, body))


@bp.post("/programs/<int:program_id>/refunds")
@route(**RECORDING)  # type: ignore[arg-type]
@bp.input(RefundIn, arg_name="body")
@bp.output(RefundOut, status_code=201)
@bp.doc(
    summary="Record a store's refund: takes back the order's points in proportion",
    description=(
        "Takes back points in proportion to all that was refunded of the order, at the rate "
        "it earned at, capped at what it earned; what the member already spent is recorded "
        "as the order's shortfall. A refund whose order has not arrived is parked (status "
        "parked) and applied when it does. The same refund_id again changes nothing."
    ),
    responses=[403, 404, 409],
)
def record_refund(program_id: int, body: RefundIn) -> RefundOut:
    return queries.refund_out(ordering.record_refund(me(), program_id, body))
