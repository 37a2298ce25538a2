"""The outbox's notifications consumer: occurrences become in-app notices and deliveries,
once; points earned within a minute are one notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stampbook.core import clock, outbox, unit_of_work
from stampbook.core.occurrences import OccurrenceType
from stampbook.notifications import notifying
from stampbook.notifications.kinds import KINDS
from stampbook.notifications.models import Delivery, Notification
from stampbook.notifications.recipients import Recipient
from tests.factories.accounts import auth, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task

T0 = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)


def _notices(session: Session, user_id: int) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
            .execution_options(populate_existing=True)
        )
    )


def test_a_member_who_is_stamped_gets_an_in_app_notification(
    client: FlaskClient, session: Session
) -> None:
    owner, member = make_user(session), make_user(session, name="Ada")
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(session, shop, name="Coffee card", stamp_system_type="self")
    membership = make_membership(session, program, member)
    task = make_task(session, program, point_value=3)
    response = client.post(
        f"/api/v1/tasks/{task.id}/stamps",
        json={"membership_id": membership.id},
        headers=auth(session, member),
    )
    assert response.status_code == 201, response.json
    [notice] = _notices(session, member.id)
    assert notice.kind == "points_earned"
    assert notice.title == "You earned 3 points in Café Luna"
    assert notice.link == f"/programs/{program.id}"
    listed = client.get("/api/v1/notifications", headers=auth(session, member)).json
    assert listed["unread_count"] == 1
    assert listed["items"][0]["title"] == "You earned 3 points in Café Luna"


def _earn(membership_id: int, program_id: int, user_id: int, shop_id: int, at: datetime) -> int:
    occurrence_id = unit_of_work.run(
        lambda: outbox.record(
            OccurrenceType.POINTS_EARNED,
            shop_id=shop_id,
            now=at,
            membership_id=membership_id,
            program_id=program_id,
            user_id=user_id,
            entry_id=1,
            kind="stamp",
            amount=1,
            balance=1,
        )
    )
    assert occurrence_id is not None
    return occurrence_id


@pytest.fixture
def earner(session: Session) -> tuple[int, int, int, int]:
    owner, member = make_user(session), make_user(session)
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(session, shop)
    membership = make_membership(session, program, member)
    session.commit()  # the unit of work starts afresh: what it reads must be committed
    return membership.id, program.id, member.id, shop.id


def test_ten_stamps_in_a_minute_make_one_notice_and_a_repeated_dispatch_none_more(
    app_context: None, session: Session, earner: tuple[int, int, int, int]
) -> None:
    user_id = earner[2]
    ids = [_earn(*earner, T0 + timedelta(seconds=5 * i)) for i in range(10)]
    [notice] = _notices(session, user_id)
    assert notice.title == "You earned 10 points in Café Luna"
    assert notice.points == 10
    for occurrence_id in ids[:3]:
        unit_of_work.run(lambda oid=occurrence_id: outbox.dispatch_now(oid))
    assert len(_notices(session, user_id)) == 1
    assert _notices(session, user_id)[0].points == 10
    # A minute after the batch opened, points open a new one.
    _earn(*earner, T0 + timedelta(seconds=61))
    assert [n.points for n in _notices(session, user_id)] == [10, 1]


def test_two_dispatches_that_both_miss_the_open_batch_still_make_one(
    app_context: None, session: Session, earner: tuple[int, int, int, int]
) -> None:
    """The race: neither finds an open batch; the second insert meets the unique key and
    adds to the first (an upsert), so no second notice appears."""
    _membership_id, program_id, user_id, shop_id = earner
    from stampbook.accounts.models import User

    user = session.get(User, user_id)
    assert user is not None
    recipient = Recipient(
        user,
        shop_id,
        {
            "shop_name": "Café Luna",
            "program_name": "P",
            "amount": 2,
            "balance": 2,
            "user_name": "A",
        },
        None,
        program_id,
        2,
    )
    original = notifying._open_batch
    try:
        notifying._open_batch = lambda *args: None  # type: ignore[assignment]
        unit_of_work.run(lambda: notifying.notify(KINDS["points_earned"], recipient, at=T0))
        unit_of_work.run(lambda: notifying.notify(KINDS["points_earned"], recipient, at=T0))
    finally:
        notifying._open_batch = original  # type: ignore[assignment]
    [notice] = _notices(session, user_id)
    assert notice.points == 4
    assert notice.title == "You earned 4 points in Café Luna"


def test_email_is_off_by_default_for_points_and_on_for_receipts(
    app_context: None, session: Session, earner: tuple[int, int, int, int]
) -> None:
    _membership_id, _program_id, user_id, _shop_id = earner
    _earn(*earner, T0)
    count = session.scalar(select(func.count(Delivery.id)).where(Delivery.user_id == user_id))
    assert count == 0
    assert KINDS["redemption_receipt"].channels["email"] is True


def test_a_batched_points_email_is_one_and_waits_for_its_minute(
    app_context: None,
    session: Session,
    earner: tuple[int, int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _membership_id, _program_id, user_id, _shop_id = earner
    from stampbook.notifications.models import Preference

    session.add(Preference(user_id=user_id, kind="points_earned", channel="email", enabled=True))
    session.commit()
    monkeypatch.setattr(clock, "now", lambda: T0)
    for i in range(10):
        _earn(*earner, T0 + timedelta(seconds=i))
    [delivery] = session.scalars(
        select(Delivery)
        .where(Delivery.user_id == user_id)
        .execution_options(populate_existing=True)
    ).all()
    assert delivery.points == 10
    assert delivery.status == "pending"
    assert delivery.next_attempt_at == T0 + timedelta(minutes=1)


def test_read_notifications_older_than_the_retention_are_pruned(
    app_context: None, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stampbook.notifications import jobs
    from tests.factories.notifications import make_notification

    user = make_user(session)
    old_read = make_notification(session, user, read_at=T0 - timedelta(days=91))
    old_unread = make_notification(session, user, created_at=T0 - timedelta(days=200))
    recent = make_notification(session, user, read_at=T0 - timedelta(days=89))
    monkeypatch.setattr(clock, "now", lambda: T0)
    assert jobs.prune(days=90) == 1
    left = {n.id for n in _notices(session, user.id)}
    assert left == {old_unread.id, recent.id}
    assert old_read.id not in left


def test_a_kind_turned_off_reaches_nobody_on_that_channel(
    app_context: None, session: Session, earner: tuple[int, int, int, int]
) -> None:
    from stampbook.notifications.models import Preference

    user_id = earner[2]
    session.add(Preference(user_id=user_id, kind="points_earned", channel="in_app", enabled=False))
    session.commit()
    _earn(*earner, T0)
    assert _notices(session, user_id) == []


def test_shop_news_reaches_only_members_who_consented(
    client: FlaskClient, session: Session
) -> None:
    from tests.factories.notifications import consent

    owner, agreed, silent = make_user(session), make_user(session), make_user(session)
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(session, shop)
    make_membership(session, program, owner, role_type="manager")
    make_membership(session, program, agreed)
    make_membership(session, program, silent)
    consent(session, agreed, shop.id)
    response = client.post(
        "/api/v1/posts",
        json={"body": "Two for one on Fridays.", "program_id": program.id},
        headers=auth(session, owner),
    )
    assert response.status_code == 201, response.json
    [news] = _notices(session, agreed.id)
    assert (news.kind, news.title) == ("shop_news", "News from Café Luna")
    assert _notices(session, silent.id) == []
    assert _notices(session, owner.id) == []  # not told of their own post
