"""Earning rules: made, changed and deleted by the shop's managers. Services never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db, utcnow
from stampbook.core.errors import Conflict
from stampbook.core.money import to_minor
from stampbook.loyalty.models import EarningRule, RuleKind
from stampbook.loyalty.policy import LoyaltyAction, program_of
from stampbook.loyalty.queries import load_rule
from stampbook.loyalty.schemas import EarningRuleIn
from stampbook.programs.models import Program
from stampbook.programs.queries import load_program
from stampbook.programs.rules import require_live

MONEY_FIELDS = ("per_amount", "minimum_amount")


def create_rule(actor: User, program_id: int, body: EarningRuleIn) -> EarningRule:
    program = _locked(load_program(actor, program_id, LoyaltyAction.RULES_MANAGE))
    require_live(program)
    fields = body.model_dump(exclude=set(MONEY_FIELDS))
    _refuse_twin(program, fields["kind"], fields["activity"])
    earning_rule = EarningRule(program_id=program.id, **fields, **_amounts(body, program))
    _check_window(earning_rule)
    db.session.add(earning_rule)
    db.session.flush()
    return earning_rule


def update_rule(actor: User, rule_id: int, changes: dict[str, Any]) -> EarningRule:
    earning_rule = load_rule(actor, rule_id)
    program = program_of(earning_rule)
    require_live(program)
    if earning_rule.kind != RuleKind.PURCHASE and any(
        changes.get(f) is not None for f in (*MONEY_FIELDS, "include_shipping", "include_taxes")
    ):
        raise Conflict(code="not_a_purchase_rule")
    for field, value in changes.items():
        if field in MONEY_FIELDS and value is not None:
            value = _minor(value, program)
        setattr(earning_rule, field, value)
    if (earning_rule.limit_count is None) != (earning_rule.limit_period is None):
        raise Conflict(code="limit_incomplete")
    _check_window(earning_rule)
    db.session.flush()
    return earning_rule


def delete_rule(actor: User, rule_id: int) -> None:
    """Gone for the API; kept for the credits and orders that name it (an order keeps the
    rate it earned at, so its refunds do not need the rule)."""
    earning_rule = load_rule(actor, rule_id)
    earning_rule.deleted_at = utcnow()
    db.session.flush()


def _locked(program: Program) -> Program:
    """The program locked for this transaction: two managers adding the one purchase rule
    at the same moment take turns, and the second is refused."""
    db.session.execute(select(Program.id).where(Program.id == program.id).with_for_update())
    return program


def _refuse_twin(program: Program, kind: str, activity: str | None) -> None:
    live = select(EarningRule.id).where(
        EarningRule.program_id == program.id,
        EarningRule.deleted_at.is_(None),
        EarningRule.kind == kind,
    )
    if kind == RuleKind.ACTIVITY:
        live = live.where(EarningRule.activity == activity)
    if db.session.scalar(live.limit(1)) is not None:
        raise Conflict(code="activity_exists" if kind == RuleKind.ACTIVITY else "rule_exists")


def _amounts(body: EarningRuleIn, program: Program) -> dict[str, int | None]:
    return {
        field: None if getattr(body, field) is None else _minor(getattr(body, field), program)
        for field in MONEY_FIELDS
    }


def _minor(amount: str, program: Program) -> int:
    minor = to_minor(amount, program.currency)
    if minor == 0 and amount.strip("0.") != "":
        # Below the currency's smallest unit ("0.001" dollars): nothing to count by.
        raise Conflict(code="amount_below_minor_unit", currency=program.currency)
    return minor


def _check_window(earning_rule: EarningRule) -> None:
    starts, ends = earning_rule.starts_at, earning_rule.ends_at
    if starts is not None and ends is not None and ends <= starts:
        raise Conflict(code="window_reversed")
