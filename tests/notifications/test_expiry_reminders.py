"""The reminders before points expire (ledger.clocks.remind's ``points.expiring``): the first
warning and the last chance are two notification kinds, in the app and by email, each said
with the program's names for its points."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.core import outbox, unit_of_work
from stampbook.core.occurrences import OccurrenceType
from stampbook.notifications.models import Delivery, Notification
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop


def _remind(session: Session, stage: str) -> list[Notification]:
    owner, member = make_user(session), make_user(session, name="Ada")
    shop = make_shop(session, owner, name="Café Luna")
    program = make_program(
        session,
        shop,
        name="Coffee card",
        points_currency_singular="bean",
        points_currency_plural="beans",
    )
    membership = make_membership(session, program, member)
    session.commit()  # the unit of work starts afresh: what it reads must be committed
    unit_of_work.run(
        lambda: outbox.record(
            OccurrenceType.POINTS_EXPIRING,
            shop_id=shop.id,
            membership_id=membership.id,
            program_id=program.id,
            user_id=member.id,
            stage=stage,
            amount=40,
            expires_at="2027-01-31T23:00:00+00:00",
            balance=120,
        )
    )
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == member.id)
            .execution_options(populate_existing=True)
        )
    )


def test_the_warning_is_its_own_kind_in_the_app_and_by_email(
    app_context: None, session: Session
) -> None:
    [notice] = _remind(session, "warning")
    assert notice.kind == "points_expiring"
    assert notice.title == "40 beans expire on 2027-01-31"
    emails = session.scalars(
        select(Delivery.subject).where(
            Delivery.kind == "points_expiring", Delivery.channel == "email"
        )
    ).all()
    assert emails == ["40 beans expire on 2027-01-31 in Coffee card"]


def test_the_last_chance_is_another_kind(app_context: None, session: Session) -> None:
    [notice] = _remind(session, "last_chance")
    assert notice.kind == "points_last_chance"
    assert notice.title.startswith("Last chance: 40 beans expire on 2027-01-31")
