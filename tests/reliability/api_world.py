"""A realistic little world for black-box API tests: real ids for every kind of object.

Built with the factories and the real services (so every balance matches its entries), on
the test's ``session``. ``ids`` lists the ids of each kind, so fuzzers can aim at objects
that exist instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from flask import Flask, g
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from stampbook.accounts.models import Token, TokenKind, User
from stampbook.accounts.tokens import digest
from stampbook.core.db import Base, db, utcnow
from stampbook.ledger.queries import find_discrepancies
from stampbook.loyalty.models import Campaign, EarningRule
from stampbook.people import message_services, post_services
from stampbook.people import services as social
from stampbook.people.models import PostAudience
from stampbook.programs import services as programs
from stampbook.programs.models import MembershipRole
from stampbook.rewards import contributing, redeeming
from stampbook.rewards import services as rewards
from stampbook.shops import services as shops
from stampbook.shops.models import ShopPrivacy, ShopRoleType
from stampbook.tasks import stamping as tasks
from stampbook.tiers.models import Tier, TierSettings
from tests.consultations import authz_cases as consultation_cases
from tests.events import authz_cases as event_cases
from tests.factories.accounts import make_token, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import make_task
from tests.referrals import authz_cases as referral_cases

PEOPLE = ("owner", "manager", "member", "friend", "outsider")


@dataclass
class World:
    owner: User  # the shop's creator
    manager: User  # a shop manager (team role), not the creator
    member: User  # a plain member of two programs, with points
    friend: User  # another member, and a shop assistant
    outsider: User
    tokens: dict[str, str]  # bearer secret per person above
    ids: dict[str, list[int]] = field(default_factory=dict)  # by kind: "shop_id", ...
    named: dict[str, int] = field(default_factory=dict)  # one id by its name in build_world

    def add(self, kind: str, **named_ids: int) -> None:
        self.ids.setdefault(kind, []).extend(named_ids.values())
        self.named.update(named_ids)


@dataclass
class Stage:
    """A committed world, and the connection every request of the module's app runs on."""

    app: Flask
    world: World
    connection: Connection
    factory: sessionmaker[Session]

    @contextmanager
    def case(self) -> Iterator[Session]:
        """One case in a transaction of its own, rolled back afterwards: every case meets the
        same world. (A transaction each, not a savepoint each in one long transaction:
        PostgreSQL keeps a lock per rolled-back subtransaction until the end of its top-level
        transaction, and thousands of them exhaust its lock table.)"""
        transaction = self.connection.begin()
        session = self.factory()
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


# The member's card at the coffee program's counter (card codes are random otherwise).
MINE_CARD = "CAFEMEMBERCARD" + "2" * 18


@contextmanager
def staged_world(
    app: Flask, engine: Engine, secrets: dict[str, str] | None = None
) -> Iterator[Stage]:
    """Build the world and commit it, with a token of the given secret for each person named
    in ``secrets``; at the end, wipe every table (as ``tests.conftest.committed`` does)."""
    connection = engine.connect()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with app.app_context():
        original = app.extensions["stampbook.core.db"].session_factory
        db.bind_session_factory(factory)
    try:
        with connection.begin():
            session = factory()
            world = build_world(app, session)
            for person, secret in (secrets or {}).items():
                add_token(session, getattr(world, person), secret)
            session.commit()  # its savepoint, into the transaction the block commits
            session.close()
        yield Stage(app, world, connection, factory)
    finally:
        with app.app_context():
            db.bind_session_factory(original)
        connection.close()
        _wipe(engine)


def _wipe(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)


@contextmanager
def app_session(app: Flask, session: Session) -> Iterator[None]:
    """Services called here use the test's session, as the app's requests do."""
    with app.app_context():
        g._db_session = session
        try:
            yield
        finally:
            # Taken back so that the app context's teardown does not close the test's session.
            g.pop("_db_session", None)


