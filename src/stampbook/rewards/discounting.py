"""Discount rewards and the code on their receipts, the rewards domain's side of them.

A reward of a discount kind (``RewardKind``) holds its value (an amount in a currency's minor
unit, or a percentage), checked with its kind by :func:`discount_columns`. Redeeming one
leaves its receipt ``pending``; after the debit commits, the flow
``stampbook.flows.discount_codes`` makes its code, in the shop's online store when one is
connected, through these steps, each a short transaction of its own:

- :func:`assign_code` gives the receipt a fresh random code (unique index), which every try
  sends as it is, so that a retry can never make a second discount in the store;
- :func:`claim` takes the receipt for one try (a conditional update counting the tries,
  committed before calling out, with a lease: a worker that dies lets it fall due again);
- :func:`issue` marks it issued (the store has it, or there is no store to ask), once;
- :func:`retry_later` sets when a try that failed but may pass is due again, and
  :func:`due` lists what is due (the sweep);
- :func:`refuse` marks it refused and cancels the receipt with its points back, through the
  same work as the team's cancel (ledger reversal at most once, stock back, the
  ``redemption.cancelled`` occurrence): both happen once, whoever comes second finds the
  receipt refused;
- :func:`replace_code` gives the receipt another code when the store holds ours for a
  discount that is not this receipt's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from stampbook.core import money
from stampbook.core.db import db, execute_core
from stampbook.core.errors import Conflict
from stampbook.loyalty.models import Integration
from stampbook.programs.models import Program
from stampbook.rewards import discount_rules as rules
from stampbook.rewards.locking import lock_memberships, lock_reward
from stampbook.rewards.models import (
    DiscountStatus,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardKind,
)
from stampbook.rewards.redeeming import cancel

# The API's names of a reward's discount fields, as its change history records them.
API_FIELDS = ("kind", "discount_amount", "discount_currency", "discount_percent")
CODE_TRIES = 5  # fresh codes tried when one is taken already (25**12 codes: never, really)


# --- A reward's discount ----------------------------------------------------------------------


def default_currency(shop_id: int) -> str:
    """An amount's currency when none is given: that of the program the shop's connected
    store earns in, else of the shop's first live program, else the default (USD)."""
    found = db.session.scalar(
        select(Program.currency)
        .join(Integration, Integration.program_id == Program.id)
        .where(Integration.shop_id == shop_id, Integration.disabled_at.is_(None))
        .order_by(Integration.id.desc())
        .limit(1)
    )
    if found is None:
        found = db.session.scalar(
            select(Program.currency)
            .where(Program.shop_id == shop_id, Program.archived_at.is_(None))
            .order_by(Program.id)
            .limit(1)
        )
    return found or money.DEFAULT_CURRENCY


def discount_columns(
    shop_id: int, fields: Mapping[str, Any], reward: Reward | None = None
) -> dict[str, Any]:
    """A reward's discount columns from the API's fields: those sent, and on an edit the
    others as the reward holds them. Refused (409) unless the kind and its value go
    together (``discount_fields``) and the amount is at least the currency's minor unit
    (``amount_below_minor_unit``)."""
    kind = str(fields.get("kind") or (reward.kind if reward else RewardKind.CUSTOM))
    stored_amount, stored_currency = _stored(reward)
    amount = fields.get("discount_amount", stored_amount)
    currency = fields.get("discount_currency", stored_currency)
    percent = fields.get("discount_percent", reward.discount_percent if reward else None)
    if amount is None and "discount_currency" not in fields:
        currency = None  # the amount went: its currency with it
    minor = None
    if amount is not None:
        currency = currency or default_currency(shop_id)
        minor = money.to_minor(str(amount), currency)
        if minor <= 0:
            raise Conflict(code="amount_below_minor_unit", currency=currency)
    if not rules.kind_fields_ok(kind, amount=minor, currency=currency, percent=percent):
        raise Conflict(code="discount_fields", kind=kind)
    return {
        "kind": kind,
        "discount_minor": minor,
        "discount_currency": currency,
        "discount_percent": percent,
    }


