"""Reads of card codes: a membership by its code (other domains may call these: the wallet
pass shows ``Membership.card_code``, the counter's flows find the member by it), and what a
scan at a program's counter answers.

What a scan refuses, each with its own code: ``card_unknown`` (404, no card has it),
``card_retired`` (410, its member replaced it) and ``card_other_program`` (409, a card of
another program, its member left unsaid: another shop's team learns nothing about them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.cards.models import RetiredCardCode
from stampbook.cards.policy import CardAction
from stampbook.core import clock
from stampbook.core.codes import LENGTH, normal_code
from stampbook.core.db import db
from stampbook.core.errors import AppError, Conflict, NotFound
from stampbook.programs.models import Membership, Program
from stampbook.programs.policy import shop_of
from stampbook.programs.queries import load_membership, load_program, settle_due
from stampbook.rewards import rules as reward_rules
from stampbook.rewards.loading import standing_of, usage_of, zone_of
from stampbook.rewards.models import Reward


class CardRetired(AppError):
    status, code, title = 410, "card_retired", "Card code replaced"


def membership_by_code(code: str) -> Membership | None:
    """The membership whose live card code is ``code`` (as typed: case, spaces and dashes
    ignored), or None."""
    typed = normal_code(code)
    if len(typed) != LENGTH:
        return None
    return db.session.scalars(select(Membership).where(Membership.card_code == typed)).first()


def retired(code: str) -> RetiredCardCode | None:
    """The replaced card code ``code``, or None."""
    typed = normal_code(code)
    if len(typed) != LENGTH:
        return None
    return db.session.scalars(select(RetiredCardCode).where(RetiredCardCode.code == typed)).first()


def card_code_of(membership_id: int) -> str | None:
    """The live card code of a membership, or None if there is no such membership."""
    return db.session.scalar(select(Membership.card_code).where(Membership.id == membership_id))


def card_in(program: Program, code: str) -> Membership:
    """The membership of ``program`` whose card is ``code``, or the refusal (above). The
    caller has decided already that its actor may scan at this program's counter."""
    found = membership_by_code(code)
    if found is None:
        old = retired(code)
        if old is None:
            raise NotFound(code="card_unknown")
        owner = db.session.get(Membership, old.membership_id)
        if owner is None or owner.program_id != program.id:
            raise Conflict(code="card_other_program")
        raise CardRetired()
    if found.program_id != program.id:
        raise Conflict(code="card_other_program")
    return found


@dataclass(frozen=True)
class Redeemable:
    id: int
    name: str
    cost: int


@dataclass(frozen=True)
class Scan:
    """Who a scanned card is, for the team at the counter."""

    membership: Membership
    name: str
    initials: str
    balance: int
    redeemable: list[Redeemable]

    @property
    def membership_id(self) -> int:
        return self.membership.id


def name_of(membership: Membership) -> str:
    """The member's name; an unclaimed customer's email or external id."""
    user = db.session.get(User, membership.user_id) if membership.user_id else None
    if user is not None:
        return user.name
    return membership.email or membership.external_id or "?"


def initials(name: str) -> str:
    """Up to two letters for the card's badge: "Ana María López" -> "AL"."""
    words = [w for w in name.replace("@", " ").replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    picked = words[0][:1] + (words[-1][:1] if len(words) > 1 else "")
    return picked.upper()


def redeemable_now(membership: Membership, now: datetime) -> list[Redeemable]:
    """The shop's rewards the member can redeem right now with this membership's points:
    available, not expired, in stock, within limits, affordable. Group rewards are left out
    (points go to their pot, not at the counter)."""
    if membership.user_id is None:
        return []  # a receipt needs an account (``membership_without_account``)
    program = db.session.get(Program, membership.program_id)
    assert program is not None  # a foreign key guarantees it
    shop = shop_of(program)
    rewards: Sequence[Reward] = db.session.scalars(
        select(Reward)
        .where(
            Reward.shop_id == shop.id,
            Reward.deleted_at.is_(None),
            Reward.is_group_reward.is_(False),
            Reward.cost <= membership.balance,
        )
        .order_by(Reward.cost, Reward.id)
    ).all()
    if not rewards:
        return []
    tz = zone_of(shop)
    settings = {r.id: reward_rules.load_settings(r.schedule_settings) for r in rewards}
    usage = usage_of(rewards, settings, tz, now, membership.user_id)
    found = []
    for reward in rewards:
        standing = standing_of(
            reward,
            settings=settings[reward.id],
            tz=tz,
            now=now,
            balance=membership.balance,
            usage=usage[reward.id],
            with_reopening=False,
        )
        if reward_rules.refusal(standing) is None:
            found.append(Redeemable(reward.id, reward.name, reward.cost))
    return found


def scan(actor: User | None, program_id: int, code: str, now: datetime | None = None) -> Scan:
    """Who the card ``code`` is at ``program_id``'s counter; changes nothing."""
    program = load_program(actor, program_id, CardAction.SCAN)
    membership = card_in(program, code)
    settle_due([membership])  # held points released, lots expired: the balance as it is now
    name = name_of(membership)
    return Scan(
        membership=membership,
        name=name,
        initials=initials(name),
        balance=membership.balance,
        redeemable=redeemable_now(membership, now or clock.now()),
    )


def scan_of(actor: User | None, membership_id: int, now: datetime | None = None) -> Scan:
    """The same answer for a membership found already (the counter page after a stamp)."""
    membership = load_membership(actor, membership_id)
    program = load_program(actor, membership.program_id, CardAction.SCAN)
    assert program.id == membership.program_id
    name = name_of(membership)
    return Scan(
        membership=membership,
        name=name,
        initials=initials(name),
        balance=membership.balance,
        redeemable=redeemable_now(membership, now or clock.now()),
    )


def own_card(actor: User | None, membership_id: int) -> Membership:
    """The caller's own membership, to show its card code (the member only)."""
    return load_membership(actor, membership_id, CardAction.VIEW)
