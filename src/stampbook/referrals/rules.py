"""The referrals' arithmetic without a database (DESIGN 8.5): codes, the keys that tell two
people apart (a normalised email, a folded name), self-referral, the escalation step of an
advocate's Nth referral, and when a network address has sent too many.

A code is 8 characters of an alphabet without look-alikes (no 0/O, 1/I/L), drawn at random
(40 bits): short to type, never guessed from another's.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from stampbook.core.folding import fold

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# Ten or more referrals from one network address within a week are held for review.
HOLD_AT = 10
HOLD_WINDOW = timedelta(days=7)
# Providers whose addresses ignore dots in the local part.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


class ReferralStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    REJECTED = "rejected"
    EXPIRED = "expired"


# A referral holding its friend: one per friend and program (a partial unique index).
LIVE = (ReferralStatus.PENDING, ReferralStatus.COMPLETED)


class ReferralReason(StrEnum):
    """Why a referral was rejected (shown to the shop's team; stable codes)."""

    SELF_USER = "self_user"  # the advocate's own account
    SELF_CUSTOMER = "self_customer"  # the advocate's own membership (store customer)
    SELF_EMAIL = "self_email"  # the same address once normalised (+alias, gmail dots)
    SELF_NAME = "self_name"  # the same name
    SELF_ORDER = "self_order"  # an order placed by the advocate with their own code
    ALREADY_REFERRED = "already_referred"  # the friend was referred (another advocate won)
    NOT_NEW = "not_new"  # the friend was a member before the code came
    NOT_FIRST_ORDER = "not_first_order"  # the code came with an order that was not the first
    BELOW_MINIMUM = "below_minimum"  # the first order was below the program's minimum
    LOOP = "loop"  # the friend had referred the advocate
    CAP_REACHED = "cap_reached"  # the advocate's cap for the period was reached
    BY_TEAM = "by_team"  # held for review, and the team rejected it


class ReferralCompletes(StrEnum):
    ON_SIGNUP = "on_signup"
    ON_FIRST_PURCHASE = "on_first_purchase"


class ReferralMethod(StrEnum):
    LINK = "link"  # the friend joined through /r/<code>
    CODE = "code"  # the friend (or the team) gave the code through the API
    ORDER = "order"  # a store order carried the code


class ReferralCapPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


_SEPARATORS = re.compile(r"[\s\-_]+")


def clean_code(text: str) -> str | None:
    """A code as typed (any case, spaces or dashes), or None when it cannot be one."""
    code = _SEPARATORS.sub("", text).upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def email_key(address: str | None) -> str | None:
    """The address that two spellings of one mailbox share: lower case, the ``+alias``
    dropped, and for Gmail the dots of the local part and googlemail.com."""
    if not address:
        return None
    text = address.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return text or None
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


def name_key(name: str | None) -> str | None:
    """A name as compared: accents and case ignored, spaces collapsed; None when blank or
    a single letter (too little to tell anyone apart)."""
    if not name:
        return None
    key = " ".join(fold(name).split())
    return key if len(key) > 1 else None


@dataclass(frozen=True)
class Party:
    """An advocate or a friend as the fraud rules see them."""

    membership_id: int | None
    user_id: int | None
    email: str | None  # ``email_key``
    name: str | None  # ``name_key``


def self_referral(advocate: Party, friend: Party, *, by_order: bool) -> ReferralReason | None:
    """Whether ``friend`` is the advocate under another guise, and how."""
    same_membership = (
        friend.membership_id is not None and friend.membership_id == advocate.membership_id
    )
    if same_membership and by_order:
        return ReferralReason.SELF_ORDER
    if friend.user_id is not None and friend.user_id == advocate.user_id:
        return ReferralReason.SELF_USER
    if same_membership:
        return ReferralReason.SELF_CUSTOMER
    if friend.email is not None and friend.email == advocate.email:
        return ReferralReason.SELF_EMAIL
    if friend.name is not None and friend.name == advocate.name:
        return ReferralReason.SELF_NAME
    return None


def held(from_address_this_week: int) -> bool:
    """Held for review: this referral makes ``HOLD_AT`` or more from one address in a week
    (the count includes it)."""
    return from_address_this_week >= HOLD_AT


@dataclass(frozen=True)
class Step:
    """From the advocate's ``from_count``-th completed referral on: these points and reward."""

    from_count: int
    points: int
    reward_id: int | None = None


@dataclass(frozen=True)
class Prize:
    points: int
    reward_id: int | None


def advocate_prize(base: Prize, steps: Sequence[Step], ordinal: int) -> Prize:
    """What the advocate earns for their ``ordinal``-th completed referral: the last step
    reached (the highest ``from_count`` at most ``ordinal``), else the base."""
    reached = [step for step in steps if step.from_count <= ordinal]
    if not reached:
        return base
    step = max(reached, key=lambda s: s.from_count)
    return Prize(step.points, step.reward_id)


def steps_problem(steps: Sequence[Step]) -> str | None:
    """A stable code when the steps cannot be read in one order, else None."""
    counts = [step.from_count for step in steps]
    if any(count < 2 for count in counts):
        return "referral_step_invalid"
    if len(set(counts)) != len(counts):
        return "referral_step_duplicate"
    return None