def _stored(reward: Reward | None) -> tuple[str | None, str | None]:
    """A reward's amount as the API says it (in its own currency), and that currency."""
    if reward is None:
        return None, None
    return reward.discount_amount, reward.discount_currency


def api_values(reward: Reward) -> dict[str, Any]:
    """The discount fields as the API says them (for the change history)."""
    return {name: getattr(reward, name) for name in API_FIELDS}


def refuse_group(kind: str, is_group_reward: bool) -> None:
    """A discount is one member's code: a group reward (a receipt per contributor, cancelled
    together) is not one (409 ``discount_group_reward``)."""
    if rules.is_discount(kind) and is_group_reward:
        raise Conflict(code="discount_group_reward")


# --- A receipt's code -------------------------------------------------------------------------

_SET_CODE = (
    update(Redemption)
    .where(
        Redemption.id == bindparam("redemption_id"),
        Redemption.discount_status == DiscountStatus.PENDING,
        Redemption.discount_code.is_(None),
    )
    .values(discount_code=bindparam("code"), discount_due_at=bindparam("now"))
    .returning(Redemption.id)
)
_REPLACE_CODE = (
    update(Redemption)
    .where(
        Redemption.id == bindparam("redemption_id"),
        Redemption.discount_status == DiscountStatus.PENDING,
        Redemption.discount_code == bindparam("old_code"),
    )
    .values(discount_code=bindparam("code"))
    .returning(Redemption.id)
)


def _fresh_code(statement: Any, params: dict[str, Any]) -> str | None:
    """Run ``statement`` with a new random code, another if that one is taken; the code, or
    None when the receipt was not in the state the statement asks for."""
    for _ in range(CODE_TRIES):
        code = rules.new_code()
        try:
            with db.session.begin_nested():
                done = execute_core(statement, {**params, "code": code}).first()
        except IntegrityError:
            continue  # the unique index says another receipt has it: draw again
        return code if done is not None else None
    raise RuntimeError("no free discount code after several draws")


def assign_code(redemption_id: int, now: datetime) -> Redemption | None:
    """A pending receipt without a code gets a fresh one, due to be made now; a receipt
    cancelled before this gets none (refused). Returns the receipt as it now stands."""
    redemption: Redemption | None = db.session.get(Redemption, redemption_id)
    if redemption is None or redemption.discount_status != DiscountStatus.PENDING:
        return redemption
    if redemption.status == RedemptionStatus.CANCELLED:
        refuse(redemption_id, reason="", now=now)
    elif redemption.discount_code is None:
        _fresh_code(_SET_CODE, {"redemption_id": redemption_id, "now": now})
    db.session.refresh(redemption)
    return redemption


def replace_code(redemption_id: int, old_code: str) -> str | None:
    """Another code for a receipt whose code the store gave to something else."""
    return _fresh_code(_REPLACE_CODE, {"redemption_id": redemption_id, "old_code": old_code})


@dataclass(frozen=True)
class Claimed:
    """What one try needs, read when the receipt was claimed for it."""

    redemption_id: int
    shop_id: int
    membership_id: int
    user_id: int
    code: str
    attempt: int  # this try's number, from 1
    cancelled: bool  # the team cancelled the receipt meanwhile: only look, never make
    content: dict[str, Any]  # the reward as redeemed (its kind and value)
    created_at: datetime


_CLAIM = (
    update(Redemption)
    .where(
        Redemption.id == bindparam("redemption_id"),
        Redemption.discount_status == DiscountStatus.PENDING,
        Redemption.discount_attempts == bindparam("attempts"),
        or_(Redemption.discount_due_at.is_(None), Redemption.discount_due_at <= bindparam("now")),
    )
    .values(discount_attempts=Redemption.discount_attempts + 1, discount_due_at=bindparam("lease"))
    .returning(Redemption.id)
)


