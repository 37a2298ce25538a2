"""Referring a friend and completing the referral (DESIGN 8.5): a friend referred through the
link, the API or a store order, checked by the fraud rules, and completion paying both sides
once.

Fraud rules, in order, each a rejected referral with its reason (the team sees them):
self-referral (the same membership or store customer, account, normalised email or name; an
order placed by the advocate), a loop (the friend had referred the advocate), a friend who
was not new (a member before, or the code came with an order that was not their first), a
friend already referred (a partial unique index: two advocates racing, one wins), then the
advocate's cap for the period at completion. Ten or more referrals from one network address
within a week are held for the team's review.

Completion locks both memberships (id order) and moves the referral from pending with a
conditional update, so concurrent sign-ups and order webhooks pay each side once; points go
through ``ledger.book`` (kind ``referral``, cause ``referral``), and ``referral.completed``
is recorded in the same transaction. Services never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from stampbook.core import clock, outbox
from stampbook.core.db import db
from stampbook.core.errors import Conflict
from stampbook.core.occurrences import OccurrenceType
from stampbook.ledger import book
from stampbook.ledger.models import EntryKind
from stampbook.loyalty.rules import limit_start
from stampbook.programs.models import Membership, MembershipStatus, Program
from stampbook.programs.policy import shop_zone
from stampbook.referrals import queries, rules
from stampbook.referrals.models import Referral, ReferralCode, ReferralSettings
from stampbook.referrals.rules import (
    Prize,
    ReferralCompletes,
    ReferralMethod,
    ReferralReason,
    ReferralStatus,
)

# What the referral's ledger entries name as their cause.
CAUSE = "referral"


def enabled_settings(program_id: int) -> ReferralSettings:
    settings = queries.settings_of(program_id)
    if settings is None or not settings.enabled:
        raise Conflict(code="referrals_disabled")
    return settings


def advocate_of(program: Program, code_text: str) -> ReferralCode:
    code = rules.clean_code(code_text)
    found = queries.by_code(code) if code is not None else None
    if found is None or found.program_id != program.id:
        raise Conflict(code="referral_code_unknown")
    return found


def refer(
    *,
    program: Program,
    code: ReferralCode,
    friend: Membership,
    method: str,
    new_member: bool,
    network: str | None = None,
    order_id: int | None = None,
    at: datetime | None = None,
) -> Referral:
    """The referral of ``friend`` by the code's member: rejected with its reason, or pending
    (completed at once when the program completes on sign-up and nothing holds it)."""
    at = at or clock.now()
    settings = enabled_settings(program.id)
    advocate = db.session.get(Membership, code.membership_id)
    if advocate is None or advocate.status != MembershipStatus.ACTIVE:
        raise Conflict(code="referral_code_unknown")  # a member who left refers nobody
    mine, theirs = queries.party(advocate), queries.party(friend)
    referral = Referral(
        program_id=program.id,
        advocate_id=advocate.id,
        friend_id=friend.id,
        friend_email=theirs.email,
        code=code.code,
        method=method,
        status=ReferralStatus.PENDING,
        network=network,
        order_id=order_id,
        created_at=at,
        expires_at=at + timedelta(days=settings.expiry_days),
    )
    reason = rules.self_referral(mine, theirs, by_order=method == ReferralMethod.ORDER)
    if reason is None and queries.referred(program.id, friend.id, advocate.id):
        reason = ReferralReason.LOOP
    if reason is None and not new_member:
        reason = (
            ReferralReason.NOT_FIRST_ORDER
            if method == ReferralMethod.ORDER
            else ReferralReason.NOT_NEW
        )
    if reason is None and queries.live_for_friend(program.id, friend.id, theirs.email):
        reason = ReferralReason.ALREADY_REFERRED
    if reason is None:
        if network is not None:
            referral.held = rules.held(
                queries.from_network(program.id, network, at - rules.HOLD_WINDOW) + 1
            )
        try:
            with db.session.begin_nested():
                db.session.add(referral)
        except IntegrityError:
            # Another advocate's referral of this friend committed first: it wins.
            reason = ReferralReason.ALREADY_REFERRED
    if reason is not None:
        return _rejected(referral, reason, at)
    if settings.completes == ReferralCompletes.ON_SIGNUP and not referral.held:
        complete(referral.id, at=at, trigger="signup")
    return referral


_COPIED = (
    "program_id",
    "advocate_id",
    "friend_id",
    "friend_email",
    "code",
    "method",
    "network",
    "order_id",
    "created_at",
    "expires_at",
)


def _rejected(referral: Referral, reason: str, at: datetime) -> Referral:
    copied = {column: getattr(referral, column) for column in _COPIED}
    rejected = Referral(
        **copied,
        status=ReferralStatus.REJECTED,
        reason=reason,
        held=False,
        decided_at=at,
    )
    db.session.add(rejected)
    db.session.flush()
    return rejected


def on_order(
    *,
    program_id: int,
    membership_id: int,
    order_id: int,
    code_text: str | None,
    at: datetime,
    network: str | None = None,
) -> Referral | None:
    """What a paid order does to referrals: a code on the friend's first order refers them
    (completed at once on sign-up programs); a pending referral waiting for the first
    purchase is decided by the friend's first paid order (``queries.first_paid_order``'s
    one ranking), whichever order's occurrence comes first: completed when it reaches the
    minimum, else rejected."""
    settings = queries.settings_of(program_id)
    program = db.session.get(Program, program_id)
    friend = db.session.get(Membership, membership_id)
    if settings is None or not settings.enabled or program is None or friend is None:
        return None
    email = queries.party(friend).email
    live = queries.live_for_friend(program_id, membership_id, email)
    text = rules.clean_code(code_text) if code_text else None
    if live is None:
        code = queries.by_code(text) if text else None
        advocate = db.session.get(Membership, code.membership_id) if code else None
        if (
            code is None
            or code.program_id != program_id
            or advocate is None
            or advocate.status != MembershipStatus.ACTIVE
        ):
            return None  # not a code of this program's members: the order is just an order
        made = refer(
            program=program,
            code=code,
            friend=friend,
            method=ReferralMethod.ORDER,
            new_member=queries.earlier_paid_orders(membership_id, order_id) == 0,
            order_id=order_id,
            at=at,
            network=network,
        )
        if made.reason != ReferralReason.ALREADY_REFERRED:
            live = made
        else:  # a sign-up through a link won the race: this order may complete it
            live = queries.live_for_friend(program_id, membership_id, email)
    if (
        live is None
        or live.status != ReferralStatus.PENDING
        or settings.completes != ReferralCompletes.ON_FIRST_PURCHASE
        or live.friend_id != membership_id
    ):
        return live
    # The friend's first paid order decides, whichever order's consumer comes first. It
    # may have been paid a moment before the referral was made: a friend with a paid order
    # is refused at sign-up, so such an order raced the sign-up (its transaction had not
    # committed when the sign-up looked) and counts as bought through the referral.
    first = queries.first_paid_order(membership_id)
    if first is None:
        return live
    if first.currency != program.currency or first.subtotal < settings.minimum_amount:
        reject_pending(live, ReferralReason.BELOW_MINIMUM, at)
        return live
    live.order_id = first.id
    if live.held:
        live.qualified_at = at  # the team's approval completes it
        db.session.flush()
        return live
    complete(live.id, at=at, trigger="purchase")
    return live


def reject_pending(referral: Referral, reason: str, at: datetime) -> bool:
    done = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == ReferralStatus.PENDING)
        .values(status=ReferralStatus.REJECTED, reason=reason, decided_at=at, held=False)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(referral)
    return bool(getattr(done, "rowcount", 0))


def _lock(*membership_ids: int) -> None:
    """Both memberships' rows, in id order (the ledger's lock order)."""
    db.session.execute(
        select(Membership.id)
        .where(Membership.id.in_(sorted(set(membership_ids))))
        .order_by(Membership.id)
        .with_for_update()
    ).all()


def complete(referral_id: int, *, at: datetime, trigger: str) -> bool:
    """Pay both sides once and announce it; False when it was no longer pending (completed
    by someone else meanwhile, expired, or the advocate's cap reached: rejected)."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.friend_id is None:
        return False
    _lock(referral.advocate_id, referral.friend_id)
    db.session.refresh(referral)
    if referral.status != ReferralStatus.PENDING:
        return False
    if referral.expires_at <= at:
        db.session.execute(
            update(Referral)
            .where(Referral.id == referral.id, Referral.status == ReferralStatus.PENDING)
            .values(status=ReferralStatus.EXPIRED)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(referral)
        return False
    settings = queries.settings_of(referral.program_id)
    program = db.session.get(Program, referral.program_id)
    assert settings is not None  # a referral exists only under settings
    assert program is not None
    if settings.cap_count is not None:
        start = limit_start(settings.cap_period, at, shop_zone(program))
        if queries.completed_count(referral.advocate_id, start) >= settings.cap_count:
            reject_pending(referral, ReferralReason.CAP_REACHED, at)
            return False
    ordinal = queries.completed_count(referral.advocate_id) + 1
    prize = rules.advocate_prize(
        Prize(settings.advocate_points, settings.advocate_reward_id),
        queries.steps_of(settings),
        ordinal,
    )
    moved = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == ReferralStatus.PENDING)
        .values(
            status=ReferralStatus.COMPLETED,
            completed_at=at,
            ordinal=ordinal,
            conversion_seconds=max(0, int((at - referral.created_at).total_seconds())),
            advocate_points=prize.points,
            friend_points=settings.friend_points,
            advocate_reward_id=prize.reward_id,
            friend_reward_id=settings.friend_reward_id,
            held=False,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(moved, "rowcount", 0):
        return False
    db.session.refresh(referral)
    if prize.points > 0:
        referral.advocate_entry_id = _pay(referral.advocate_id, prize.points, referral.id)
    if settings.friend_points > 0:
        referral.friend_entry_id = _pay(referral.friend_id, settings.friend_points, referral.id)
    db.session.flush()
    advocate = db.session.get(Membership, referral.advocate_id)
    assert advocate is not None
    outbox.record(
        OccurrenceType.REFERRAL_COMPLETED,
        shop_id=program.shop_id,
        referral_id=referral.id,
        membership_id=advocate.id,
        program_id=program.id,
        user_id=advocate.user_id,
        friend_membership_id=referral.friend_id,
        trigger=trigger,
        ordinal=ordinal,
        advocate_points=prize.points,
        friend_points=settings.friend_points,
        advocate_reward_id=prize.reward_id,
        friend_reward_id=settings.friend_reward_id,
    )
    return True


def _pay(membership_id: int, points: int, referral_id: int) -> int:
    entry = book.post(
        membership_id=membership_id,
        amount=points,
        kind=EntryKind.REFERRAL,
        actor_id=None,
        cause_type=CAUSE,
        cause_id=referral_id,
    )
    return entry.id