def add_token(session: Session, user: User, secret: str) -> None:
    """A bearer token of ``user`` whose secret the caller chose (known before the world is)."""
    now = utcnow()
    session.add(
        Token(
            user_id=user.id,
            kind=TokenKind.API,
            secret_hash=digest(secret),
            created_at=now,
            expires_at=now + timedelta(days=2),
        )
    )
    session.flush()


def build_world(app: Flask, session: Session) -> World:
    """Two shops, five programs (one archived), memberships with points, tasks, rewards (one
    deleted), stamps (one revoked), receipts (one cancelled), invitations, roles, posts (one
    a review), messages and buddy requests."""
    people = {name: make_user(session) for name in PEOPLE}
    world = World(
        **people,
        tokens={
            name: make_token(session, user, lifetime=timedelta(days=2))
            for name, user in people.items()
        },
    )
    owner, manager, member, friend, outsider = people.values()
    world.add("user_id", **{name: user.id for name, user in people.items()})

    shop = make_shop(session, owner, time_zone="Europe/Madrid")
    other_shop = make_shop(session, owner, privacy_mode=ShopPrivacy.INVITE)
    world.add("shop_id", shop=shop.id, other_shop=other_shop.id)
    world.add(
        "role_id",
        manager_role=make_role(session, shop, manager, ShopRoleType.MANAGER).id,
        assistant_role=make_role(session, shop, friend, ShopRoleType.ASSISTANT).id,
    )

    coffee = make_program(session, shop, name="Coffee card", stamp_system_type="self")
    runs = make_program(session, shop, name="Runs", stamp_system_type="stampers")
    spare = make_program(session, shop, name="Spare", membership_mode="invite")
    closed = make_program(session, shop, name="Closed", archived_at=utcnow())
    elsewhere = make_program(session, other_shop, name="Elsewhere")
    world.add(
        "program_id",
        coffee=coffee.id,
        runs=runs.id,
        spare=spare.id,
        closed=closed.id,
        elsewhere=elsewhere.id,
    )

    mine = make_membership(session, coffee, member)
    mine.card_code = MINE_CARD
    mine_too = make_membership(session, runs, member)
    friends = make_membership(session, coffee, friend)
    managers = make_membership(session, coffee, manager, role_type=MembershipRole.MANAGER)
    customer = make_membership(session, spare, None, email="customer@example.com")
    for membership, points in ((mine, 5000), (mine_too, 300), (friends, 800), (managers, 50)):
        give_points(session, membership, points)
    world.add(
        "membership_id",
        mine=mine.id,
        mine_too=mine_too.id,
        friends=friends.id,
        managers=managers.id,
        customer=customer.id,
    )

    purchase = EarningRule(program_id=coffee.id, kind="purchase", points=1, per_amount=100)
    survey = EarningRule(
        program_id=coffee.id,
        kind="activity",
        activity="survey",
        points=10,
        limit_count=5,
        limit_period="day",
    )
    bonus_week = Campaign(
        program_id=coffee.id,
        name="Bonus week",
        kind="bonus",
        bonus_points=3,
        starts_at=utcnow() - timedelta(days=1),
        ends_at=utcnow() + timedelta(days=6),
    )
    session.add_all([purchase, survey, bonus_week])
    session.flush()
    world.add("rule_id", purchase=purchase.id, survey=survey.id)
    world.add("campaign_id", bonus_week=bonus_week.id)
    session.add(TierSettings(program_id=coffee.id))
    silver = Tier(program_id=coffee.id, name="Silver", threshold=1_000)
    gold = Tier(program_id=coffee.id, name="Gold", threshold=5_000)
    session.add_all([silver, gold])
    session.flush()
    world.add("tier_id", silver=silver.id, gold=gold.id)
    # Referrals on, with the friend's code (referral_cases.WORLD_CODE) to join through.
    referral_cases.api_world_objects(session, coffee.id, friends.id)
    consulting = consultation_cases.api_world_objects(session, shop.id, friend.id, member.id)
    world.add("host_id", host=consulting["host"], pending_host=consulting["pending_host"])
    world.add("booking_id", booking=consulting["booking"], finished=consulting["finished"])
    gathering = event_cases.api_world_objects(session, shop.id, member)
    world.add("event_id", event=gathering["event"])
    world.add("registration_id", registration=gathering["registration"])

    espresso = make_task(session, coffee, name="Espresso", allows_multiple=True, max_multiple=5)
    daily = make_task(
        session,
        coffee,
        name="Daily",
        frequency_settings={"quantity": 2, "time_unit": "day"},
        bonus_values={"streaks": [{"length": 3, "points": 5}]},
    )
    lap = make_task(session, runs, name="Lap", point_value=3, target=100)
    world.add("task_id", espresso=espresso.id, daily=daily.id, lap=lap.id)

    free_coffee = make_reward(session, shop, name="Free coffee", cost=50, quantity=100)
    party = make_reward(session, shop, name="Party", cost=400, is_group_reward=True)
    gift = make_reward(session, shop, name="Gift card", cost=20, is_giftable=True)
    pricey = make_reward(session, shop, name="Pricey", cost=10**9, user_limit=1)
    gone = make_reward(session, shop, name="Gone", deleted_at=utcnow())
    world.add(
        "reward_id",
        free_coffee=free_coffee.id,
        party=party.id,
        gift=gift.id,
        pricey=pricey.id,
        gone=gone.id,
    )

    with app_session(app, session):
        world.add(
            "invitation_id",
            to_shop=shops.invite_to_shop(owner, other_shop.id, user_id=outsider.id).id,
            to_program=programs.invite(owner, spare.id, user_id=member.id).id,
            by_email=programs.invite(owner, spare.id, email="later@example.com").id,
        )
        stamp = partial(tasks.stamp_task, membership_id=mine.id)
        world.add(
            "stamp_id",
            two_espressos=stamp(member, task_id=espresso.id, quantity=2).stamp.id,
            daily_stamp=stamp(member, task_id=daily.id).stamp.id,
            friends_stamp=tasks.stamp_task(
                friend, task_id=espresso.id, membership_id=friends.id
            ).stamp.id,
            revoked=stamp(member, task_id=espresso.id).stamp.id,
        )
        tasks.revoke_stamp(owner, stamp_id=world.named["revoked"])
        redeem = partial(redeeming.redeem, member, membership_id=mine.id)
        world.add(
            "redemption_id",
            coffee_receipt=redeem(reward_id=free_coffee.id).id,
            gift_receipt=redeem(reward_id=gift.id).id,
            friends_receipt=redeeming.redeem(
                friend, reward_id=free_coffee.id, membership_id=friends.id
            ).id,
            cancelled=redeem(reward_id=free_coffee.id).id,
        )
        redeeming.cancel_redemption(owner, redemption_id=world.named["cancelled"], reason="Test")
        contributing.contribute(member, reward_id=party.id, membership_id=mine.id, points=100)
        rewards.add_favorite(member, reward_id=free_coffee.id)
        review, _ = post_services.create_post(
            member,
            body="Best coffee in town.",
            audience=PostAudience.PROGRAM,
            program_id=coffee.id,
            rating=5,
            reward_id=free_coffee.id,
        )
        note, _ = post_services.create_post(friend, body="Open late today.")
        world.add("post_id", review=review.id, note=note.id)
        world.add(
            "message_id",
            hello=message_services.send_message(member, to_user_id=friend.id, body="Hello").id,
            reply=message_services.send_message(friend, to_user_id=member.id, body="Hi!").id,
        )
        world.add(
            "request_id",
            asked=social.send_request(member, user_id=outsider.id).id,
            asked_by=social.send_request(manager, user_id=member.id).id,
        )
        assert find_discrepancies() == []
    session.flush()
    return world


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: equal snapshots mean nothing changed."""
    return {
        table.name: [
            tuple(row)
            for row in session.execute(
                select(table).order_by(*(table.primary_key.columns or table.columns))
            )
        ]
        for table in Base.metadata.sorted_tables
    }
