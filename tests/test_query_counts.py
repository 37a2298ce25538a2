"""The statement count of each hot endpoint is pinned: an N+1 query fails here, not in prod.

Each endpoint is measured in a small world and in one with many more members, entries and
rewards; the count must be the same and equal to the pinned figure.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from stampbook.core import outbox
from stampbook.core.db import db
from stampbook.events.models import Event, Registration
from stampbook.programs.models import Membership
from tests.factories.accounts import PASSWORD, auth, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_invitation, make_shop
from tests.factories.tasks import make_task
from tests.pages import log_in
from tests.querycount import count_statements


@dataclass
class World:
    headers: dict[str, str]
    owner_headers: dict[str, str]
    email: str
    shop_id: int
    program_id: int
    task_id: int
    reward_id: int
    membership_id: int
    event_id: int
    ticket_code: str


def build(session: Session, size: int) -> World:
    owner = make_user(session)
    shop = make_shop(session, owner)
    program = make_program(session, shop)
    task = make_task(session, program, point_value=5)
    rewards = [make_reward(session, shop, cost=10, name=f"Reward {n}") for n in range(size)]
    me = make_user(session, name="Ann Member")
    membership = make_membership(session, program, me)
    give_points(session, membership, 10_000)
    for n in range(size):
        other = make_user(session, name=f"Ann Other {n}")
        give_points(session, make_membership(session, program, other), n + 1)
        give_points(session, membership, 1)
    now = datetime.now(UTC)
    event = Event(
        shop_id=shop.id,
        title="Trivia",
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        points=10,
        program_id=program.id,
    )
    session.add(event)
    session.flush()
    ticket = secrets.token_hex(16).upper()
    session.add(
        Registration(event_id=event.id, user_id=me.id, status="registered", ticket_code=ticket)
    )
    session.flush()
    return World(
        auth(session, me),
        auth(session, owner),
        me.email,
        shop.id,
        program.id,
        task.id,
        rewards[0].id,
        membership.id,
        event.id,
        ticket,
    )


HOT: dict[str, Callable[[FlaskClient, World], object]] = {
    "stamp": lambda c, w: c.post(
        f"/api/v1/tasks/{w.task_id}/stamps",
        headers=w.headers,
        json={"membership_id": w.membership_id},
    ),
    "redemption": lambda c, w: c.post(
        f"/api/v1/rewards/{w.reward_id}/redemptions",
        headers=w.headers,
        json={"membership_id": w.membership_id},
    ),
    "balance": lambda c, w: c.get(f"/api/v1/memberships/{w.membership_id}", headers=w.headers),
    "reward list": lambda c, w: c.get(
        f"/api/v1/shops/{w.shop_id}/rewards?program_id={w.program_id}", headers=w.headers
    ),
    "leaderboard": lambda c, w: c.get(
        f"/api/v1/programs/{w.program_id}/leaderboard", headers=w.headers
    ),
    "history": lambda c, w: c.get(
        f"/api/v1/memberships/{w.membership_id}/entries", headers=w.headers
    ),
    "member search": lambda c, w: c.get(
        f"/api/v1/shops/{w.shop_id}/members?q=ann", headers=w.owner_headers
    ),
    "program members": lambda c, w: c.get(
        f"/api/v1/programs/{w.program_id}/memberships", headers=w.headers
    ),
    "check-in": lambda c, w: c.post(
        f"/api/v1/events/{w.event_id}/check-ins",
        headers=w.owner_headers,
        json={"ticket_code": w.ticket_code, "nonce": "scan-1"},
    ),
}


def measure(app: Flask, client: FlaskClient, world: World, name: str) -> int:
    with app.app_context():
        engine = db.engine
    # The request alone: its occurrences' dispatch runs in a worker after commit (inline only
    # because tests set JOBS_IMMEDIATE), so no consumer is registered while counting.
    before = outbox.use(())
    try:
        with count_statements(engine) as statements:
            response = HOT[name](client, world)
    finally:
        outbox.use(before)
    assert response.status_code < 300, response.get_data(as_text=True)  # type: ignore[attr-defined]
    return statements.count


# Pinned figures: change one only with a reason (and the benchmark to show it).
# The loads of a program, membership or task read the caller's shop role and membership in
# the program with them (``policy.programs.with_actor_parts``): two statements fewer for the
# stamp, leaderboard and program members, one for the balance; a stamp also reads the stamped
# membership's override of the task with the task (one fewer). The reward list reads the
# caller's favourites and best balance with the rewards (two fewer); a redemption reads the
# paying membership with its program (one fewer).
PINNED = {
    # The outbox (core.outbox.record) adds one INSERT per occurrence: a stamp's points.earned;
    # a redemption's points.spent and redemption.created (their dispatch, in a worker, is not
    # the request's: ``measure`` counts without consumers).
    "stamp": 10,
    "redemption": 11,
    "balance": 2,
    "reward list": 3,
    "leaderboard": 3,
    "history": 3,
    "member search": 3,
    "program members": 4,
    # The door's scan (its nonce guards its retries): the token, the event with its shop, the
    # ticket with its person and their membership, the points (balance and entry), the
    # guarded update carrying the entry's id, and points.earned and event.checked_in.
    "check-in": 8,
}


@pytest.mark.parametrize("name", sorted(HOT))
def test_hot_endpoint_query_count_is_pinned_and_size_independent(
    app: Flask, client: FlaskClient, session: Session, name: str
) -> None:
    small = measure(app, client, build(session, 2), name)
    large = measure(app, client, build(session, 25), name)
    assert small == large, f"{name}: {small} statements with 2 rows, {large} with 25"
    assert small == PINNED[name], f"{name}: {small} statements (pinned {PINNED[name]})"


def test_home_page_query_count(app: Flask, client: FlaskClient, session: Session) -> None:
    counts = []
    for size in (1, 8):
        user = make_user(session, email=f"home{size}@example.com")
        for _ in range(size):  # shops I run, programs I am in, invitations waiting for me
            shop = make_shop(session, user)
            give_points(session, make_membership(session, make_program(session, shop), user), 3)
            make_invitation(session, make_shop(session, make_user(session)), user=user)
        browser = app.test_client()
        log_in(browser, user.email, PASSWORD)
        with app.app_context():
            engine = db.engine
        with count_statements(engine) as statements:
            assert browser.get("/").status_code == 200
        counts.append(statements.count)
    # Session, my programs, my favourite rewards, my recent activity, the navigation's unread
    # messages and buddy requests (one query) and its pending invitations (one query, both on
    # every page of a signed-in user, the count read again by the home page from the request's
    # cache), the shops I run (one, with my role in each), and today's stamps and receipts in
    # them (one each, whatever the number of shops; neither asked of someone who runs none),
    # and the invitations waiting for me (one; not asked when the count is 0), and my upcoming
    # event registrations (one, with their events and shops).
    assert counts[0] == counts[1] == 11
    assert Membership  # the page lists memberships with balances


def test_program_page_query_count(app: Flask, client: FlaskClient, session: Session) -> None:
    counts = []
    for size in (1, 8):
        owner = make_user(session)
        program = make_program(session, make_shop(session, owner))
        viewer = make_user(session, email=f"program{size}@example.com")
        mine = make_membership(session, program, viewer)
        for n in range(size):
            make_task(session, program, name=f"Task {n}", point_value=2)
            give_points(session, make_membership(session, program, make_user(session)), n + 1)
        give_points(session, mine, 5)
        browser = app.test_client()
        log_in(browser, viewer.email, PASSWORD)
        with app.app_context():
            engine = db.engine
        with count_statements(engine) as statements:
            assert browser.get(f"/programs/{program.id}").status_code == 200
        counts.append(statements.count)
    # The session, the program with the viewer's role and membership, its tasks, the viewer's
    # streaks, the stats, the leaderboard, the navigation's counts (two queries) and the VIP
    # tiers' part (``ui.parts``: the program's tiers with the viewer's tier, one statement)
    # and the referrals' part (the program's referral settings, one statement), and the
    # wallets' part (the shop's wallet settings, one statement): none of them repeats per
    # task or per member.
    assert counts[0] == counts[1] == 12
