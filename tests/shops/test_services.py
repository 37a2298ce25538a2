"""Shop services with a pinned clock: opening hours, deletion times, invitation answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from stampbook.core.pagination import PageQuery
from stampbook.shops import queries, services
from stampbook.shops.schemas import ShopQuery
from tests.factories.accounts import make_user
from tests.factories.shops import make_team

MADRID_HOURS = [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["09:00", "14:00"]]}]
WEDNESDAY_NOON_UTC = datetime(2025, 7, 2, 12, 0, tzinfo=UTC)  # 14:00 in Madrid: just closed


def test_is_open_now_uses_the_shop_zone_and_the_given_clock(
    session: Session, app_context: None
) -> None:
    owner = make_user(session)
    out = services.create_shop(
        owner,
        name="Bakery",
        time_zone="Europe/Madrid",
        availability_schedule=MADRID_HOURS,
        now=datetime(2025, 7, 2, 11, 59, tzinfo=UTC),
    )
    assert out.is_open_now is True
    assert services.get_shop(owner, out.id, now=WEDNESDAY_NOON_UTC).is_open_now is False
    listed = queries.list_shops(None, ShopQuery(q="bakery"), now=WEDNESDAY_NOON_UTC)
    assert [(s.id, s.is_open_now, s.my_role) for s in listed.items] == [(out.id, False, None)]


def test_role_list_for_the_team(session: Session, app_context: None) -> None:
    team = make_team(session)
    page = queries.list_roles(team.viewer, team.shop.id, PageQuery(limit=2))
    assert len(page.items) == 2
    assert page.next_cursor is not None
