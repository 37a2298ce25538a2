"""One seeded world for the authorization suites, and how each role calls the app.

The world is built once per test module inside a transaction that is rolled back at the
end (:func:`module_database`); every call then runs inside a savepoint of its own
(:func:`rolled_back`), so a DELETE by one role leaves the object there for the next.

Cast (the eight roles of the matrix): ``anonymous``; ``outsider``, who runs a shop of their
own and has a pending invitation into the program; ``member`` (points in the program, a
receipt, a stamp); ``stamper`` (program role); ``assistant`` and ``manager`` (shop team
roles); ``creator`` of the shop; ``admin`` (platform admin, no part in the shop).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from stampbook.accounts import passwords
from stampbook.accounts.auth import SESSION_TOKEN
from stampbook.accounts.models import TokenKind
from stampbook.core.db import db
from stampbook.core.routing import PageBlueprint
from tests.accounts import authz_cases as account_cases
from tests.apikeys import authz_cases as api_key_cases
from tests.cards import authz_cases as card_cases
from tests.consultations import authz_cases as consultation_cases
from tests.events import authz_cases as event_cases
from tests.factories.accounts import PASSWORD, make_token, make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_role, make_shop
from tests.factories.tasks import make_task
from tests.loyalty import authz_cases as loyalty_cases
from tests.notifications import authz_cases as notification_cases
from tests.people import authz_cases
from tests.referrals import authz_cases as referral_cases
from tests.tiers import authz_cases as tier_cases
from tests.wallets import authz_cases as wallet_cases
from tests.webhooks import authz_cases as webhook_cases

ROLES = ("anonymous", "outsider", "member", "stamper", "assistant", "manager", "creator", "admin")
SIGNED_IN = ROLES[1:]
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class World:
    """Ids and secrets only: ORM objects expire when a savepoint rolls back."""

    ids: dict[str, int]  # object name -> id ("shop", "program", "membership", ...)
    users: dict[str, int]  # person -> user id (the roles, and "other", "newcomer", "visitor")
    emails: dict[str, str]
    bearer: dict[str, str]  # role -> API token secret
    cookie: dict[str, str]  # role -> web session token secret

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else {"Authorization": f"Bearer {self.bearer[role]}"}


@contextmanager
def module_database(app: Flask, engine: Engine) -> Iterator[Session]:
    """Like the ``session`` fixture, for a whole module: every app session joins one
    connection whose transaction is rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with app.app_context():
        original = app.extensions["stampbook.core.db"].session_factory
        db.bind_session_factory(factory)
    session = factory()
    try:
        yield session
    finally:
        session.close()
        with app.app_context():
            db.bind_session_factory(original)
        outer.rollback()
        connection.close()


# Argon2 at full strength costs ~0.3 s a hash; the matrix logs in and changes passwords
# dozens of times, and what it checks is who may call what, not the hashing (see
# tests/accounts/test_security.py for that).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@contextmanager
def fast_passwords() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", FAST_HASHER)
        yield


@contextmanager
def rolled_back(session: Session) -> Iterator[None]:
    """Whatever the app commits in here is undone afterwards."""
    savepoint = session.begin_nested()
    session.connection()  # the SAVEPOINT is only emitted once the session uses its connection
    try:
        yield
    finally:
        savepoint.rollback()


def _created(response: Any) -> int:
    assert response.status_code in {200, 201}, response.get_data(as_text=True)
    found: int = response.json["id"] if "id" in response.json else response.json["stamp"]["id"]
    return found


