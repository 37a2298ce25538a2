"""An owner's home: the shops I run with today's stamps and receipts and the team's pages I
may open, the invitations waiting for me, and the header's way back to both."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.accounts.models import User
from stampbook.programs.models import Membership
from stampbook.rewards.models import Redemption, RedemptionStatus, Reward
from stampbook.shops.models import InvitationStatus
from tests.factories.accounts import make_user
from tests.factories.shops import make_invitation, make_role, make_shop
from tests.factories.tasks import make_stamp
from tests.pages import Cafe, log_in, text_of

# 10:00 in Auckland (UTC+13 in December): the shop's day began at 11:00 UTC the day before.
NOW = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
SHOP_MIDNIGHT = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stampbook.core.clock.now", lambda: NOW)


def receipt(
    session: Session, reward: Reward, membership: Membership, at: datetime, **kw: Any
) -> None:
    session.add(
        Redemption(
            shop_id=reward.shop_id,
            reward_id=reward.id,
            user_id=membership.user_id,
            paid_by_membership_id=membership.id,
            paid_by_user_id=membership.user_id,
            points_paid=reward.cost,
            reward_content={"id": reward.id, "name": reward.name, "cost": reward.cost},
            created_at=at,
            **kw,
        )
    )
    session.flush()


def shops_section(page: str) -> str:
    found = re.search(r'<section class="mb-4" id="my-shops".*?</section>', page, re.S)
    assert found, "no section of the shops I run"
    return found.group(0)


def test_an_owner_finds_their_shop_with_todays_stamps_and_receipts(
    client: FlaskClient, session: Session, cafe: Cafe, pinned: None
) -> None:
    cafe.shop.time_zone = "Pacific/Auckland"
    make_stamp(session, cafe.task, cafe.membership, at=SHOP_MIDNIGHT + timedelta(minutes=1))
    make_stamp(session, cafe.task, cafe.membership, at=NOW - timedelta(minutes=5), quantity=2)
    make_stamp(session, cafe.task, cafe.membership, at=SHOP_MIDNIGHT - timedelta(minutes=1))
    make_stamp(session, cafe.task, cafe.membership, at=NOW, revoked_at=NOW)
    receipt(session, cafe.coffee, cafe.membership, SHOP_MIDNIGHT + timedelta(hours=1))
    receipt(
        session,
        cafe.coffee,
        cafe.membership,
        NOW,
        status=RedemptionStatus.CANCELLED,
        cancelled_at=NOW,
    )
    receipt(session, cafe.coffee, cafe.membership, SHOP_MIDNIGHT - timedelta(hours=1))
    make_shop(session, make_user(session), name="Somebody else's shop")
    log_in(client, cafe.owner.email)
    shops = shops_section(text_of(client.get("/")))
    assert "Corner Café" in shops and "Creator" in shops
    assert "Somebody else" not in shops
    # Today in Auckland: 3 stamps (the revoked one and yesterday's left out), 1 receipt.
    assert "Today: 3 stamps · 1 receipt" in shops
    shop_id = cafe.shop.id
    for path in (
        f"/shops/{shop_id}",
        f"/shops/{shop_id}/stamp",
        f"/shops/{shop_id}/redemptions",
        f"/shops/{shop_id}/team",
        f"/shops/{shop_id}/invitations",
    ):
        assert f'href="{path}"' in shops, path
        assert client.get(path).status_code == 200, path


def test_a_team_member_sees_only_the_pages_their_role_opens(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    assistant = make_user(session, email="barista@example.com")
    make_role(session, cafe.shop, assistant, "assistant")
    log_in(client, assistant.email)
    shops = shops_section(text_of(client.get("/")))
    assert "Corner Café" in shops and "Assistant" in shops
    assert "Today: 0 stamps · 0 receipts" in shops
    assert f'href="/shops/{cafe.shop.id}/stamp"' in shops
    assert f'href="/shops/{cafe.shop.id}/team"' not in shops
    assert f'href="/shops/{cafe.shop.id}/invitations"' not in shops


def test_a_deleted_shop_and_a_member_without_shops(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    shops = shops_section(text_of(client.get("/")))
    assert "You run no shop yet." in shops and 'href="/shops/new"' in shops
    gone = make_shop(session, cafe.member, name="Closed for good")
    gone.deleted_at = NOW
    session.flush()
    assert "Closed for good" not in text_of(client.get("/"))


def badge(page: str) -> str | None:
    found = re.search(
        r'href="/invitations">Invitations(?: <span class="badge[^"]*">(\d+)<span '
        r'class="visually-hidden"> pending invitations?</span></span>)?</a>',
        page,
    )
    assert found, "no invitations link in the header"
    return found.group(1)


def invite_everywhere(session: Session, cafe: Cafe, me: User) -> None:
    other = make_shop(session, cafe.owner, name="Tea Room")
    make_invitation(session, cafe.shop, user=me)
    make_invitation(session, other, email=me.email)  # to my address, not yet claimed
    make_invitation(session, other, user=me, program=cafe.program, status=InvitationStatus.DECLINED)
    make_invitation(session, other, user=cafe.owner)  # someone else's


def test_the_header_counts_my_pending_invitations_and_home_lists_them(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.member.email)
    assert badge(text_of(client.get("/explore"))) is None
    invite_everywhere(session, cafe, cafe.member)
    page = text_of(client.get("/explore"))
    assert badge(page) == "2"
    home = text_of(client.get("/"))
    assert badge(home) == "2"
    waiting = re.search(r'aria-labelledby="invited-title">.*?</section>', home, re.S)
    assert waiting, "no invitations on the home page"
    assert "Corner Café" in waiting.group(0) and "Tea Room" in waiting.group(0)
    assert 'href="/invitations"' in waiting.group(0)


def test_the_header_leads_back_to_my_shops(client: FlaskClient, cafe: Cafe) -> None:
    assert 'href="/#my-shops"' not in text_of(client.get("/explore"))  # a visitor
    log_in(client, cafe.owner.email)
    page = text_of(client.get("/explore"))
    assert 'href="/#my-shops">My shops</a>' in page
    assert 'id="my-shops"' in text_of(client.get("/"))
