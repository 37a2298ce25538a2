"""Reward services with a pinned clock: limits, renewals, snapshots, gifts, group pots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.core.errors import AppError, Conflict, InsufficientPoints, NotFound
from stampbook.ledger.models import EntryKind, LedgerEntry
from stampbook.ledger.queries import find_discrepancies
from stampbook.programs.models import Membership
from stampbook.rewards import contributing, loading, redeeming, services, settling
from stampbook.rewards.demo import add_demo_rewards
from stampbook.rewards.models import (
    Contribution,
    ContributionStatus,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardChange,
)
from stampbook.rewards.rules import load_settings
from stampbook.shops.models import Shop
from tests.factories.accounts import make_user
from tests.factories.rewards import make_member, make_reward
from tests.factories.shops import make_shop

pytestmark = pytest.mark.usefixtures("app_context")

MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
DAILY = {"limit_reset": [{"schedule": {"times": ["00:00"]}, "limit_type": "user"}]}


def local(tz: ZoneInfo, *wall: int) -> datetime:
    return datetime(*wall, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def owner(session: Session) -> User:
    return make_user(session)


@pytest.fixture
def shop(session: Session, owner: User) -> Shop:
    return make_shop(session, owner)


def user_of(session: Session, membership: Membership) -> User:
    user = session.get(User, membership.user_id)
    assert user is not None
    return user


def redeem(session: Session, membership: Membership, reward: Reward, **kwargs: Any) -> Redemption:
    kwargs.setdefault("now", T0)
    return redeeming.redeem(
        user_of(session, membership),
        reward_id=reward.id,
        membership_id=membership.id,
        **kwargs,
    )


def code_of(call: Any) -> str:
    with pytest.raises(AppError) as caught:
        call()
    return caught.value.code


def balance(session: Session, membership: Membership) -> int:
    session.refresh(membership)
    return membership.balance


# --- Editing --------------------------------------------------------------------------------


def test_create_and_edit_record_each_changed_field(
    session: Session, owner: User, shop: Shop
) -> None:
    reward = services.create_reward(
        owner, shop_id=shop.id, fields={"name": "Coffee", "cost": 10, "quantity": 5}, now=T0
    )
    assert (reward.created_by, reward.last_renewed_at, reward.created_at) == (owner.id, T0, T0)
    later = T0 + timedelta(hours=1)
    services.update_reward(
        owner,
        reward_id=reward.id,
        changes={"name": "Coffee", "cost": 12, "expiry_date": later, "schedule_settings": DAILY},
        now=later,
    )
    changes = session.scalars(select(RewardChange).order_by(RewardChange.id)).all()
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("cost", 10, 12),
        ("expiry_date", None, later.isoformat()),
        (
            "schedule_settings",
            {},
            load_settings(DAILY).model_dump(mode="json"),
        ),
    ]
    assert {c.changed_by for c in changes} == {owner.id}
    assert {c.changed_at for c in changes} == {later}


def test_snapshot_survives_edit_and_delete(session: Session, owner: User, shop: Shop) -> None:
    reward = make_reward(session, shop, name="Cake", summary="Chocolate", cost=10, color="#aa0000")
    member = make_member(session, shop, 50)
    receipt = redeem(session, member, reward)
    expected = {
        "id": reward.id,
        "name": "Cake",
        "summary": "Chocolate",
        "description": None,
        "color": "#aa0000",
        "icon": None,
        "cost": 10,
    }
    assert receipt.reward_content == expected
    services.update_reward(owner, reward_id=reward.id, changes={"name": "Pie", "cost": 99})
    services.delete_reward(owner, reward_id=reward.id)
    session.expire_all()
    stored = session.get(Redemption, receipt.id)
    assert stored is not None
    assert stored.reward_content == expected
    assert stored.points_paid == 10
    with pytest.raises(NotFound):
        loading.load_reward(reward.id)


def test_open_pot_blocks_edits_that_would_strand_it(
    session: Session, owner: User, shop: Shop
) -> None:
    reward = make_reward(session, shop, cost=100, is_group_reward=True)
    member = make_member(session, shop, 50)
    contributing.contribute(
        user_of(session, member), reward_id=reward.id, membership_id=member.id, points=40, now=T0
    )
    for changes in ({"cost": 40}, {"is_group_reward": False}):
        assert (
            code_of(lambda c=changes: services.update_reward(owner, reward_id=reward.id, changes=c))
            == "contributions_open"
        )
    services.update_reward(owner, reward_id=reward.id, changes={"cost": 41})


def test_move_rewards_moves_rewards_and_receipts(session: Session, owner: User, shop: Shop) -> None:
    other = make_shop(session, owner)
    reward = make_reward(session, shop)
    make_reward(session, shop, deleted_at=T0)
    receipt = redeem(session, make_member(session, shop, 10), reward)
    assert services.move_rewards(from_shop_id=shop.id, to_shop_id=other.id) == 2
    assert services.move_rewards(from_shop_id=shop.id, to_shop_id=other.id) == 0
    session.expire_all()
    assert session.get(Reward, reward.id).shop_id == other.id  # type: ignore[union-attr]
    assert session.get(Redemption, receipt.id).shop_id == other.id  # type: ignore[union-attr]
    moved = session.scalars(select(RewardChange).where(RewardChange.field == "shop_id")).all()
    assert {(c.old_value, c.new_value) for c in moved} == {(shop.id, other.id)}


# --- Redeeming ------------------------------------------------------------------------------


def test_redeem_debits_takes_stock_and_writes_the_receipt(session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, cost=15, quantity=4)
    member = make_member(session, shop, 100)
    receipt = redeem(session, member, reward, quantity=3)
    assert (receipt.points_paid, receipt.quantity, receipt.status) == (45, 3, "issued")
    assert (receipt.user_id, receipt.paid_by_user_id) == (member.user_id, member.user_id)
    assert receipt.created_at == T0
    assert balance(session, member) == 55
    assert reward.quantity == 1
    entry = session.get(LedgerEntry, receipt.ledger_entry_id)
    assert entry is not None
    assert (entry.kind, entry.amount, entry.cause_type, entry.cause_id) == (
        EntryKind.REDEMPTION,
        -45,
        "redemption",
        str(receipt.id),
    )
    assert find_discrepancies() == []


def test_checks_come_in_order(session: Session, shop: Shop) -> None:
    closed = {"availability": [{"dates": ["2030-01-01"]}]}
    reward = make_reward(
        session,
        shop,
        cost=30,
        quantity=0,
        group_limit=1,
        user_limit=1,
        expiry_date=T0 - timedelta(days=1),
        schedule_settings=closed,
    )
    member = make_member(session, shop, 20)
    codes = []
    for fix in (
        {"schedule_settings": {}},
        {"expiry_date": None},
        {"cost": 10},
        {"quantity": 5},
    ):
        codes.append(code_of(lambda: redeem(session, member, reward)))
        for name, value in fix.items():
            setattr(reward, name, value)
        session.flush()
    redeem(session, member, reward)
    other = make_member(session, shop, 10)
    with pytest.raises(Conflict) as group:
        redeem(session, other, reward)
    reward.group_limit = 2
    with pytest.raises(Conflict) as user:
        redeem(session, member, reward)
    assert codes == [
        "reward_unavailable",
        "reward_expired",
        "insufficient_points",
        "out_of_stock",
    ]
    assert (group.value.code, group.value.extra["limit"]) == ("limit_reached", "group")
    assert (user.value.code, user.value.extra["limit"]) == ("limit_reached", "user")


def test_unavailable_says_when_it_opens_again(session: Session, shop: Shop) -> None:
    reward = make_reward(
        session,
        shop,
        schedule_settings={"availability": [{"time_ranges": [["09:00", "17:00"]]}]},
    )
    member = make_member(session, shop, 10)
    with pytest.raises(Conflict) as caught:
        redeem(session, member, reward, now=datetime(2024, 5, 1, 18, tzinfo=UTC))
    assert caught.value.code == "reward_unavailable"
    assert caught.value.extra == {"available_again_at": "2024-05-02T09:00:00+00:00"}
    assert redeem(session, member, reward, now=datetime(2024, 5, 2, 9, tzinfo=UTC))


def test_group_limit_counts_everyone(session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, group_limit=2)
    first, second = make_member(session, shop, 50), make_member(session, shop, 50)
    redeem(session, first, reward)
    redeem(session, second, reward)
    with pytest.raises(Conflict) as caught:
        redeem(session, first, reward)
    assert caught.value.extra == {"limit": "group", "resets_at": None}


def test_daily_user_limit_at_midnight(session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, user_limit=2, schedule_settings=DAILY)
    member, other = make_member(session, shop, 100), make_member(session, shop, 100)
    evening = datetime(2024, 5, 1, 23, 59, 59, tzinfo=UTC)
    redeem(session, member, reward, now=datetime(2024, 5, 1, 0, 0, tzinfo=UTC))
    redeem(session, member, reward, now=evening)
    with pytest.raises(Conflict) as caught:
        redeem(session, member, reward, now=evening)
    assert caught.value.extra == {"limit": "user", "resets_at": "2024-05-02T00:00:00+00:00"}
    redeem(session, other, reward, now=evening)  # another member's limit is their own
    redeem(session, member, reward, now=datetime(2024, 5, 2, tzinfo=UTC))


def test_daily_limit_on_the_fall_back_night_in_madrid(session: Session, owner: User) -> None:
    shop = make_shop(session, owner, time_zone="Europe/Madrid")
    reward = make_reward(session, shop, user_limit=1, schedule_settings=DAILY)
    member = make_member(session, shop, 100)
    redeem(session, member, reward, now=local(MADRID, 2024, 10, 26, 23, 59))
    # 00:00 on the 27th in Madrid is 22:00 UTC on the 26th: a new period already.
    redeem(session, member, reward, now=local(MADRID, 2024, 10, 27, 0, 0))
    # The 27th lasts 25 hours; 23:30 local is still in it.
    with pytest.raises(Conflict) as caught:
        redeem(session, member, reward, now=local(MADRID, 2024, 10, 27, 23, 30))
    assert caught.value.extra["resets_at"] == "2024-10-27T23:00:00+00:00"
    redeem(session, member, reward, now=local(MADRID, 2024, 10, 28, 0, 0))


def test_daily_limit_on_the_spring_forward_night_in_madrid(session: Session, owner: User) -> None:
    shop = make_shop(session, owner, time_zone="Europe/Madrid")
    reward = make_reward(session, shop, user_limit=1, schedule_settings=DAILY)
    member = make_member(session, shop, 100)
    redeem(session, member, reward, now=local(MADRID, 2024, 3, 31, 0, 30))
    # 01:59 CET and then 03:00 CEST: the same 23-hour day.
    assert code_of(lambda: redeem(session, member, reward, now=local(MADRID, 2024, 3, 31, 3))) == (
        "limit_reached"
    )
    redeem(session, member, reward, now=datetime(2024, 3, 31, 22, 0, tzinfo=UTC))


def test_weekly_reset_in_tokyo(session: Session, owner: User) -> None:
    shop = make_shop(session, owner, time_zone="Asia/Tokyo")
    weekly = {"limit_reset": [{"schedule": {"days_of_week": [0]}, "limit_type": "both"}]}
    reward = make_reward(session, shop, user_limit=1, schedule_settings=weekly)
    member = make_member(session, shop, 100)
    redeem(session, member, reward, now=local(TOKYO, 2024, 5, 6, 0, 0))  # Monday
    with pytest.raises(Conflict) as caught:
        redeem(session, member, reward, now=local(TOKYO, 2024, 5, 12, 23, 59))  # Sunday
    # Monday 00:00 in Tokyo is Sunday 15:00 UTC.
    assert caught.value.extra["resets_at"] == "2024-05-12T15:00:00+00:00"
    redeem(session, member, reward, now=datetime(2024, 5, 12, 15, tzinfo=UTC))


def test_cancelled_receipts_do_not_count_toward_limits(
    session: Session, owner: User, shop: Shop
) -> None:
    reward = make_reward(session, shop, user_limit=1)
    member = make_member(session, shop, 100)
    receipt = redeem(session, member, reward)
    redeeming.cancel_redemption(owner, redemption_id=receipt.id, reason="mistake", now=T0)
    redeem(session, member, reward)


def test_stock_renews_up_to_the_cap(session: Session, owner: User) -> None:
    shop = make_shop(session, owner, time_zone="Europe/Madrid")
    renewal = {
        "quantity_renewal": [{"schedule": {"times": ["08:00"]}, "renewal_quantity": 2, "cap": 5}]
    }
    start = local(MADRID, 2024, 5, 1, 9)
    reward = make_reward(
        session, shop, quantity=0, schedule_settings=renewal, last_renewed_at=start
    )
    member = make_member(session, shop, 1000)
    assert code_of(lambda: redeem(session, member, reward, now=local(MADRID, 2024, 5, 2, 7))) == (
        "out_of_stock"
    )
    redeem(session, member, reward, now=local(MADRID, 2024, 5, 2, 8))
    assert (reward.quantity, reward.last_renewed_at) == (1, local(MADRID, 2024, 5, 2, 8))
    # Three mornings later: 1 + 3 x 2, capped at 5.
    redeem(session, member, reward, now=local(MADRID, 2024, 5, 5, 10))
    assert reward.quantity == 4
    assert reward.edited_at is None  # bookkeeping is not an edit


def test_failed_redemption_is_refused_before_any_write(session: Session, shop: Shop) -> None:
    reward = make_reward(session, shop, cost=10, quantity=1)
    member = make_member(session, shop, 5)
    with pytest.raises(InsufficientPoints):
        redeem(session, member, reward)
    assert session.scalar(select(func.count()).select_from(Redemption)) == 0
    assert reward.quantity == 1
    assert balance(session, member) == 5


# --- Gifts ----------------------------------------------------------------------------------


def test_gift_receipt_is_the_recipients_and_the_points_the_givers(
    session: Session, shop: Shop
) -> None:
    reward = make_reward(session, shop, cost=10, is_giftable=True, user_limit=1)
    giver = make_member(session, shop, 30)
    friend = make_user(session)
    receipt = redeem(session, giver, reward, gift_to_user_id=friend.id)
    assert (receipt.user_id, receipt.gifted_by_user_id, receipt.paid_by_membership_id) == (
        friend.id,
        giver.user_id,
        giver.id,
    )
    assert balance(session, giver) == 20
    # The giver's user limit counts what they gave.
    assert code_of(lambda: redeem(session, giver, reward)) == "limit_reached"


def test_gift_refusals(session: Session, shop: Shop) -> None:
    plain = make_reward(session, shop)
    giftable = make_reward(session, shop, is_giftable=True)
    giver = make_member(session, shop, 30)
    friend = make_user(session)
    assert code_of(lambda: redeem(session, giver, plain, gift_to_user_id=friend.id)) == (
        "not_giftable"
    )
    # A gift to oneself depends on who asks, so no schema can refuse it: 409, not 422.
    assert code_of(lambda: redeem(session, giver, giftable, gift_to_user_id=giver.user_id)) == (
        "gift_to_self"
    )
    with pytest.raises(NotFound):
        redeem(session, giver, giftable, gift_to_user_id=friend.id + 10_000)
    gone = make_user(session, deleted_at=T0)
    with pytest.raises(NotFound):
        redeem(session, giver, giftable, gift_to_user_id=gone.id)
    assert balance(session, giver) == 30


# --- Cancel and fulfil ----------------------------------------------------------------------


def test_cancel_refunds_restores_stock_once(session: Session, owner: User, shop: Shop) -> None:
    reward = make_reward(session, shop, cost=10, quantity=3)
    member = make_member(session, shop, 40)
    receipt = redeem(session, member, reward, quantity=2)
    cancelled = redeeming.cancel_redemption(owner, redemption_id=receipt.id, reason="No milk")
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == (
        RedemptionStatus.CANCELLED,
        "No milk",
        owner.id,
    )
    assert balance(session, member) == 40
    assert reward.quantity == 3
    refund = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND)).one()
    assert (refund.amount, refund.reverses_id) == (20, receipt.ledger_entry_id)
    assert (
        code_of(
            lambda: redeeming.cancel_redemption(owner, redemption_id=receipt.id, reason="again")
        )
        == "already_cancelled"
    )
    assert balance(session, member) == 40
    assert find_discrepancies() == []


def test_fulfil_is_harmless_twice_and_refused_once_cancelled(
    session: Session, owner: User, shop: Shop
) -> None:
    reward = make_reward(session, shop)
    member = make_member(session, shop, 40)
    first, second = redeem(session, member, reward), redeem(session, member, reward)
    assert redeeming.fulfil_redemption(owner, redemption_id=first.id, now=T0).status == "fulfilled"
    again = redeeming.fulfil_redemption(owner, redemption_id=first.id, now=T0 + timedelta(1))
    assert again.fulfilled_at == T0
    redeeming.cancel_redemption(owner, redemption_id=second.id, reason="x")
    assert code_of(lambda: redeeming.fulfil_redemption(owner, redemption_id=second.id)) == (
        "redemption_cancelled"
    )
    # A fulfilled receipt may still be cancelled (and refunded).
    redeeming.cancel_redemption(owner, redemption_id=first.id, reason="returned")
    assert balance(session, member) == 40


# --- Group rewards --------------------------------------------------------------------------


def contribute(session: Session, member: Membership, reward: Reward, points: int, **kw: Any):  # type: ignore[no-untyped-def]
    kw.setdefault("now", T0)
    return contributing.contribute(
        user_of(session, member), reward_id=reward.id, membership_id=member.id, points=points, **kw
    )


def test_contributions_fill_the_pot_and_everyone_gets_a_receipt(
    session: Session, shop: Shop
) -> None:
    reward = make_reward(session, shop, cost=100, is_group_reward=True, quantity=2)
    ann, bob = make_member(session, shop, 100), make_member(session, shop, 100)
    first = contribute(session, ann, reward, 30)
    assert (first.completed, first.group_progress, first.contribution.points) == (False, 30, 30)
    contribute(session, bob, reward, 40)
    last = contribute(session, ann, reward, 90)  # only 30 are missing
    assert last.contribution.points == 30
    assert (last.completed, last.group_progress, reward.group_round, reward.quantity) == (
        True,
        0,
        2,
        1,
    )
    receipts = session.scalars(select(Redemption).order_by(Redemption.paid_by_membership_id)).all()
    assert [(r.paid_by_membership_id, r.points_paid, r.group_round) for r in receipts] == [
        (ann.id, 60, 1),
        (bob.id, 40, 1),
    ]
    assert last.redemption is not None
    assert last.redemption.paid_by_membership_id == ann.id
    assert (balance(session, ann), balance(session, bob)) == (40, 60)
    statuses = session.scalars(select(Contribution.status)).all()
    assert set(statuses) == {ContributionStatus.COMPLETED}
    assert find_discrepancies() == []


def test_group_refusals(session: Session, shop: Shop) -> None:
    plain = make_reward(session, shop)
    closed = make_reward(session, shop, is_group_reward=True, can_contribute=False)
    group = make_reward(session, shop, is_group_reward=True, cost=50, group_limit=1)
    member = make_member(session, shop, 200)
    assert code_of(lambda: contribute(session, member, plain, 5)) == "not_contributable"
    assert code_of(lambda: contribute(session, member, closed, 5)) == "not_contributable"
    assert code_of(lambda: redeem(session, member, group)) == "group_reward"
    contribute(session, member, group, 50)
    assert code_of(lambda: contribute(session, member, group, 5)) == "limit_reached"


def test_cancelling_a_group_receipt_cancels_the_completion(
    session: Session, owner: User, shop: Shop
) -> None:
    reward = make_reward(session, shop, cost=50, is_group_reward=True, quantity=1)
    ann, bob = make_member(session, shop, 50), make_member(session, shop, 50)
    contribute(session, ann, reward, 20)
    done = contribute(session, bob, reward, 30)
    assert done.redemption is not None
    redeeming.cancel_redemption(owner, redemption_id=done.redemption.id, reason="broken")
    assert session.scalars(select(Redemption.status)).all() == ["cancelled", "cancelled"]
    assert (balance(session, ann), balance(session, bob), reward.quantity) == (50, 50, 1)
    assert find_discrepancies() == []


def test_deleting_a_group_reward_refunds_its_pot(session: Session, owner: User, shop: Shop) -> None:
    reward = make_reward(session, shop, cost=100, is_group_reward=True)
    ann, bob = make_member(session, shop, 50), make_member(session, shop, 50)
    contribute(session, ann, reward, 20)
    contribute(session, bob, reward, 30)
    services.delete_reward(owner, reward_id=reward.id)
    assert (balance(session, ann), balance(session, bob)) == (50, 50)
    statuses = session.scalars(select(Contribution.status)).all()
    assert statuses == [ContributionStatus.REFUNDED] * 2
    refunds = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND)).all()
    assert sorted(e.amount for e in refunds) == [20, 30]
    assert find_discrepancies() == []


def test_expired_pots_are_refunded_once_by_the_job(session: Session, shop: Shop) -> None:
    expiry = T0 + timedelta(days=1)
    reward = make_reward(session, shop, cost=100, is_group_reward=True, expiry_date=expiry)
    keep = make_reward(session, shop, cost=100, is_group_reward=True)
    ann = make_member(session, shop, 100)
    contribute(session, ann, reward, 20)
    contribute(session, ann, keep, 10)
    assert settling.refund_expired_group_rewards(now=expiry - timedelta(seconds=1)) == 0
    assert code_of(lambda: contribute(session, ann, reward, 5, now=expiry)) == "reward_expired"
    assert settling.refund_expired_group_rewards(now=expiry) == 1
    assert settling.refund_expired_group_rewards(now=expiry + timedelta(days=9)) == 0
    assert balance(session, ann) == 90
    assert (reward.group_progress, keep.group_progress) == (0, 10)
    assert find_discrepancies() == []


def test_an_edit_settles_an_expired_pot_first(session: Session, owner: User, shop: Shop) -> None:
    expiry = T0 + timedelta(days=1)
    reward = make_reward(session, shop, cost=100, is_group_reward=True, expiry_date=expiry)
    ann = make_member(session, shop, 100)
    contribute(session, ann, reward, 20)
    later = expiry + timedelta(hours=1)
    services.update_reward(
        owner, reward_id=reward.id, changes={"expiry_date": later + timedelta(days=7)}, now=later
    )
    assert balance(session, ann) == 100
    assert reward.group_progress == 0


def test_demo_rewards(session: Session, owner: User, shop: Shop) -> None:
    add_demo_rewards(shop.id, owner.id)
    rewards = session.scalars(select(Reward).where(Reward.shop_id == shop.id)).all()
    assert len(rewards) == 4
    assert any(r.quantity is not None and r.schedule_settings["quantity_renewal"] for r in rewards)
    assert any(r.user_limit and r.schedule_settings["limit_reset"] for r in rewards)
    assert any(r.is_group_reward for r in rewards)
    assert any(r.is_giftable for r in rewards)