def build_world(app: Flask, session: Session) -> World:
    people = {
        name: make_user(session, is_admin=name == "admin")
        for name in (*SIGNED_IN, "other", "newcomer", "visitor")
    }
    weak_hash = FAST_HASHER.hash(PASSWORD)
    for person in people.values():
        person.password_hash = weak_hash
    shop = make_shop(session, people["creator"], name="Authz shop")
    assistant_role = make_role(session, shop, people["assistant"], "assistant")
    make_role(session, shop, people["manager"], "manager")
    program = make_program(session, shop, stamp_system_type="self")
    merge_source = make_program(session, shop)
    make_membership(session, program, people["stamper"], role_type="stamper")
    membership = make_membership(session, program, people["member"])
    give_points(session, membership, 100)
    other_membership = make_membership(session, program, people["other"])
    give_points(session, other_membership, 50)
    task = make_task(session, program, point_value=10)
    reward = make_reward(session, shop, cost=10)
    group_reward = make_reward(session, shop, cost=1000, is_group_reward=True)
    outsiders_shop = make_shop(session, people["outsider"], name="Elsewhere")
    outsiders_program = make_program(session, outsiders_shop)
    outsiders_membership = make_membership(session, outsiders_program, people["outsider"])
    give_points(session, outsiders_membership, 100)
    shop_to_merge = make_shop(session, people["creator"], name="To merge")

    bearer = {role: make_token(session, people[role]) for role in SIGNED_IN}
    cookie = {role: make_token(session, people[role], kind=TokenKind.SESSION) for role in SIGNED_IN}
    bearer["other"] = make_token(session, people["other"])
    client = app.test_client()

    def as_(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {bearer[role]}"}

    redemption = _created(
        client.post(
            f"/api/v1/rewards/{reward.id}/redemptions",
            json={"membership_id": membership.id},
            headers=as_("member"),
        )
    )
    stamp = _created(
        client.post(
            f"/api/v1/tasks/{task.id}/stamps",
            json={"membership_id": membership.id},
            headers=as_("creator"),
        )
    )
    invitation = _created(
        client.post(
            f"/api/v1/programs/{program.id}/invitations",
            json={"user_id": people["outsider"].id},
            headers=as_("creator"),
        )
    )
    override = client.put(
        f"/api/v1/tasks/{task.id}/overrides/{membership.id}",
        json={"target": 5},
        headers=as_("creator"),
    )
    assert override.status_code == 200, override.json
    return World(
        ids={
            "shop": shop.id,
            "program": program.id,
            "merge_source": merge_source.id,
            "membership": membership.id,
            "other_membership": other_membership.id,
            "outsiders_membership": outsiders_membership.id,
            "outsiders_shop": outsiders_shop.id,
            "shop_to_merge": shop_to_merge.id,
            "task": task.id,
            "reward": reward.id,
            "group_reward": group_reward.id,
            "redemption": redemption,
            "stamp": stamp,
            "invitation": invitation,
            "assistant_role": assistant_role.id,
            **authz_cases.people_objects(session, people, program.id),
            **account_cases.account_objects(session, people),
            **notification_cases.notification_objects(app, session, people, shop.id),
            **webhook_cases.webhook_objects(session, shop),
            **api_key_cases.api_key_objects(session, shop),
            **loyalty_cases.loyalty_objects(session, program.id),
            **tier_cases.tier_objects(session, program.id),
            **referral_cases.referral_objects(session, program.id, other_membership.id),
            **consultation_cases.consultation_objects(
                session, shop.id, people["assistant"].id, people["member"].id
            ),
            **event_cases.event_objects(session, shop.id, people),
            **wallet_cases.wallet_objects(session, shop.id, membership.id),
            **card_cases.card_objects(session, membership.id),
        },
        users={name: user.id for name, user in people.items()},
        emails={name: user.email for name, user in people.items()},
        bearer=bearer,
        cookie=cookie,
    )


# --- The pages: a session cookie and a CSRF token ---------------------------------------------

_CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def is_page(app: Flask, endpoint: str) -> bool:
    """Routes of a PageBlueprint authenticate by session cookie and need CSRF on writes."""
    blueprint = app.blueprints.get(endpoint.partition(".")[0])
    return isinstance(blueprint, PageBlueprint)


def browser(app: Flask, world: World, role: str) -> FlaskClient:
    """A client signed in as ``role`` through the session cookie (none for anonymous)."""
    client = app.test_client()
    if role != "anonymous":
        with client.session_transaction() as cookie_session:
            cookie_session[SESSION_TOKEN] = world.cookie[role]
    return client


def csrf_token(client: FlaskClient) -> str:
    """A valid CSRF token for this client's session (read from a form, as a browser would)."""
    match = _CSRF_FIELD.search(client.get("/login").get_data(as_text=True))
    assert match, "the login form has no CSRF token"
    return match.group(1)
