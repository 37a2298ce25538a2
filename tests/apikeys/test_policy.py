"""The confinement of a key, in ``core.policy``: every decision made while a key is in use
hides what is not of its shop, whoever its maker is, and what no domain said the shop of."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g
from sqlalchemy.orm import Session

from stampbook.core.policy import Decision, decide, key_in_use, shop_id_of
from stampbook.programs.policy import ProgramAction
from stampbook.shops.policy import ShopAction
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_invitation, make_shop
from tests.factories.tasks import make_stamp, make_task


@dataclass(frozen=True)
class FakeKey:
    shop_id: int

    def grants(self, scope: str) -> bool:
        return True


def test_each_domain_says_the_shop_of_its_objects(app: Flask, session: Session) -> None:
    owner = make_user(session)
    shop = make_shop(session, owner)
    program = make_program(session, shop)
    membership = make_membership(session, program, make_user(session))
    task = make_task(session, program)
    with app.app_context():
        g._db_session = session
        things = [
            shop,
            program,
            membership,
            task,
            make_stamp(session, task, membership),
            make_reward(session, shop),
            make_invitation(session, shop, email="x@example.com"),
        ]
        assert {shop_id_of(thing) for thing in things} == {shop.id}
        assert shop_id_of(owner) is None  # a person belongs to no shop


def test_a_key_sees_its_shop_only_whoever_made_it(app: Flask, session: Session) -> None:
    admin = make_user(session, is_admin=True)
    shop, other = make_shop(session, admin), make_shop(session, admin)
    program, elsewhere = make_program(session, shop), make_program(session, other)
    with app.test_request_context("/api/v1/programs/1"):
        g._db_session = session
        assert key_in_use() is None
        assert decide(admin, ProgramAction.PROGRAM_VIEW, elsewhere) is Decision.ALLOW
        g.api_key = FakeKey(shop.id)
        assert decide(admin, ProgramAction.PROGRAM_VIEW, program) is Decision.ALLOW
        assert decide(admin, ProgramAction.PROGRAM_VIEW, elsewhere) is Decision.HIDDEN
        assert decide(admin, ShopAction.SHOP_VIEW, other) is Decision.HIDDEN
        # Of no shop anyone registered: hidden from a key rather than let through.
        assert decide(admin, "user.view", make_user(session)) is Decision.HIDDEN
    with app.app_context():
        # Outside a request (a command, a job) no key is in use.
        g.api_key = FakeKey(shop.id)
        assert key_in_use() is None
