"""Reads of the wallets: a shop's settings, a pass by its serial number, the devices
registered for a pass, and what a membership's card shows (``card_of``)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import force_locale
from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.core.db import db
from stampbook.core.errors import NotFound
from stampbook.programs.models import Membership, Program
from stampbook.rewards.models import Reward
from stampbook.shops.models import Shop
from stampbook.ui import schedule_words
from stampbook.wallets import rules
from stampbook.wallets.models import WalletDevice, WalletPass, WalletSettings


def settings_of(shop_id: int) -> WalletSettings | None:
    return db.session.scalars(
        select(WalletSettings).where(WalletSettings.shop_id == shop_id)
    ).first()


def pass_of(membership_id: int) -> WalletPass | None:
    return db.session.scalars(
        select(WalletPass).where(WalletPass.membership_id == membership_id)
    ).first()


def pass_by_serial(serial_number: str) -> WalletPass | None:
    return db.session.scalars(
        select(WalletPass).where(WalletPass.serial_number == serial_number)
    ).first()


def devices_of(pass_id: int) -> Sequence[WalletDevice]:
    return db.session.scalars(
        select(WalletDevice).where(WalletDevice.pass_id == pass_id).order_by(WalletDevice.id)
    ).all()


def load_shop(shop_id: int) -> Shop:
    """The shop (the settings routes' subject); a deleted one is gone."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.is_deleted:
        raise NotFound(thing="shop")
    return shop


def load_membership(membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotFound(thing="membership")
    return membership


def parts_of(membership: Membership) -> tuple[Program, Shop, User | None]:
    program = db.session.get(Program, membership.program_id)
    assert program is not None  # a foreign key guarantees it
    shop = db.session.get(Shop, program.shop_id)
    assert shop is not None
    owner = db.session.get(User, membership.user_id) if membership.user_id else None
    return program, shop, owner


def _rewards(shop_id: int) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Reward.name, Reward.cost).where(
            Reward.shop_id == shop_id, Reward.deleted_at.is_(None)
        )
    ).all()
    return [(name, int(cost)) for name, cost in rows]


def card_of(membership: Membership, wallet_pass: WalletPass) -> rules.Card:
    """What the membership's pass shows now, the opening hours in its person's language."""
    program, shop, owner = parts_of(membership)
    ahead = rules.next_reward(membership.balance, _rewards(shop.id))
    language = (owner.language if owner is not None else None) or "en"
    with force_locale(language):
        hours = tuple(schedule_words.describe(saved) for saved in shop.availability_schedule or ())
    return rules.Card(
        serial_number=wallet_pass.serial_number,
        authentication_token=wallet_pass.authentication_token,
        program_name=program.name,
        shop_name=shop.name,
        member_name=owner.name if owner is not None else "",
        balance=membership.balance,
        points_name=program.points_currency_plural or "points",
        card_code=membership.card_code,
        colour=rules.colour_of(program.color, shop.color),
        next_reward=ahead[0] if ahead else None,
        next_cost=ahead[1] if ahead else None,
        hours=hours,
        address=shop.address or None,
        about=shop.summary or None,
    )