def claim(redemption_id: int, now: datetime) -> Claimed | None:
    """Take the receipt for one try, if a try is due; None otherwise (issued or refused
    already, not due yet, or another worker took it)."""
    redemption: Redemption | None = db.session.get(
        Redemption, redemption_id, populate_existing=True
    )
    if (
        redemption is None
        or redemption.discount_status != DiscountStatus.PENDING
        or redemption.discount_code is None
        or (redemption.discount_due_at is not None and redemption.discount_due_at > now)
    ):
        return None
    params = {
        "redemption_id": redemption_id,
        "attempts": redemption.discount_attempts,
        "now": now,
        "lease": now + rules.LEASE,
    }
    if execute_core(_CLAIM, params).first() is None:
        return None
    return Claimed(
        redemption_id=redemption.id,
        shop_id=redemption.shop_id,
        membership_id=redemption.paid_by_membership_id,
        user_id=redemption.user_id,
        code=redemption.discount_code,
        attempt=redemption.discount_attempts + 1,
        cancelled=redemption.status == RedemptionStatus.CANCELLED,
        content=dict(redemption.reward_content),
        created_at=redemption.created_at,
    )


_ISSUE = (
    update(Redemption)
    .where(
        Redemption.id == bindparam("redemption_id"),
        Redemption.discount_status == DiscountStatus.PENDING,
    )
    .values(
        discount_status=DiscountStatus.ISSUED,
        discount_due_at=None,
        discount_store_id=bindparam("store_id"),
    )
    .returning(Redemption.id)
)


def issue(redemption_id: int, store_id: str | None = None) -> bool:
    """The code works: the store has it (its id for it), or no store is asked. Once."""
    done = execute_core(_ISSUE, {"redemption_id": redemption_id, "store_id": store_id}).first()
    _forget(redemption_id)
    return done is not None


_RETRY = (
    update(Redemption)
    .where(
        Redemption.id == bindparam("redemption_id"),
        Redemption.discount_status == DiscountStatus.PENDING,
        Redemption.discount_attempts == bindparam("attempts"),
    )
    .values(discount_due_at=bindparam("due"))
    .returning(Redemption.id)
)


def retry_later(redemption_id: int, attempt: int, now: datetime) -> timedelta | None:
    """A try that failed and may pass: the next is due after a delay (returned), unless the
    receipt moved on meanwhile (None)."""
    delay = rules.retry_delay(attempt)
    params = {"redemption_id": redemption_id, "attempts": attempt, "due": now + delay}
    done = execute_core(_RETRY, params).first()
    _forget(redemption_id)
    return delay if done is not None else None


_REFUSE = (
    update(Redemption)
    .where(
        Redemption.id == bindparam("redemption_id"),
        Redemption.discount_status == DiscountStatus.PENDING,
    )
    .values(discount_status=DiscountStatus.REFUSED, discount_due_at=None)
    .returning(Redemption.id)
)


def refuse(redemption_id: int, *, reason: str, now: datetime) -> bool:
    """No code: pending becomes refused, and a receipt not cancelled yet is cancelled with
    its points back (``reason`` says why). Once: False when it was no longer pending.

    Locks in the rewards' order (the paying membership, the reward, then the receipt), as
    the team's cancel does, so the two never wait on each other in a cycle."""
    redemption: Redemption | None = db.session.get(
        Redemption, redemption_id, populate_existing=True
    )
    if redemption is None or redemption.discount_status != DiscountStatus.PENDING:
        return False
    lock_memberships([redemption.paid_by_membership_id])
    lock_reward(redemption.reward_id)
    if execute_core(_REFUSE, {"redemption_id": redemption_id}).first() is None:
        return False
    db.session.refresh(redemption)
    if redemption.status != RedemptionStatus.CANCELLED:
        cancel(redemption, actor_id=None, reason=reason, now=now)
    return True


def _forget(redemption_id: int) -> None:
    """A receipt this session holds reads its discount columns afresh after a statement."""
    held = db.session.identity_map.get(identity_key(Redemption, redemption_id))
    if held is not None:
        db.session.expire(held)


_DUE = (
    select(Redemption.id)
    .where(
        Redemption.discount_status == DiscountStatus.PENDING,
        Redemption.discount_due_at <= bindparam("now"),
    )
    .order_by(Redemption.discount_due_at)
    .limit(bindparam("batch"))
)


def due(now: datetime, batch: int) -> list[int]:
    """Pending receipts whose next try is due (a lost job, a retry, a lease run out)."""
    return list(execute_core(_DUE, {"now": now, "batch": batch}).scalars())
